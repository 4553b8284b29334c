/** Every message exists in zh-CN and en, and every one has a voice-style twin that obeys the voice rules. */
import { botMessages, translate, LANGS } from '../src/locales';

type Tree = { [k: string]: string | Tree };

function leaves(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) => (typeof v === 'string' ? [`${prefix}${k}`] : leaves(v, `${prefix}${k}.`)));
}

// Everything people receive through the bot (admin-facing import errors and CLI texts are separate).
const keys = leaves(botMessages['zh-CN'] as unknown as Tree);
const baseKeys = keys.filter((k) => !k.endsWith('_voice'));

/** Realistic, longish values for every placeholder. */
const SAMPLE: Record<string, string | number> = {
  org: '阳光小学', child: '欧阳小明', school: '阳光小学', className: '三年级1班', teacher: '张丽', name: '王建国',
  number: 127, count: 2, left: 4, until: '19:30', role: '爸爸', phone: '13900001111', period: '10月', weekday: '六',
  time: '19:00', year: 2026, month: 10, n: 1, summary: '数学进步明显。', body: '学习：认真', label: '学习', text: '明天带他去卫生院看看',
  menu: '', list: '问王小明回1，问王小华回2', field: '出生日期', allowed: '是/否', allowedEn: 'yes/no', firstRow: 3, min: 1, max: 20, value: 'x',
  kind: '电话家长', cycle: '本季度', rest: '还要电话家长、家访。',
  when: '明天', date: '10月18日', day: 18, festival: '中秋节', age: 10, children: '欧阳小明、王小华、李小红',
  category: '健康', status: '未确认', mention: '@张丽 ', reporter: '李伟', told: '王奶奶、王建国', leaders: 2, names: '刘芳',
  hours: 24, minutes: 30,
  // The monthly 通报 (county report): a county's numbers.
  scope: '阳光中心小学', schools: 20, total: 12345, complete: 12001, bound: 11876, notesDue: 12345, notesWritten: 12001, notesSent: 11990,
  notesMissing: 344, callsDone: 34567, callsMissed: 1234, letters: 10987, contactsDone: 23456, overdue: 1200, cases: 123, casesAnswered: 120,
  casesOnTime: 31, casesRuled: 34,
};

describe('locales', () => {
  it('en has exactly the keys of zh-CN', () => {
    expect(leaves(botMessages.en as unknown as Tree).sort()).toEqual([...keys].sort());
  });

  it('every message has a voice-style twin', () => {
    const missing = baseKeys.filter((k) => !keys.includes(`${k}_voice`));
    expect(missing).toEqual([]);
  });

  it.each(LANGS)('voice style in %s: no links, emoji or symbols, at most 80 characters', (lang) => {
    for (const key of baseKeys) {
      const text = translate(lang, 'voice', key, SAMPLE);
      expect({ key, text, tooLong: [...text].length > 80 }).toEqual({ key, text, tooLong: false });
      expect(text).not.toMatch(/https?:|www\.|[#*【】★☆→•·\n]|\p{Extended_Pictographic}/u);
    }
  });

  it('the text style may differ from the voice style and is what readers get', () => {
    expect(translate('zh-CN', 'text', 'menu.family')).toContain('1 孩子近况');
    expect(translate('zh-CN', 'voice', 'menu.family')).not.toContain('\n');
  });

  it('no message is left untranslated (the key itself is never returned)', () => {
    for (const lang of LANGS) for (const key of keys) expect(translate(lang, 'text', key, SAMPLE)).not.toBe(key);
  });
});

describe("the console's words", () => {
  it('zh-CN and en have the same keys, and the import columns read as the files\' headers', async () => {
    const { consoleEn, consoleZh } = await import('../console/src/locales');
    expect(leaves(consoleEn as unknown as Tree).sort()).toEqual(leaves(consoleZh as unknown as Tree).sort());
    const { ROSTER_COLUMNS, STAFF_COLUMNS } = await import('../src/import/columns');
    for (const c of [...STAFF_COLUMNS, ...ROSTER_COLUMNS]) expect([c.key, (consoleZh.column as Record<string, string>)[c.key]]).toEqual([c.key, c.zh]);
  });
});
