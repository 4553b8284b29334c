/** Unit tests for the intricate pure pieces: binding codes, intents, date/phone parsing, masking, config. */
import { afterQuietHours, fromLocal, localParts, shiftPeriod } from '../src/localTime';
import { DEFAULT_CLOCK_START, ManualClock } from '../src/clock';
import { CODE_ALPHABET, generateCode } from '../src/models/bindingCode';
import { looksLikeCode, parseCodeAttempt } from '../src/handlers/codeAttempt';
import { childNamedIn, concernHasContent, detectIntent } from '../src/handlers/intent';
import { fitVoice, splitVoice } from '../src/locales/voice';
import { parseDate as parseBirthDate, parsePhone as normalizePhone } from '../src/humanInput';
import { maskPhones } from '../src/log';
import { loadConfig } from '../src/config';
import { childIdentityKey } from '../src/models/child';

describe('the manual clock', () => {
  it('starts at a fixed school-day morning in Shanghai, outside quiet hours and not on the 1st; or follows real time', () => {
    const clock = new ManualClock();
    expect(clock.now()).toEqual(DEFAULT_CLOCK_START);
    const local = localParts(clock.now(), 'Asia/Shanghai');
    expect(local.day).not.toBe(1);
    expect(afterQuietHours(clock.now(), '21:30-07:30', 'Asia/Shanghai')).toEqual(clock.now());
    expect(new Date(clock.now()).getUTCDay()).toBe(3); // Wednesday (10:00 in Shanghai is 02:00 UTC the same day)
    const live = new ManualClock({ followRealTime: true });
    expect(Math.abs(live.now().getTime() - Date.now())).toBeLessThan(5_000);
    live.set(new Date('2027-01-04T09:00:00+08:00'));
    expect(live.now()).toEqual(new Date('2027-01-04T09:00:00+08:00'));
  });
});

describe('binding codes', () => {
  it('are 6 characters without look-alikes, always mixing letters and digits', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const code = generateCode();
      expect(code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$/);
      expect(code).toMatch(/[A-Z]/);
      expect(code).toMatch(/[2-9]/);
      seen.add(code);
    }
    expect(seen.size).toBeGreaterThan(4990);
    expect(CODE_ALPHABET).not.toMatch(/[01OIL]/);
  });

  it('redraws when a draw has only letters or only digits', () => {
    const draws = [0, 0, 0, 0, 0, 0, /* all "2" */ 8, 8, 8, 8, 8, 8 /* all "A" */, 0, 8, 9, 10, 11, 12];
    let i = 0;
    expect(generateCode(() => draws[i++])).toBe('2ABCDE');
  });

  it('parses 绑定 CODE, bind CODE and a bare code, forgiving case and spaces', () => {
    expect(parseCodeAttempt('绑定 wxm2f8')).toBe('WXM2F8');
    expect(parseCodeAttempt('绑定：WXM 2F8')).toBe('WXM2F8');
    expect(parseCodeAttempt('bind WXM2F8')).toBe('WXM2F8');
    expect(parseCodeAttempt('wxm2f8')).toBe('WXM2F8');
    expect(parseCodeAttempt('teacher')).toBeUndefined();
    expect(parseCodeAttempt('123456')).toBeUndefined();
    expect(parseCodeAttempt('孩子最近怎么样')).toBeUndefined();
    expect(looksLikeCode('hello1')).toBe(true);
  });
});

describe('intents from free words', () => {
  it.each([
    ['1', 'status'], ['孩子最近怎么样', 'status'], ['小明学习怎么样', 'status'], ["how's my child doing", 'status'],
    ['2', 'teacher'], ['老师是谁', 'teacher'], ['老师电话多少', 'teacher'], ['帮扶老师', 'teacher'],
    ['3', 'call'], ['亲情电话', 'call'], ['什么时候打电话', 'call'], ['通话时间', 'call'],
    ['4', 'concern'], ['反映情况', 'concern'], ['孩子发烧了', 'concern'], ['他最近不想上学', 'concern'], ['被同学欺负了', 'concern'],
    ['0', 'help'], ['帮助', 'help'], ['菜单', 'help'],
    ['孩子最近有点不开心', 'concern'], ['孩子高烧39度', 'concern'], ['孩子放学没回家', 'concern'], ['孩子最近作业写不完', 'concern'],
    ['谢谢老师', undefined], ['学习怎么样', 'status'],
  ] as Array<[string, string | undefined]>)('%s → %s', (text, intent) => {
    expect(detectIntent(text)).toBe(intent);
  });

  it('takes the org\'s own concern words as concerns', () => {
    expect(detectIntent('孩子又旷课了')).toBeUndefined();
    expect(detectIntent('孩子又旷课了', ['旷课'])).toBe('concern');
  });

  it('leaves the rest to the menu', () => {
    expect(detectIntent('今天天气不错')).toBeUndefined();
    expect(detectIntent('5')).toBeUndefined();
  });

  it('knows a bare request to report from a described problem', () => {
    expect(concernHasContent('反映情况')).toBe(false);
    expect(concernHasContent('4')).toBe(false);
    expect(concernHasContent('孩子发烧了')).toBe(true);
  });

  it('finds the child named by full or given name, only when unambiguous', () => {
    const kids = [{ name: '王小明' }, { name: '王小华' }];
    expect(childNamedIn('小明最近怎么样', kids)).toEqual({ name: '王小明' });
    expect(childNamedIn('王小华的老师', kids)).toEqual({ name: '王小华' });
    expect(childNamedIn('孩子们怎么样', kids)).toBeUndefined();
  });
});

describe('parsing what people type', () => {
  it('birth dates in the usual spellings, and only real dates', () => {
    for (const s of ['2016-05-12', '2016/5/12', '2016.5.12', '2016年5月12日', '2016年5月12号', '20160512']) {
      expect(parseBirthDate(s)).toBe('2016-05-12');
    }
    expect(parseBirthDate('2016-02-30')).toBeUndefined();
    expect(parseBirthDate('五月十二')).toBeUndefined();
  });

  it('phones with +86, spaces and dashes; rejects junk', () => {
    expect(normalizePhone('+86 138-0013-8003')).toBe('13800138003');
    expect(normalizePhone('8613800138003')).toBe('13800138003');
    expect(normalizePhone('0851-1234567')).toBe('08511234567');
    expect(normalizePhone('12345')).toBeUndefined();
    expect(normalizePhone('abc')).toBeUndefined();
  });
});

describe('privacy and limits', () => {
  it('masks mobile numbers in any text', () => {
    expect(maskPhones('父亲 13800138001，母亲 +86 138-0013-8002')).toBe('父亲 138****8001，母亲 138****8002');
    expect(maskPhones('学号 2016051200')).toBe('学号 2016051200');
  });

  it('fits a voice message into 80 characters by whole sentences', () => {
    const render = (s: string) => `王小明十月：${s}`;
    const body = '数学进步很大。'.repeat(20);
    const out = fitVoice(render, body);
    expect([...out].length).toBeLessThanOrEqual(80);
    expect(out.endsWith('。')).toBe(true);
    expect(fitVoice(render, '短。')).toBe('王小明十月：短。');
  });

  it('splits a long voice message into pieces of at most 80 characters, losing nothing', () => {
    const answer = '明天上午我带他去镇卫生院看看，医生说要多喝水。'.repeat(6);
    const parts = splitVoice(answer);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect([...p].length).toBeLessThanOrEqual(80);
    expect(parts.join('')).toBe(answer);
    expect(splitVoice('短句。')).toEqual(['短句。']);
  });

  it('a child is one child by school+number, else school+class+name+birth date', () => {
    expect(childIdentityKey('s1', '一班', '王小明', '2016-05-12', 'S001')).toBe(childIdentityKey('s1', '二班', '王小明', '2016-05-12', 'S001'));
    expect(childIdentityKey('s1', '一班', '王小明', '2016-05-12')).not.toBe(childIdentityKey('s1', '二班', '王小明', '2016-05-12'));
  });
});

describe('configuration', () => {
  it('has defaults for everything', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.TIME_ZONE).toBe('Asia/Shanghai');
    expect(c.adminTokenGenerated).toBe(true);
    expect(c.ADMIN_TOKEN!.length).toBeGreaterThanOrEqual(16);
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ TIME_ZONE: 'Mars/Olympus' })).toThrow(/TIME_ZONE/);
    expect(() => loadConfig({ QUIET_HOURS: '9pm' })).toThrow(/QUIET_HOURS/);
    expect(() => loadConfig({ MONGODB_URI: 'postgres://x' })).toThrow(/MONGODB_URI/);
    expect(() => loadConfig({ ADMIN_TOKEN: 'short' })).toThrow(/ADMIN_TOKEN/);
  });
});

describe('local time and quiet hours', () => {


  const tz = 'Asia/Shanghai';

  it('reads and builds local times', () => {
    const d = fromLocal(2026, 12, 1, 19, 0, tz);
    expect(d.toISOString()).toBe('2026-12-01T11:00:00.000Z');
    expect(localParts(d, tz)).toEqual({ year: 2026, month: 12, day: 1, hour: 19, minute: 0, weekday: 2 });
    expect(shiftPeriod('2026-01', -1)).toBe('2025-12');
    expect(shiftPeriod('2026-12', 1)).toBe('2027-01');
  });

  it('holds pushes in 21:30–07:30 until 07:30, and lets others through', () => {
    const at = (h: number, m: number, day = 2) => fromLocal(2026, 11, day, h, m, tz);
    expect(afterQuietHours(at(21, 29), '21:30-07:30', tz)).toEqual(at(21, 29));
    expect(afterQuietHours(at(21, 30), '21:30-07:30', tz)).toEqual(at(7, 30, 3));
    expect(afterQuietHours(at(2, 0), '21:30-07:30', tz)).toEqual(at(7, 30));
    expect(afterQuietHours(at(7, 30), '21:30-07:30', tz)).toEqual(at(7, 30));
    expect(afterQuietHours(at(13, 0), '12:00-14:00', tz)).toEqual(at(14, 0));
  });
});
