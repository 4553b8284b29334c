/**
 * The command line (`npm run cli -- …`), called through main() on this file's own databases on the real server
 * from globalSetup. Each main() connects and disconnects mongoose itself, so the checks here read the database
 * with the plain driver instead.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Workbook } from 'exceljs';
// jszip (a devDependency, the version exceljs itself uses): used to look at the page breaks exceljs does not read back.
import JSZip from 'jszip';
import { MongoClient } from 'mongodb';
import { main } from '../src/cli/index';
import { buildCardsWorkbook, CARD_INSTRUCTION, CARDS_SHEET } from '../src/import/cardsWorkbook';
import type { ContactCard } from '../src/import/contactCards';
import { withDatabase } from '../src/models/mongoServer';
import { pdfPages, pdfText } from './helpers/pdf';

const BASE_URI = process.env.MONGODB_URI!;
const RUN = crypto.randomBytes(3).toString('hex');
const usedDbs = new Set<string>();
let dir: string;

const STAFF = [
  '学校,姓名,企业微信账号,电话,职务,班级,党员,最多帮扶人数,教师群',
  '阳光小学,张丽,zhang,13900001111,班主任,三年级1班,是,3,teachers',
  '阳光小学,李伟,li,13900002222,教师,,否,3,teachers',
  '希望小学,赵强,zhao,13900004444,教师,,否,3,hope-teachers',
].join('\n');

// Row 3 leaves the teacher blank (the bot proposes one); row 5 has an impossible birth date.
const ROSTER = [
  '学校,班级,学生姓名,性别,出生日期,学号,留守类型,监护情况,寄宿,重点帮扶,父亲姓名,父亲电话,父亲务工地,母亲姓名,母亲电话,母亲务工地,监护人姓名,监护人关系,监护人电话,监护人年龄,监护人文化程度,帮扶教师企业微信账号',
  '阳光小学,三年级1班,王小明,男,2016-05-12,,双亲外出,祖辈,否,是,王建国,13800138001,广东东莞,刘芳,13800138002,浙江义乌,王奶奶,祖母,13800138003,68,不识字,zhang',
  '阳光小学,三年级1班,王小华,女,2018-02-20,,双亲外出,祖辈,否,否,王建国,13800138001,广东东莞,刘芳,13800138002,浙江义乌,王奶奶,祖母,13800138003,68,不识字,',
  '阳光小学,三年级1班,李小红,女,2016-09-03,,父亲外出,母亲,是,否,李强,13800138011,江苏苏州,陈梅,13800138012,,,,,,,li',
  '阳光小学,三年级1班,赵小刚,男,2016-13-40,,父亲外出,母亲,是,否,赵大,13800138021,江苏苏州,,,,,,,,,li',
].join('\n');

const PHONE = /1[3-9]\d{9}/;
const CJK = /[\u4e00-\u9fff]/;

interface Run { code: number; out: string; err: string }

/** Calls main() with MONGODB_URI pointing at `db` on the shared server, capturing both streams; `env` adds variables. */
async function cli(db: string, argv: string[], opts: { tty?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  const dbName = `t_cli_${RUN}_${db}`;
  usedDbs.add(dbName);
  let out = '';
  let err = '';
  const saved = process.env.MONGODB_URI;
  process.env.MONGODB_URI = withDatabase(BASE_URI, dbName);
  try {
    const code = await main(argv, {
      stdout: { write: (s: string) => { out += s; return true; } },
      stderr: { write: (s: string) => { err += s; return true; }, isTTY: opts.tty ?? false },
      ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
    });
    return { code, out, err };
  } finally {
    process.env.MONGODB_URI = saved;
  }
}

async function withDb<T>(db: string, fn: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(withDatabase(BASE_URI, `t_cli_${RUN}_${db}`));
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.close();
  }
}

const count = (db: string, collection: string) => withDb(db, (c) => c.db().collection(collection).countDocuments());

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

/** Every cell's text, flattened (merged cells repeat their master's value, which is fine for "contains"). */
async function xlsxTexts(p: string): Promise<{ sheets: string[]; texts: string[] }> {
  const wb = new Workbook();
  await wb.xlsx.readFile(p);
  const texts: string[] = [];
  wb.worksheets.forEach((ws) => ws.eachRow((row) => row.eachCell((cell) => { texts.push(String(cell.text)); })));
  return { sheets: wb.worksheets.map((w) => w.name), texts };
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liushou-cli-'));
});

afterAll(async () => {
  for (const db of usedDbs) {
    const client = new MongoClient(withDatabase(BASE_URI, db));
    await client.connect();
    await client.db().dropDatabase().catch(() => undefined);
    await client.close();
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('cli: usage', () => {
  it('help prints the usage in DEFAULT_LANG (Chinese unless set to en) with exit code 0', async () => {
    const r = await cli('usage', ['help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('用法');
    expect(r.out).toContain('退出码');
    expect(r.out).not.toContain('Usage');
    expect(r.out).toContain('import roster');
    expect(r.out).toContain('cards --out');

    const en = await cli('usage', ['import', '--help'], { env: { DEFAULT_LANG: 'en' } });
    expect(en.code).toBe(0);
    expect(en.out).toContain('Usage');
    expect(en.out).toContain('Exit codes');
    expect(en.out).toContain('import roster');
    expect(en.out).not.toMatch(CJK);
  });

  it.each([
    [[]],
    [['frobnicate']],
    [['import']],
    [['import', 'teachers', 'x.csv']],
    [['import', 'roster']],
    [['import', 'roster', 'a.csv', '--bogus']],
    [['cards']],
    [['cards', '--out', 'cards.pdf']],
  ])('%j is a usage error: exit 2 and the usage on stderr', async (argv) => {
    const r = await cli('usage', argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain('用法');
    expect(r.out).toBe('');
  });

  it.each([
    [['frobnicate'], '未知命令：frobnicate', 'Unknown command: frobnicate'],
    [['import', 'roster', 'a.csv', '--bogus'], '未知选项：--bogus', 'Unknown option: --bogus'],
    [['cards', '--out'], '选项 -o, --out 用法不对', 'Option -o, --out is used wrongly'],
    [['cards', '--out', 'cards.pdf'], '.xlsx 结尾', 'must end in .xlsx'],
    [['cards', '--pdf', '--out', 'cards.xlsx'], '.pdf 结尾', 'must end in .pdf'],
    [['import', 'roster', 'a.csv', 'b.csv'], '多余的参数：b.csv', 'Unexpected argument: b.csv'],
  ])('%j says what is wrong in the configured language', async (argv, zh, en) => {
    const r = await cli('usage', argv);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toContain(zh);
    const e = await cli('usage', argv, { env: { DEFAULT_LANG: 'en' } });
    expect(e.code).toBe(2);
    expect(e.err.split('\n')[0]).toContain(en);
    expect(e.err).toContain('Usage');
    expect(e.err).not.toMatch(CJK);
  });

  it('an invalid configuration is exit 2 and points at .env.example', async () => {
    const r = await cli('usage', ['import', 'staff', 'x.csv'], { env: { PORT: 'not-a-port' } });
    expect(r.code).toBe(2);
    expect(r.err).toContain('PORT');
    expect(r.err).toContain('.env.example');
  });

  it('a missing or unreadable file is exit 2 and says why', async () => {
    const missing = await cli('usage', ['import', 'roster', path.join(dir, 'nope.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('nope.csv');
    expect(missing.err).toContain('文件不存在');
    const missingEn = await cli('usage', ['import', 'roster', path.join(dir, 'nope.csv')], { env: { DEFAULT_LANG: 'en' } });
    expect(missingEn.err).toContain('Cannot read');
    expect(missingEn.err).toContain('no such file');

    // Binary bytes (a PNG's signature, then controls): refused, not imported as mojibake. (GBK text is decoded.)
    const png = file('photo.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]));
    const unreadable = await cli('usage', ['import', 'staff', png]);
    expect(unreadable.code).toBe(2);
    expect(unreadable.err).toContain('CSV');
  });
});

describe('cli: import and contact cards', () => {
  const db = 'main';

  it('imports the staff, then the roster: counts, proposals and the bad row with its number', async () => {
    const staff = await cli(db, ['import', 'staff', file('staff.csv', STAFF)]);
    expect(staff.code).toBe(0);
    expect(staff.out).toContain('新建 3 · 更新 0 · 未变 0');
    expect(staff.out).toContain('出错 0 行');

    const roster = await cli(db, ['import', 'roster', file('roster.csv', ROSTER)]);
    expect(roster.code).toBe(1);
    expect(roster.out).toContain('新建 3 · 更新 0 · 未变 0 · 建议结对 1 · 未能结对 0 · 出错 1 行');
    expect(roster.out).toMatch(/第 3 行 王小华 → \S+（\w+）/);
    expect(roster.out).toMatch(/第 5 行 · 出生日期: .+/);
    expect(roster.out).not.toMatch(PHONE);
    expect(await count(db, 'children')).toBe(3);
    expect(await count(db, 'familymembers')).toBe(8);
    // Like the admin API, the import is audited.
    expect(await withDb(db, (c) => c.db().collection('auditlogs').countDocuments({ action: 'import.roster', actor: 'cli' }))).toBe(1);
  });

  it('importing the same files again changes nothing, also from an .xlsx', async () => {
    const staff = await cli(db, ['import', 'staff', path.join(dir, 'staff.csv')]);
    expect(staff.code).toBe(0);
    expect(staff.out).toContain('新建 0 · 更新 0 · 未变 3');

    const roster = await cli(db, ['import', 'roster', path.join(dir, 'roster.csv')]);
    expect(roster.code).toBe(1); // the bad row is still bad
    expect(roster.out).toContain('新建 0 · 更新 0 · 未变 3 · 建议结对 0 · 未能结对 0');

    const wb = new Workbook();
    const ws = wb.addWorksheet('花名册');
    ROSTER.split('\n').slice(0, 4).forEach((line) => ws.addRow(line.split(',')));
    const xlsx = file('roster.xlsx', Buffer.from(await wb.xlsx.writeBuffer()));
    const again = await cli(db, ['import', 'roster', xlsx]);
    expect(again.code).toBe(0);
    expect(again.out).toContain('新建 0 · 更新 0 · 未变 3');
    expect(await count(db, 'children')).toBe(3);
  });

  it('cards --out writes an .xlsx with every child and code and no phone number', async () => {
    const out = path.join(dir, 'cards.xlsx');
    const r = await cli(db, ['cards', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('3 张联系卡（8 个绑定码）');

    const members = await withDb(db, (c) => c.db().collection('familymembers').find().toArray());
    const { sheets, texts } = await xlsxTexts(out);
    expect(sheets).toEqual(['联系卡']);
    for (const child of ['王小明', '王小华', '李小红']) expect(texts.some((t) => t.includes(child))).toBe(true);
    for (const m of members) expect(texts).toContain(m.code);
    expect(texts.some((t) => t.includes(CARD_INSTRUCTION))).toBe(true);
    expect(texts.filter((t) => PHONE.test(t))).toEqual([]);
    expect(await withDb(db, (c) => c.db().collection('auditlogs').countDocuments({ action: 'read.contact-cards' }))).toBe(1);
  });

  it('cards --pdf writes the PDF: every child and code as text, the QR caption with WECOM_KF_LINK, no phone number', async () => {
    const out = path.join(dir, '联系卡.pdf');
    const r = await cli(db, ['cards', '--pdf', '--out', out], { env: { WECOM_KF_LINK: 'https://work.weixin.qq.com/kfid/kfc0123456789abcdef' } });
    expect([r.code, r.err]).toEqual([0, expect.any(String)]); // stderr shown when it fails
    expect(r.out).toContain('3 张联系卡（8 个绑定码）');
    const pdf = fs.readFileSync(out);
    expect(pdfPages(pdf)).toBe(1);
    const text = pdfText(pdf);
    for (const child of ['王小明', '王小华', '李小红']) expect(text).toContain(child);
    for (const m of await withDb(db, (c) => c.db().collection('familymembers').find().toArray())) expect(text).toContain(m.code);
    expect(text).toContain('扫码后发送绑定码');
    expect(text).not.toMatch(PHONE);
    expect(await withDb(db, (c) => c.db().collection('auditlogs').countDocuments({ action: 'read.contact-cards', 'detail.format': 'pdf' }))).toBe(1);

    // No Chinese font: exit 2 saying what to install, and no file.
    const noFont = await cli(db, ['cards', '--pdf', '--out', path.join(dir, 'z.pdf')], { env: { CJK_FONT_PATH: path.join(dir, 'none.ttc') } });
    expect(noFont.code).toBe(2);
    expect(noFont.err).toContain('fonts-noto-cjk');
    expect(fs.existsSync(path.join(dir, 'z.pdf'))).toBe(false);
  });

  it('cards --school: only that school; an unknown school is exit 2; a school without children is exit 1', async () => {
    const out = path.join(dir, 'sunny.xlsx');
    expect((await cli(db, ['cards', '--out', out, '--school', '阳光小学'])).code).toBe(0);
    expect((await xlsxTexts(out)).texts).toContain('学生：王小明');

    const unknown = await cli(db, ['cards', '--out', path.join(dir, 'x.xlsx'), '--school', '月亮小学']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('阳光小学');
    expect(fs.existsSync(path.join(dir, 'x.xlsx'))).toBe(false);

    const empty = await cli(db, ['cards', '--out', path.join(dir, 'y.xlsx'), '--school', '希望小学']);
    expect(empty.code).toBe(1);
    expect(fs.existsSync(path.join(dir, 'y.xlsx'))).toBe(false);
  });
});

describe('cli: children left without a teacher', () => {
  const db = 'unpaired';
  // The school's only teacher has room for one child; both rows leave the teacher column blank.
  const staff = ['学校,姓名,企业微信账号,职务,最多帮扶人数', '阳光小学,孙老师,sun,教师,1'].join('\n');
  const [header, ming, hua] = ROSTER.split('\n');
  const roster = [header, ming.replace(/,zhang$/, ','), hua].join('\n');

  it('are counted in the summary and listed one per line, like the proposals; not an error', async () => {
    expect((await cli(db, ['import', 'staff', file('staff-one.csv', staff)])).code).toBe(0);
    const r = await cli(db, ['import', 'roster', file('roster-two.csv', roster)]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('新建 2 · 更新 0 · 未变 0 · 建议结对 1 · 未能结对 1 · 出错 0 行');
    const lines = r.out.split('\n');
    expect(lines).toContain('    第 2 行 王小明 → 孙老师（sun）');
    const at = lines.findIndex((l) => l.includes('没有帮扶教师的学生'));
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe('    第 3 行 王小华');
    expect(r.out).not.toContain('错误');
    expect(await count(db, 'pairings')).toBe(1);
  });

  it('are reported again on the next import, in English with DEFAULT_LANG=en', async () => {
    const r = await cli(db, ['import', 'roster', path.join(dir, 'roster-two.csv')], { env: { DEFAULT_LANG: 'en' } });
    expect(r.code).toBe(0);
    expect(r.out).toContain('Roster import: roster-two.csv');
    expect(r.out).toContain('created 0 · updated 0 · unchanged 2 · proposed pairings 0 · without a teacher 1 · rows with errors 0');
    const lines = r.out.split('\n');
    expect(lines).toContain('  Children without a teacher (every teacher of their school is full: import more staff or raise max_children, then import the roster again):');
    expect(lines).toContain('    Row 3 王小华');
    expect(r.out).not.toContain('Proposed pairings');
    expect(r.out.replace(/王小华/g, '')).not.toMatch(CJK);
    expect(await count(db, 'pairings')).toBe(1);
  });
});

describe('cli: --dry-run', () => {
  it('reports what it would do and writes nothing', async () => {
    const db = 'dry';
    const staff = await cli(db, ['import', 'staff', file('staff-dry.csv', STAFF), '--dry-run']);
    expect(staff.code).toBe(0);
    expect(staff.out).toContain('试运行');
    expect(staff.out).toContain('新建 3 · 更新 0 · 未变 0');

    const roster = await cli(db, ['import', 'roster', file('roster-dry.csv', ROSTER), '--dry-run']);
    expect(roster.code).toBe(1);
    // The staff dry run wrote nobody, so the rows naming a teacher are refused: proof nothing was written.
    expect(roster.out).toContain('新建 1 · 更新 0 · 未变 0 · 建议结对 0 · 未能结对 0 · 出错 3 行');
    expect(roster.out).toMatch(/第 2 行 · 帮扶教师企业微信账号: .*zhang/);
    expect(roster.out).toMatch(/第 5 行 · 出生日期/);

    for (const c of ['staffs', 'schools', 'classrooms', 'identities', 'children', 'familymembers', 'pairings', 'auditlogs']) {
      expect([c, await count(db, c)]).toEqual([c, 0]);
    }
  });
});

describe('cli: progress bar', () => {
  const many = [
    '学校,姓名,企业微信账号,职务',
    ...Array.from({ length: 25 }, (_, i) => `进度小学,老师${i},t${String(i).padStart(2, '0')},教师`),
  ].join('\n');

  it('is drawn on a terminal for a file of more than 20 rows', async () => {
    const r = await cli('progress', ['import', 'staff', file('many.csv', many)], { tty: true });
    expect(r.code).toBe(0);
    expect(r.err).toContain('25/25');
    expect(r.out).toContain('新建 25');
  });

  it('is not drawn when stderr is not a terminal', async () => {
    const r = await cli('progress', ['import', 'staff', path.join(dir, 'many.csv')]);
    expect(r.code).toBe(0);
    expect(r.err).not.toContain('/25');
    expect(r.out).toContain('未变 25');
  });
});

describe('buildCardsWorkbook', () => {
  const card = (i: number, codes: ContactCard['codes']): ContactCard => ({ childId: String(i), child: `孩子${i}`, school: '阳光小学', class: '一年级1班', codes });

  it('lays out A4 pages of cards, breaks pages between rows of cards, and handles a card without family', async () => {
    const cards = Array.from({ length: 9 }, (_, i) => card(i, i === 8 ? [] : [
      { for: 'father', name: '父亲甲', code: `F${i}ABC2` },
      { for: 'guardian', name: '奶奶', code: `G${i}XYZ3` },
    ]));
    const wb = buildCardsWorkbook(cards);
    const ws = wb.getWorksheet(CARDS_SHEET)!;
    expect(ws.pageSetup.paperSize).toBe(9);
    expect(ws.pageSetup.orientation).toBe('portrait');
    // 9 cards, two per row of cards: 5 rows of cards of 8 spreadsheet rows, four per page → one break, after row 32.
    const buffer = Buffer.from(await wb.xlsx.writeBuffer());
    const sheetXml = await (await JSZip.loadAsync(buffer)).file('xl/worksheets/sheet1.xml')!.async('string');
    expect(sheetXml.match(/<brk [^>]*>/g)).toEqual([expect.stringContaining('id="32"')]);

    const back = new Workbook();
    await back.xlsx.load(buffer as unknown as Parameters<typeof back.xlsx.load>[0]);
    const texts: string[] = [];
    back.getWorksheet(CARDS_SHEET)!.eachRow((row) => row.eachCell((c) => { texts.push(String(c.text)); }));
    expect(texts).toContain('F0ABC2');
    expect(texts).toContain('监护人');
    expect(texts).toContain('学生：孩子8');
    expect(texts.some((t) => t.includes('没有家长信息'))).toBe(true);
    expect(ws.getCell('C4').font?.name).toBe('Courier New');
    expect(ws.getCell('A1').border?.top?.style).toBe('dashed');
  });
});
