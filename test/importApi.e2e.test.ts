/**
 * The admin import API end to end (DESIGN.md §4 "Admin API", "Staff columns", "Roster columns"): HTTP in,
 * database out. One app for the whole file; every describe block starts from empty collections.
 */
import { Workbook } from 'exceljs';
import type { Model } from 'mongoose';
import type request from 'supertest';
import { AuditLog } from '../src/models/auditLog';
import { Child } from '../src/models/child';
import { Classroom } from '../src/models/classroom';
import { FamilyMember } from '../src/models/familyMember';
import { Identity } from '../src/models/identity';
import { Pairing } from '../src/models/pairing';
import { School } from '../src/models/school';
import { Staff } from '../src/models/staff';
import iconv from 'iconv-lite';
import { generateRoster } from '../bench/roster';
import { MAX_LISTED } from '../src/import/answer';
import { BACKGROUND_ROWS, DIED_MESSAGE, ImportJob, pruneImportJobs, STALE_JOB_MS } from '../src/import/jobs';
import { MAX_ROWS } from '../src/import/table';
import { ADMIN_TOKEN, ROSTER_CSV, STAFF_CSV, startTestApp, TestApp } from './helpers/testApp';

// ---------------------------------------------------------------------------------------------------------
// Harness

let t: TestApp;
beforeAll(async () => { t = await startTestApp(); });
afterAll(async () => { await t.stop(); });

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const DOMAIN: Array<[string, Model<any>]> = [
  ['schools', School], ['classrooms', Classroom], ['staff', Staff], ['identities', Identity],
  ['children', Child], ['members', FamilyMember], ['pairings', Pairing],
];

async function reset(): Promise<void> {
  for (const [, m] of DOMAIN) await m.deleteMany({});
  await AuditLog.deleteMany({});
}

async function counts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, m] of DOMAIN) out[name] = await m.countDocuments({});
  return out;
}

const EMPTY = { schools: 0, classrooms: 0, staff: 0, identities: 0, children: 0, members: 0, pairings: 0 };

/** Every document of every domain collection, timestamps included: "changes nothing" means byte for byte. */
async function snapshot(): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const [name, m] of DOMAIN) out[name] = await m.find({}).sort({ _id: 1 }).lean();
  return JSON.stringify(out);
}

interface Opts { query?: string; type?: string; headers?: Record<string, string> }

function post(kind: 'staff' | 'roster', body: string | Buffer, opts: Opts = {}): Promise<request.Response> {
  let req = t.http.post(`/api/import/${kind}${opts.query ?? ''}`)
    .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
    .set('Content-Type', opts.type ?? 'text/csv');
  for (const [k, v] of Object.entries(opts.headers ?? {})) req = req.set(k, v);
  return req.send(body);
}

/** Import that must succeed without row errors; returns the body. */
async function ok(kind: 'staff' | 'roster', body: string | Buffer, opts: Opts = {}) {
  const res = await post(kind, body, opts);
  expect(res.status).toBe(200);
  expect(res.body.errors).toEqual([]);
  return res.body as {
    created: number; updated: number; errors: unknown[];
    proposed?: Array<{ row: number; child: string; wecomUserId: string }>;
    unpaired?: Array<{ row: number; child: string }>;
  };
}

interface Card { childId: string; child: string; school: string; class: string; codes: Array<{ for: string; name: string; code: string }> }

async function cards(): Promise<Card[]> {
  const res = await t.http.get('/api/contact-cards').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  expect(res.status).toBe(200);
  return res.body;
}

/** child name → "father:CODE mother:CODE …", to compare codes across imports. */
async function codesByChild(): Promise<Record<string, string>> {
  return Object.fromEntries((await cards()).map((c) => [`${c.school}/${c.class}/${c.child}`, c.codes.map((x) => `${x.for}:${x.code}`).join(' ')]));
}

// ---------------------------------------------------------------------------------------------------------
// Fixtures: rows written as {english key: cell}, rendered with Chinese or English headers

const STAFF_KEYS: Array<[string, string]> = [
  ['school', '学校'], ['name', '姓名'], ['wecom_userid', '企业微信账号'], ['phone', '电话'], ['role', '职务'],
  ['class', '班级'], ['party_member', '党员'], ['max_children', '最多帮扶人数'], ['teacher_room', '教师群'],
];

const ROSTER_KEYS: Array<[string, string]> = [
  ['school', '学校'], ['class', '班级'], ['child_name', '学生姓名'], ['gender', '性别'], ['birth_date', '出生日期'],
  ['student_no', '学号'], ['left_behind', '留守类型'], ['living_with', '监护情况'], ['boarding', '寄宿'],
  ['priority', '重点帮扶'], ['father_name', '父亲姓名'], ['father_phone', '父亲电话'], ['father_work_city', '父亲务工地'],
  ['mother_name', '母亲姓名'], ['mother_phone', '母亲电话'], ['mother_work_city', '母亲务工地'],
  ['guardian_name', '监护人姓名'], ['guardian_relation', '监护人关系'], ['guardian_phone', '监护人电话'],
  ['guardian_age', '监护人年龄'], ['guardian_literacy', '监护人文化程度'], ['teacher_wecom_userid', '帮扶教师企业微信账号'],
];

type Row = Record<string, string> | null; // null = an empty line in the file

function table(keys: Array<[string, string]>, rows: Row[], header: 'zh' | 'en'): string[][] {
  return [keys.map(([en, zh]) => (header === 'zh' ? zh : en)), ...rows.map((r) => (r ? keys.map(([k]) => r[k] ?? '') : []))];
}

function toCsv(cells: string[][], eol = '\n'): string {
  const esc = (c: string) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  return cells.map((r) => r.map(esc).join(',')).join(eol);
}

const rosterCsv = (rows: Row[], header: 'zh' | 'en' = 'zh') => toCsv(table(ROSTER_KEYS, rows, header));
const staffCsv = (rows: Row[], header: 'zh' | 'en' = 'zh') => toCsv(table(STAFF_KEYS, rows, header));

/** A complete, valid roster row for 阳光小学 三年级1班, paired with zhang (from the helper's STAFF_CSV). */
function kid(over: Record<string, string> = {}): Record<string, string> {
  return {
    school: '阳光小学', class: '三年级1班', child_name: '王小明', gender: '男', birth_date: '2016-05-12',
    left_behind: '双亲外出', living_with: '祖辈', boarding: '否', priority: '否',
    father_name: '王建国', father_phone: '13800138001', father_work_city: '广东东莞',
    mother_name: '刘芳', mother_phone: '13800138002', mother_work_city: '浙江义乌',
    guardian_name: '王奶奶', guardian_relation: '祖母', guardian_phone: '13800138003', guardian_age: '68', guardian_literacy: '不识字',
    teacher_wecom_userid: 'zhang',
    ...over,
  };
}

async function xlsx(cells: Array<Array<string | number>>): Promise<Buffer> {
  const wb = new Workbook();
  const ws = wb.addWorksheet('教职工');
  cells.forEach((r) => ws.addRow(r));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** The staff as the database holds them, by names rather than ids, for comparing two imports. */
async function staffView() {
  const schools = new Map((await School.find({}).lean()).map((s) => [String(s._id), s]));
  const classes = new Map((await Classroom.find({}).lean()).map((c) => [String(c._id), c]));
  const staff = await Staff.find({}).sort({ wecomUserId: 1 }).lean();
  const identities = await Identity.find({}).sort({ address: 1 }).lean();
  return {
    staff: staff.map((s) => ({
      school: schools.get(String(s.schoolId))?.name, name: s.name, wecomUserId: s.wecomUserId, phone: s.phone, role: s.role,
      class: s.classroomId ? classes.get(String(s.classroomId))?.name : undefined,
      headOfClass: s.classroomId ? String(classes.get(String(s.classroomId))?.headTeacherId) === String(s._id) : false,
      isPartyMember: s.isPartyMember, maxChildren: s.maxChildren, teacherRoom: s.teacherRoom, active: s.active,
    })),
    schools: [...schools.values()].map((s) => ({ name: s.name, teacherRoom: s.teacherRoom })).sort((a, b) => a.name.localeCompare(b.name)),
    identities: identities.map((i) => ({ address: i.address, kind: i.kind, verifiedVia: i.verifiedVia, staff: staff.find((s) => String(s._id) === String(i.staffId))?.name })),
  };
}

const EXPECTED_STAFF = [
  { school: '阳光小学', name: '李伟', wecomUserId: 'li', phone: '13900002222', role: 'teacher', class: undefined, headOfClass: false, isPartyMember: false, maxChildren: 3, teacherRoom: 'teachers', active: true },
  { school: '阳光小学', name: '张丽', wecomUserId: 'zhang', phone: '13900001111', role: 'head_teacher', class: '三年级1班', headOfClass: true, isPartyMember: true, maxChildren: 3, teacherRoom: 'teachers', active: true },
  { school: '希望小学', name: '赵强', wecomUserId: 'zhao', phone: '13900004444', role: 'teacher', class: undefined, headOfClass: false, isPartyMember: false, maxChildren: 3, teacherRoom: 'hope-teachers', active: true },
];

/** The helper's STAFF_CSV with English headers and English choice values. */
const STAFF_CSV_EN = [
  'school,name,wecom_userid,phone,role,class,party_member,max_children,teacher_room',
  '阳光小学,张丽,zhang,13900001111,head_teacher,三年级1班,yes,3,teachers',
  '阳光小学,李伟,li,13900002222,teacher,,no,3,teachers',
  '希望小学,赵强,zhao,13900004444,teacher,,no,3,hope-teachers',
].join('\n');

/** The same staff as an .xlsx the way a clerk types it: phones and numbers as numeric cells. */
const staffXlsx = () => xlsx([
  STAFF_KEYS.map(([, zh]) => zh),
  ['阳光小学', '张丽', 'zhang', 13900001111, '班主任', '三年级1班', '是', 3, 'teachers'],
  ['阳光小学', '李伟', 'li', 13900002222, '教师', '', '否', 3, 'teachers'],
  ['希望小学', '赵强', 'zhao', 13900004444, '教师', '', '否', 3, 'hope-teachers'],
]);

// ---------------------------------------------------------------------------------------------------------

describe('admin token', () => {
  beforeAll(reset);

  it.each([
    ['POST', '/api/import/staff'],
    ['POST', '/api/import/roster'],
    ['GET', '/api/contact-cards'],
  ])('%s %s answers 401 without a token, with a wrong one, or with another scheme', async (method, url) => {
    const send = (auth?: string) => {
      let req = method === 'GET' ? t.http.get(url) : t.http.post(url).set('Content-Type', 'text/csv');
      if (auth !== undefined) req = req.set('Authorization', auth);
      return method === 'GET' ? req : req.send(url.endsWith('staff') ? STAFF_CSV : ROSTER_CSV);
    };
    for (const auth of [undefined, `Bearer ${ADMIN_TOKEN}x`, 'Bearer wrong', `Basic ${ADMIN_TOKEN}`, ADMIN_TOKEN, 'Bearer ']) {
      const res = await send(auth);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('unauthorized');
    }
    expect(await counts()).toEqual(EMPTY);
    expect(await AuditLog.countDocuments({})).toBe(0);
  });
});

describe('staff import: header languages and file formats give the same staff', () => {
  beforeEach(reset);

  it('Chinese headers and values', async () => {
    expect(await ok('staff', STAFF_CSV)).toMatchObject({ created: 3, updated: 0 });
    const view = await staffView();
    expect(view.staff).toEqual(EXPECTED_STAFF);
    expect(view.schools).toEqual([{ name: '希望小学', teacherRoom: 'hope-teachers' }, { name: '阳光小学', teacherRoom: 'teachers' }]);
    expect(view.identities).toEqual([
      { address: 'li', kind: 'staff', verifiedVia: 'staff_import', staff: '李伟' },
      { address: 'zhang', kind: 'staff', verifiedVia: 'staff_import', staff: '张丽' },
      { address: 'zhao', kind: 'staff', verifiedVia: 'staff_import', staff: '赵强' },
    ]);
  });

  it('English headers and values give the same records, and are a no-op on top of the Chinese file', async () => {
    expect(await ok('staff', STAFF_CSV_EN)).toMatchObject({ created: 3, updated: 0 });
    const english = await staffView();
    expect(english.staff).toEqual(EXPECTED_STAFF);
    await reset();
    await ok('staff', STAFF_CSV);
    const chinese = await staffView();
    expect(english).toEqual(chinese);
    expect(await ok('staff', STAFF_CSV_EN)).toMatchObject({ created: 0, updated: 0 });
  });

  it('a UTF-8 BOM and CRLF line ends are read like plain LF', async () => {
    const body = Buffer.from(`\ufeff${STAFF_CSV.split('\n').join('\r\n')}\r\n`, 'utf8');
    expect(body.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(await ok('staff', body, { type: 'text/csv; charset=utf-8' })).toMatchObject({ created: 3, updated: 0 });
    expect((await staffView()).staff).toEqual(EXPECTED_STAFF);
    // No name or address picked up a stray \r or BOM: the plain file is a no-op on top.
    expect(await ok('staff', STAFF_CSV)).toMatchObject({ created: 0, updated: 0 });
  });

  it.each([[XLSX_TYPE], ['application/octet-stream']])('an .xlsx sent as %s gives the same result as the CSV', async (type) => {
    const body = await staffXlsx();
    const fromXlsx = await ok('staff', body, { type });
    expect(fromXlsx).toMatchObject({ created: 3, updated: 0 });
    const view = await staffView();
    expect(view.staff).toEqual(EXPECTED_STAFF);
    await reset();
    const fromCsv = await ok('staff', STAFF_CSV);
    expect(fromXlsx).toEqual(fromCsv);
    expect(await staffView()).toEqual(view);
    // And either file re-imported on top of the other changes nothing.
    expect(await ok('staff', body, { type })).toMatchObject({ created: 0, updated: 0 });
  });

  it('a roster .xlsx with numeric phones and real date cells matches the CSV', async () => {
    await ok('staff', STAFF_CSV);
    const rows = table(ROSTER_KEYS, [kid()], 'zh');
    const cells: Array<Array<string | number | Date>> = rows.map((r, i) => (i === 0 ? r : r.map((c, j) => {
      const key = ROSTER_KEYS[j][0];
      if (key.endsWith('_phone') || key === 'guardian_age') return Number(c);
      if (key === 'birth_date') return new Date(`${c}T00:00:00Z`);
      return c;
    })));
    const wb = new Workbook();
    const ws = wb.addWorksheet('名单');
    cells.forEach((r) => ws.addRow(r));
    ws.getColumn(5).numFmt = 'yyyy-mm-dd';
    const body = Buffer.from(await wb.xlsx.writeBuffer());
    expect(await ok('roster', body, { type: XLSX_TYPE })).toMatchObject({ created: 1, updated: 0 });
    const child = await Child.findOne({}).lean();
    expect(child).toMatchObject({ name: '王小明', birthDate: '2016-05-12' });
    expect(await FamilyMember.findOne({ role: 'father' }).lean()).toMatchObject({ phone: '13800138001' });
    expect(await ok('roster', rosterCsv([kid()]))).toMatchObject({ created: 0, updated: 0 });
  });
});

describe('response shape and language', () => {
  beforeAll(async () => { await reset(); await ok('staff', STAFF_CSV); });

  const BAD = rosterCsv([kid({ child_name: '错日期', birth_date: '2016-02-30' })]);

  it('is {created, updated, errors:[{row, field, message}]}', async () => {
    const res = await post('roster', BAD, { query: '?dryRun=1' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ created: 0, updated: 0, errors: [expect.any(Object)] }));
    expect(typeof res.body.created).toBe('number');
    expect(typeof res.body.updated).toBe('number');
    const [e] = res.body.errors;
    expect(Object.keys(e).sort()).toEqual(['field', 'message', 'row']);
    expect(e).toEqual({ row: 2, field: 'birth_date', message: expect.any(String) });
  });

  it('speaks Chinese by default, naming the Chinese column', async () => {
    const [e] = (await post('roster', BAD, { query: '?dryRun=1' })).body.errors;
    expect(e.message).toContain('出生日期');
    expect(e.message).toMatch(/[\u4e00-\u9fff]/);
    expect(e.message).not.toMatch(/valid|date:/i);
  });

  it.each([
    ['?lang=en', {}],
    ['', { 'Accept-Language': 'en' }],
    ['', { 'Accept-Language': 'en-US,en;q=0.9' }],
  ])('speaks English with %s %j', async (query, headers) => {
    const res = await post('roster', BAD, { query: `?dryRun=1${query.replace('?', '&')}`, headers });
    const [e] = res.body.errors;
    expect(e).toMatchObject({ row: 2, field: 'birth_date' });
    expect(e.message).toContain('birth_date');
    expect(e.message).toContain('not a valid date');
    expect(e.message).not.toMatch(/[\u4e00-\u9fff]/);
  });

  it('Accept-Language preferring Chinese stays Chinese; ?lang wins over the header', async () => {
    const zh = await post('roster', BAD, { query: '?dryRun=1', headers: { 'Accept-Language': 'zh-CN,zh;q=0.9,en;q=0.8' } });
    expect(zh.body.errors[0].message).toContain('出生日期');
    const forced = await post('roster', BAD, { query: '?dryRun=1&lang=zh-CN', headers: { 'Accept-Language': 'en' } });
    expect(forced.body.errors[0].message).toContain('出生日期');
  });

  it('a missing required column is reported against the header row, in either language', async () => {
    const noBirth = toCsv(table(ROSTER_KEYS.filter(([k]) => k !== 'birth_date'), [kid()], 'zh'));
    const zh = await post('roster', noBirth);
    expect(zh.status).toBe(200);
    expect(zh.body).toMatchObject({ created: 0, updated: 0 });
    expect(zh.body.errors).toEqual([{ row: 1, field: 'birth_date', message: expect.stringContaining('出生日期') }]);
    const en = await post('roster', noBirth, { query: '?lang=en' });
    expect(en.body.errors).toEqual([{ row: 1, field: 'birth_date', message: expect.stringContaining('birth_date') }]);
    expect(await Child.countDocuments({})).toBe(0);
  });
});

describe('a bad roster row is reported with its row number and skipped whole', () => {
  // Row numbers as the clerk sees them in Excel: the header is row 1, the empty line is row 8.
  const FILE = rosterCsv([
    kid({ child_name: '好甲', father_name: '好甲爸' }), // 2
    kid({ child_name: '坏日期', birth_date: '2016-02-30', father_name: '坏日期爸' }), // 3
    kid({ child_name: '好乙', father_name: '好乙爸', teacher_wecom_userid: 'li' }), // 4
    kid({ child_name: '坏电话', guardian_phone: '1380013', father_name: '坏电话爸', guardian_name: '坏电话奶奶' }), // 5
    kid({ child_name: '无老师', teacher_wecom_userid: 'nobody', father_name: '无老师爸' }), // 6
    kid({ child_name: '', father_name: '无名爸' }), // 7
    null, // 8
    kid({ child_name: '好丙', father_name: '好丙爸', teacher_wecom_userid: '' }), // 9
    kid({ child_name: '外校师', teacher_wecom_userid: 'zhao', father_name: '外校师爸' }), // 10
    kid({ school: '新建小学', child_name: '新校生', teacher_wecom_userid: 'zhang', father_name: '新校生爸' }), // 11
  ]);
  const EXPECTED_ERRORS = [
    { row: 3, field: 'birth_date' },
    { row: 5, field: 'guardian_phone' },
    { row: 6, field: 'teacher_wecom_userid' },
    { row: 7, field: 'child_name' },
    { row: 10, field: 'teacher_wecom_userid' },
    { row: 11, field: 'teacher_wecom_userid' },
  ];
  const BAD_NAMES = ['坏日期', '坏电话', '无老师', '外校师', '新校生'];
  let res: request.Response;

  beforeAll(async () => {
    await reset();
    await ok('staff', STAFF_CSV);
    res = await post('roster', FILE);
  });

  it('lists each bad row with its spreadsheet row number and field', () => {
    expect(res.status).toBe(200);
    expect(res.body.errors.map((e: { row: number; field: string }) => ({ row: e.row, field: e.field }))).toEqual(EXPECTED_ERRORS);
    for (const e of res.body.errors) expect(e.message).toEqual(expect.any(String));
  });

  it('says what is wrong with each one', () => {
    const msg = (row: number) => res.body.errors.find((e: { row: number }) => e.row === row).message as string;
    expect(msg(3)).toContain('出生日期');
    expect(msg(5)).toContain('监护人电话');
    expect(msg(6)).toContain('nobody');
    expect(msg(7)).toContain('学生姓名');
    expect(msg(10)).toContain('zhao');
    expect(msg(11)).toContain('zhang');
  });

  it('imports the good rows around them', async () => {
    expect(res.body).toMatchObject({ created: 3, updated: 0 });
    const names = (await Child.find({}).lean()).map((c) => c.name).sort();
    expect(names).toEqual(['好丙', '好乙', '好甲'].sort());
    const children = await Child.find({}).lean();
    expect(await FamilyMember.countDocuments({})).toBe(3 * 3);
    const pairings = await Pairing.find({}).lean();
    expect(pairings).toHaveLength(3);
    expect(pairings.map((p) => String(p.childId)).sort()).toEqual(children.map((c) => String(c._id)).sort());
  });

  it('writes nothing of a bad row: no child, no family member, no pairing, no school', async () => {
    expect(await Child.countDocuments({ name: { $in: BAD_NAMES } })).toBe(0);
    expect(await FamilyMember.countDocuments({ name: { $in: [...BAD_NAMES.map((n) => `${n}爸`), '无名爸', '坏电话奶奶'] } })).toBe(0);
    const paired = new Set((await Pairing.find({}).lean()).map((p) => String(p.childId)));
    const good = new Set((await Child.find({}).lean()).map((c) => String(c._id)));
    expect([...paired].every((id) => good.has(id))).toBe(true);
    // Row 11 named a school nobody had imported; rejected, it must not leave the school (or class) behind.
    expect(await School.countDocuments({ name: '新建小学' })).toBe(0);
    expect(await Classroom.countDocuments({})).toBe(1);
  });

  it('reports the same errors again on re-import and writes nothing more', async () => {
    const before = await snapshot();
    const again = await post('roster', FILE);
    expect(again.body).toMatchObject({ created: 0, updated: 0 });
    expect(again.body.errors).toEqual(res.body.errors);
    expect(await snapshot()).toBe(before);
  });
});

describe('importing the same file twice changes nothing', () => {
  const ROSTER = rosterCsv([
    kid(),
    kid({ child_name: '王小华', gender: '女', birth_date: '2018-02-20' }),
    kid({ child_name: '李小红', gender: '女', birth_date: '2016-09-03', student_no: 'S003', teacher_wecom_userid: '', father_name: '李强', father_phone: '13800138011', mother_name: '陈梅', mother_phone: '13800138012', guardian_name: '', guardian_relation: '', guardian_phone: '', guardian_age: '', guardian_literacy: '' }),
  ]);

  beforeAll(async () => {
    await reset();
    expect(await ok('staff', STAFF_CSV)).toMatchObject({ created: 3, updated: 0 });
    expect(await ok('roster', ROSTER)).toMatchObject({ created: 3, updated: 0 });
  });

  it('second import: created 0, updated 0; same documents, same binding codes', async () => {
    const codes = await codesByChild();
    const before = await snapshot();
    const n = await counts();
    expect(n).toEqual({ schools: 2, classrooms: 1, staff: 3, identities: 3, children: 3, members: 8, pairings: 3 });
    expect(await ok('staff', STAFF_CSV)).toMatchObject({ created: 0, updated: 0 });
    expect(await ok('roster', ROSTER)).toMatchObject({ created: 0, updated: 0 });
    expect(await counts()).toEqual(n);
    expect(await codesByChild()).toEqual(codes);
    expect(await snapshot()).toBe(before);
  });

  it('one changed guardian phone: updated 1, the phone is stored, codes kept', async () => {
    const codes = await codesByChild();
    const n = await counts();
    const lines = ROSTER.split('\n');
    lines[1] = lines[1].replace('13800138003', '13900139003'); // 王小明's row only
    const changed = lines.join('\n');
    const body = await ok('roster', changed);
    expect(body).toMatchObject({ created: 0, updated: 1 });
    const child = await Child.findOne({ name: '王小明' }).lean();
    expect(await FamilyMember.findOne({ childId: child!._id, role: 'guardian' }).lean()).toMatchObject({ phone: '13900139003' });
    const sibling = await Child.findOne({ name: '王小华' }).lean();
    expect(await FamilyMember.findOne({ childId: sibling!._id, role: 'guardian' }).lean()).toMatchObject({ phone: '13800138003' });
    expect(await counts()).toEqual(n);
    expect(await codesByChild()).toEqual(codes);
    // And that file, imported again, is a no-op.
    expect(await ok('roster', changed)).toMatchObject({ created: 0, updated: 0 });
  });

  it('one changed staff cell: updated 1, nothing created', async () => {
    const n = await counts();
    const body = await ok('staff', STAFF_CSV.replace('李伟,li,13900002222,教师,,否,3', '李伟,li,13900002222,教师,,是,3'));
    expect(body).toMatchObject({ created: 0, updated: 1 });
    expect(await Staff.findOne({ wecomUserId: 'li' }).lean()).toMatchObject({ isPartyMember: true });
    expect(await counts()).toEqual(n);
  });
});

describe('?dryRun=1 validates and counts like the real import, and writes nothing', () => {
  beforeEach(reset);

  it('staff on an empty database: same answer, no documents', async () => {
    const dry = await post('staff', STAFF_CSV, { query: '?dryRun=1' });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ created: 3, updated: 0, errors: [] });
    expect(await counts()).toEqual(EMPTY);
    const real = await ok('staff', STAFF_CSV);
    expect({ created: real.created, updated: real.updated }).toEqual({ created: dry.body.created, updated: dry.body.updated });
  });

  it('roster: same counts and errors as the real import, no child, member, pairing or class written', async () => {
    await ok('staff', STAFF_CSV);
    const file = rosterCsv([
      kid(),
      kid({ child_name: '坏电话', father_phone: '12345' }),
      kid({ child_name: '王小华', birth_date: '2018-02-20', class: '一年级2班', teacher_wecom_userid: '' }),
      kid({ child_name: '外校', teacher_wecom_userid: 'zhao' }),
      kid({ school: '新建小学', child_name: '新校生', teacher_wecom_userid: 'li' }),
      kid({ school: '新建小学', child_name: '新校生二', teacher_wecom_userid: '' }),
    ]);
    const before = await snapshot();
    const dry = await post('roster', file, { query: '?dryRun=1' });
    expect(dry.status).toBe(200);
    expect(await snapshot()).toBe(before);
    expect(await Child.countDocuments({})).toBe(0);
    const real = await post('roster', file);
    expect(real.body.errors.map((e: { row: number; field: string }) => [e.row, e.field])).toEqual([
      [3, 'father_phone'], [5, 'teacher_wecom_userid'], [6, 'teacher_wecom_userid'],
    ]);
    expect({ created: dry.body.created, updated: dry.body.updated, errors: dry.body.errors })
      .toEqual({ created: real.body.created, updated: real.body.updated, errors: real.body.errors });
    expect(real.body).toMatchObject({ created: 3, updated: 0 });
  });

  it('a changed cell is reported as updated, and stays unchanged in the database', async () => {
    await ok('staff', STAFF_CSV);
    await ok('roster', rosterCsv([kid(), kid({ child_name: '王小华', birth_date: '2018-02-20' })]));
    const before = await snapshot();
    const codes = await codesByChild();
    const changed = rosterCsv([kid({ guardian_phone: '13900139003' }), kid({ child_name: '王小华', birth_date: '2018-02-20', priority: '是' })]);
    const dry = await post('roster', changed, { query: '?dryRun=true' });
    expect(dry.body).toMatchObject({ created: 0, updated: 2, errors: [] });
    expect(await snapshot()).toBe(before);
    expect(await codesByChild()).toEqual(codes);
    const staffDry = await post('staff', STAFF_CSV.replace('13900002222', '13900002223'), { query: '?dryRun=1' });
    expect(staffDry.body).toMatchObject({ created: 0, updated: 1, errors: [] });
    expect(await snapshot()).toBe(before);
  });

  it('a changed teacher is reported as updated, as the real import then does', async () => {
    await ok('staff', STAFF_CSV);
    await ok('roster', rosterCsv([kid()]));
    const moved = rosterCsv([kid({ teacher_wecom_userid: 'li' })]);
    const before = await snapshot();
    const dry = await post('roster', moved, { query: '?dryRun=1' });
    expect(await snapshot()).toBe(before);
    const real = await ok('roster', moved);
    expect(real).toMatchObject({ created: 0, updated: 1 });
    expect(dry.body).toMatchObject({ created: 0, updated: 1, errors: [] });
  });
});

describe('binding codes', () => {
  const N = 60;

  beforeAll(async () => {
    await reset();
    await ok('staff', STAFF_CSV);
    const rows = Array.from({ length: N }, (_, i) => {
      const n = String(i).padStart(3, '0');
      return kid({
        class: `${(i % 6) + 1}年级1班`, child_name: `学生${n}`, student_no: `2024${n}`, teacher_wecom_userid: 'li',
        father_name: `父${n}`, father_phone: `13811${n}001`, mother_name: `母${n}`, mother_phone: `13822${n}002`,
        guardian_name: `监${n}`, guardian_phone: `13833${n}003`,
      });
    });
    expect(await ok('roster', rosterCsv(rows))).toMatchObject({ created: N, updated: 0 });
  });

  it('every child has a card with a code for father, mother and guardian', async () => {
    const all = await cards();
    expect(all).toHaveLength(N);
    for (const c of all) expect(c.codes.map((x) => x.for)).toEqual(['father', 'mother', 'guardian']);
  });

  it('codes are 6–8 characters without 0 O 1 I, and all distinct across the org', async () => {
    const codes = (await cards()).flatMap((c) => c.codes.map((x) => x.code));
    expect(codes).toHaveLength(N * 3);
    for (const code of codes) {
      expect(code).toMatch(/^[A-Z2-9]{6,8}$/);
      expect(code).not.toMatch(/[01OI]/);
    }
    expect(new Set(codes).size).toBe(codes.length);
    // The database agrees with the cards.
    expect(new Set((await FamilyMember.find({}).lean()).map((m) => m.code)).size).toBe(N * 3);
  });
});

describe('a blank teacher column: the bot proposes a pairing', () => {
  const STAFF = staffCsv([
    { school: '阳光小学', name: '王校长', wecom_userid: 'principal', role: '校长', max_children: '10' },
    { school: '阳光小学', name: '满老师', wecom_userid: 'a-full', role: '教师', max_children: '1' },
    { school: '阳光小学', name: '空老师', wecom_userid: 'b-room', role: '教师', max_children: '2' },
    { school: '希望小学', name: '赵强', wecom_userid: 'c-other', role: '教师', max_children: '10' },
  ]);
  const ROSTER = rosterCsv([
    kid({ child_name: '一号', teacher_wecom_userid: 'a-full' }), // fills 满老师
    kid({ child_name: '二号', teacher_wecom_userid: '' }),
    kid({ child_name: '三号', teacher_wecom_userid: '' }),
    kid({ child_name: '四号', teacher_wecom_userid: '' }), // nobody of 阳光小学 has room left
  ]);
  let first: Awaited<ReturnType<typeof ok>>;

  beforeAll(async () => {
    await reset();
    await ok('staff', STAFF);
    first = await ok('roster', ROSTER);
  });

  async function teacherOf(child: string): Promise<{ wecomUserId: string; proposed: boolean } | undefined> {
    const c = await Child.findOne({ name: child }).lean();
    const p = await Pairing.findOne({ childId: c!._id, until: { $exists: false } }).lean();
    if (!p) return undefined;
    const s = await Staff.findById(p.teacherId).lean();
    return { wecomUserId: s!.wecomUserId, proposed: p.proposed };
  }

  it('pairs with a teacher of the same school who has room, marked as proposed', async () => {
    expect(first).toMatchObject({ created: 4, updated: 0 });
    expect(await teacherOf('一号')).toEqual({ wecomUserId: 'a-full', proposed: false });
    expect(await teacherOf('二号')).toEqual({ wecomUserId: 'b-room', proposed: true });
    expect(await teacherOf('三号')).toEqual({ wecomUserId: 'b-room', proposed: true });
    expect(first.proposed).toEqual([
      expect.objectContaining({ row: 3, child: '二号', wecomUserId: 'b-room' }),
      expect.objectContaining({ row: 4, child: '三号', wecomUserId: 'b-room' }),
    ]);
  });

  it('never a principal, never another school, never beyond max_children', async () => {
    const load = async (id: string) => Pairing.countDocuments({ teacherId: (await Staff.findOne({ wecomUserId: id }).lean())!._id, until: { $exists: false } });
    expect(await load('principal')).toBe(0);
    expect(await load('c-other')).toBe(0);
    expect(await load('a-full')).toBe(1);
    expect(await load('b-room')).toBe(2);
    expect((await teacherOf('四号'))?.wecomUserId).toBeUndefined();
  });

  it('re-importing keeps the proposals and proposes nothing new', async () => {
    const before = await snapshot();
    const again = await ok('roster', ROSTER);
    expect(again).toMatchObject({ created: 0, updated: 0 });
    expect(again.proposed ?? []).toEqual([]);
    expect(await snapshot()).toBe(before);
  });

  it('a teacher with room again gets the next unpaired child on re-import (a dry run says so first)', async () => {
    await ok('staff', STAFF.replace('满老师,a-full,,教师,,,1', '满老师,a-full,,教师,,,3'));
    const before = await snapshot();
    expect(await ok('roster', ROSTER, { query: '?dryRun=1' })).toMatchObject({ created: 0, updated: 1 });
    expect(await snapshot()).toBe(before);
    const again = await ok('roster', ROSTER);
    expect(again).toMatchObject({ created: 0, updated: 1 });
    expect(await teacherOf('四号')).toEqual({ wecomUserId: 'a-full', proposed: true });
  });

  it('naming the proposed teacher in the file confirms the proposal: updated 1, then a no-op', async () => {
    const confirmed = ROSTER.replace('二号,男,2016-05-12,,双亲外出,祖辈,否,否,王建国,13800138001,广东东莞,刘芳,13800138002,浙江义乌,王奶奶,祖母,13800138003,68,不识字,',
      '二号,男,2016-05-12,,双亲外出,祖辈,否,否,王建国,13800138001,广东东莞,刘芳,13800138002,浙江义乌,王奶奶,祖母,13800138003,68,不识字,b-room');
    expect(confirmed).not.toBe(ROSTER);
    expect(await ok('roster', confirmed, { query: '?dryRun=1' })).toMatchObject({ created: 0, updated: 1 });
    expect(await ok('roster', confirmed)).toMatchObject({ created: 0, updated: 1 });
    expect(await teacherOf('二号')).toEqual({ wecomUserId: 'b-room', proposed: false });
    expect(await Pairing.countDocuments({})).toBe(4);
    expect(await ok('roster', confirmed)).toMatchObject({ created: 0, updated: 0 });
  });
});

describe('a blank teacher column and no teacher with room: the child is reported as unpaired', () => {
  const STAFF = staffCsv([{ school: '小河小学', name: '独老师', wecom_userid: 'only', role: '教师', max_children: '1' }]);
  const ROSTER = rosterCsv([
    kid({ school: '小河小学', child_name: '甲', teacher_wecom_userid: '' }), // row 2: takes the only place
    kid({ school: '小河小学', child_name: '乙', teacher_wecom_userid: '' }), // row 3: nobody has room left
  ]);

  beforeAll(async () => {
    await reset();
    await ok('staff', STAFF);
  });

  const pairingOf = async (name: string) => Pairing.findOne({ childId: (await Child.findOne({ name }).lean())!._id }).lean();

  it('answers one proposal and one unpaired child with its row, and pairs nobody with that child', async () => {
    const body = await ok('roster', ROSTER);
    expect(body).toMatchObject({ created: 2, updated: 0 });
    expect(body.proposed).toEqual([expect.objectContaining({ row: 2, child: '甲', wecomUserId: 'only' })]);
    expect(body.unpaired).toEqual([{ row: 3, child: '乙' }]);
    expect(await pairingOf('甲')).toMatchObject({ proposed: true });
    expect(await pairingOf('乙')).toBeNull();
    expect(await Pairing.countDocuments({})).toBe(1);
  });

  it('importing again changes nothing and still reports the child as unpaired', async () => {
    const before = await snapshot();
    const again = await ok('roster', ROSTER);
    expect(again).toMatchObject({ created: 0, updated: 0 });
    expect(again.proposed).toEqual([]);
    expect(again.unpaired).toEqual([{ row: 3, child: '乙' }]);
    expect(await pairingOf('乙')).toBeNull();
    expect(await snapshot()).toBe(before);
  });
});

describe('which row is which child', () => {
  beforeEach(async () => { await reset(); await ok('staff', STAFF_CSV); });

  it('same school + class + name + birth date is the same child (other cells may change)', async () => {
    await ok('roster', rosterCsv([kid()]));
    const { _id } = (await Child.findOne({}).lean())!;
    const codes = await codesByChild();
    expect(await ok('roster', rosterCsv([kid({ priority: '是', boarding: '是', left_behind: '父亲外出' })]))).toMatchObject({ created: 0, updated: 1 });
    expect(await Child.countDocuments({})).toBe(1);
    expect(await Child.findOne({}).lean()).toMatchObject({ _id, priority: true, boarding: true, leftBehind: 'father' });
    expect(await codesByChild()).toEqual(codes);
  });

  it('a different birth date, or the same name in another class, is another child', async () => {
    await ok('roster', rosterCsv([kid()]));
    expect(await ok('roster', rosterCsv([kid({ birth_date: '2016-05-13' }), kid({ class: '三年级2班' })]))).toMatchObject({ created: 2, updated: 0 });
    expect(await Child.countDocuments({ name: '王小明' })).toBe(3);
  });

  it('with a student number, the number is the child: a new class updates the record and keeps the codes', async () => {
    await ok('roster', rosterCsv([kid({ student_no: 'S001' })]));
    const { _id } = (await Child.findOne({}).lean())!;
    const codes = Object.values(await codesByChild());
    const moved = await ok('roster', rosterCsv([kid({ student_no: 'S001', class: '四年级1班' })]));
    expect(moved).toMatchObject({ created: 0, updated: 1 });
    expect(await Child.countDocuments({})).toBe(1);
    const child = await Child.findOne({}).lean();
    expect(String(child!._id)).toBe(String(_id));
    expect((await Classroom.findById(child!.classroomId).lean())!.name).toBe('四年级1班');
    const card = (await cards())[0];
    expect(card.class).toBe('四年级1班');
    expect(Object.values(await codesByChild())).toEqual(codes);
  });

  it('two pupils with the same name and birthday in one class are told apart by their numbers', async () => {
    const body = await ok('roster', rosterCsv([kid({ student_no: 'S001' }), kid({ student_no: 'S002', father_name: '另一个爸爸' })]));
    expect(body).toMatchObject({ created: 2, updated: 0 });
    expect(await Child.countDocuments({})).toBe(2);
  });

  it('without numbers, the same child twice in one file is reported, not imported twice', async () => {
    const res = await post('roster', rosterCsv([kid(), kid({ father_phone: '13800138999' })]));
    expect(res.body).toMatchObject({ created: 1, updated: 0 });
    expect(res.body.errors).toEqual([{ row: 3, field: 'child_name', message: expect.stringContaining('2') }]);
    expect(await Child.countDocuments({})).toBe(1);
    expect(await FamilyMember.countDocuments({ phone: '13800138999' })).toBe(0);
  });

  it('a child imported without a number and then with one is updated, not created', async () => {
    await ok('roster', rosterCsv([kid()]));
    const codes = Object.values(await codesByChild());
    expect(await ok('roster', rosterCsv([kid({ student_no: 'S001' })]))).toMatchObject({ created: 0, updated: 1 });
    expect(await Child.countDocuments({})).toBe(1);
    expect(await Child.findOne({}).lean()).toMatchObject({ studentNo: 'S001' });
    expect(Object.values(await codesByChild())).toEqual(codes);
    // From now on the number identifies the child.
    expect(await ok('roster', rosterCsv([kid({ student_no: 'S001', class: '四年级1班' })]))).toMatchObject({ created: 0, updated: 1 });
    expect(await Child.countDocuments({})).toBe(1);
  });

  it('a child imported with a number and then from a file without numbers is still the same child', async () => {
    await ok('roster', rosterCsv([kid({ student_no: 'S001' })]));
    const codes = Object.values(await codesByChild());
    const before = await snapshot();
    expect(await ok('roster', rosterCsv([kid()]))).toMatchObject({ created: 0, updated: 0 });
    expect(await Child.countDocuments({})).toBe(1);
    expect(await snapshot()).toBe(before);
    expect(Object.values(await codesByChild())).toEqual(codes);
    // A changed cell in such a file updates that child, which keeps its number.
    expect(await ok('roster', rosterCsv([kid({ priority: '是' })]))).toMatchObject({ created: 0, updated: 1 });
    expect(await Child.findOne({}).lean()).toMatchObject({ studentNo: 'S001', priority: true });
    expect(await ok('roster', rosterCsv([kid({ student_no: 'S001', priority: '是', class: '四年级1班' })]))).toMatchObject({ created: 0, updated: 1 });
    expect(await Child.countDocuments({})).toBe(1);
  });
});

describe('GET /api/contact-cards', () => {
  beforeAll(async () => {
    await reset();
    await ok('staff', STAFF_CSV);
    await ok('roster', ROSTER_CSV);
  });

  it('answers [{childId, child, school, class, codes:[{for, name, code}]}]', async () => {
    const all = await cards();
    expect(all).toHaveLength(3);
    for (const c of all) {
      expect(Object.keys(c).sort()).toEqual(['child', 'childId', 'class', 'codes', 'school']);
      for (const code of c.codes) expect(Object.keys(code).sort()).toEqual(['code', 'for', 'name']);
    }
    const children = await Child.find({}).lean();
    expect(all.map((c) => c.childId).sort()).toEqual(children.map((c) => String(c._id)).sort());
    const ming = all.find((c) => c.child === '王小明')!;
    expect(ming).toMatchObject({ school: '阳光小学', class: '三年级1班' });
    expect(ming.codes.map(({ for: f, name }) => [f, name])).toEqual([['father', '王建国'], ['mother', '刘芳'], ['guardian', '王奶奶']]);
    const hong = all.find((c) => c.child === '李小红')!;
    expect(hong.codes.map((x) => x.for)).toEqual(['father', 'mother']);
    // Each code is the one stored for that family member.
    for (const c of all) {
      for (const x of c.codes) {
        expect(await FamilyMember.findOne({ childId: c.childId, role: x.for }).lean()).toMatchObject({ code: x.code, name: x.name });
      }
    }
  });

  it('contains no phone numbers', async () => {
    const res = await t.http.get('/api/contact-cards').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    const phones = (await FamilyMember.find({}).lean()).map((m) => m.phone).filter(Boolean);
    expect(phones.length).toBeGreaterThan(0);
    for (const p of phones) expect(res.text).not.toContain(p!);
    // No mainland mobile anywhere (ids are hex, so look for 11 digits not inside a longer hex run).
    expect(res.text).not.toMatch(/(?<![0-9a-f])1[3-9]\d{9}(?![0-9a-f])/);
    expect(res.text).not.toMatch(/phone/i);
  });

  it('writes an audit log entry on each call', async () => {
    const before = await AuditLog.countDocuments({ action: 'read.contact-cards' });
    await cards();
    await cards();
    expect(await AuditLog.countDocuments({ action: 'read.contact-cards' })).toBe(before + 2);
    const last = await AuditLog.findOne({ action: 'read.contact-cards' }).sort({ at: -1, _id: -1 }).lean();
    expect(last).toMatchObject({ actor: 'admin', detail: { children: 3 } });
    // A refused call reads nothing and logs nothing.
    await t.http.get('/api/contact-cards').set('Authorization', 'Bearer nope').expect(401);
    expect(await AuditLog.countDocuments({ action: 'read.contact-cards' })).toBe(before + 2);
  });
});

describe('an unreadable body is a 400 that says so, and writes nothing', () => {
  beforeAll(reset);

  const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 151 + 7) % 256)); // has 0x00 and 0xff
  const cases: Array<[string, Buffer | string, string]> = [
    ['an empty body', '', 'text/csv'],
    ['only empty lines', '\n\r\n,,\n', 'text/csv'],
    ['random binary', bytes, 'application/octet-stream'],
    ['random binary labelled as CSV', bytes, 'text/csv'],
    ['a UTF-16 CSV', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(STAFF_CSV, 'utf16le')]), 'text/csv'],
    ['a broken .xlsx (zip magic, then junk)', Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), bytes]), XLSX_TYPE],
  ];

  it.each(cases)('%s', async (_name, body, type) => {
    for (const kind of ['staff', 'roster'] as const) {
      const res = await post(kind, body, { type });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ created: 0, updated: 0 });
      expect(res.body.errors).toEqual([{ row: expect.any(Number), field: 'file', message: expect.stringContaining('无法读取') }]);
      const en = await post(kind, body, { type, query: '?lang=en' });
      expect(en.status).toBe(400);
      expect(en.body.errors[0].message).toMatch(/cannot be read/);
    }
    expect(await counts()).toEqual(EMPTY);
  });

  it('a request without any body is a 400 too', async () => {
    const res = await t.http.post('/api/import/staff').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ field: 'file' });
    expect(await counts()).toEqual(EMPTY);
  });
});

describe('a GBK CSV (Excel on Chinese Windows) imports like the UTF-8 one', () => {
  beforeAll(reset);

  it('same staff, and re-importing the UTF-8 file changes nothing', async () => {
    const gbk = iconv.encode(STAFF_CSV, 'gbk');
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(gbk)).toThrow();
    expect(await ok('staff', gbk)).toMatchObject({ created: 3, updated: 0 });
    expect((await staffView()).staff).toEqual(EXPECTED_STAFF);
    expect(await ok('staff', STAFF_CSV)).toMatchObject({ created: 0, updated: 0 });
  });
});

describe('big files: capped answers, row cap, background jobs', () => {
  beforeEach(reset);

  it(`lists at most ${MAX_LISTED} errors, with errorCount and truncated`, async () => {
    await ok('staff', STAFF_CSV);
    const bad = Array.from({ length: MAX_LISTED + 100 }, (_, i) => kid({ child_name: `坏${i}`, birth_date: '2016-02-30' }));
    const res = await post('roster', rosterCsv([kid(), ...bad]));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 1, updated: 0, errorCount: MAX_LISTED + 100, truncated: true });
    expect(res.body.errors).toHaveLength(MAX_LISTED);
    expect(res.body.errors[0]).toEqual({ row: 3, field: 'birth_date', message: expect.any(String) });
    // A clean file says so too.
    expect(await ok('roster', rosterCsv([kid()]))).toMatchObject({ errorCount: 0, truncated: false });
  });

  it(`refuses a file of more than ${MAX_ROWS} rows at once, saying so`, async () => {
    const line = `${toCsv([table(ROSTER_KEYS, [kid()], 'zh')[1]])}\n`;
    const body = `${ROSTER_KEYS.map(([, zh]) => zh).join(',')}\n${line.repeat(MAX_ROWS + 20)}`;
    const res = await post('roster', body, { query: '?dryRun=1' });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ row: 0, field: 'file', message: expect.stringContaining(String(MAX_ROWS)) }]);
    expect(await counts()).toEqual(EMPTY);
  }, 120_000);

  async function follow(jobId: string): Promise<{ status: string; processed: number; total: number; result?: Record<string, unknown> }> {
    for (let i = 0; i < 600; i++) {
      const res = await t.http.get(`/api/import/jobs/${jobId}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      expect(res.status).toBe(200);
      if (res.body.status !== 'running') return res.body;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('import job did not finish');
  }

  it(`a file of more than ${BACKGROUND_ROWS} rows runs as a job: 202 {jobId}, then {status, processed, total, result}`, async () => {
    const n = BACKGROUND_ROWS + 1;
    const files = await generateRoster(n);
    expect(await ok('staff', files.staff)).toMatchObject({ created: files.teachers });
    const res = await post('roster', files.roster);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ jobId: expect.any(String), status: 'running', total: n });
    const job = await follow(res.body.jobId);
    expect(job).toMatchObject({ status: 'done', processed: n, total: n });
    expect(job.result).toMatchObject({ created: n, updated: 0, errors: [], errorCount: 0, truncated: false });
    expect(await Child.countDocuments({})).toBe(n);
    expect(await FamilyMember.countDocuments({})).toBe(3 * n);
    expect(await Pairing.countDocuments({})).toBe(n);
    // Every binding code distinct across the org.
    expect(new Set((await FamilyMember.find({}, { code: 1 }).lean()).map((m) => m.code)).size).toBe(3 * n);
    // The same file again, as a job too: changes nothing.
    const before = await snapshot();
    const again = await follow((await post('roster', files.roster)).body.jobId);
    expect(again.result).toMatchObject({ created: 0, updated: 0, errorCount: 0 });
    expect(await snapshot()).toBe(before);
    expect(await AuditLog.countDocuments({ action: 'import.roster' })).toBe(2);
  }, 300_000);

  it('?background=1 makes a small file a job too, and a dry run job writes nothing', async () => {
    await ok('staff', STAFF_CSV);
    const res = await post('roster', ROSTER_CSV, { query: '?background=1&dryRun=1' });
    expect(res.status).toBe(202);
    const job = await follow(res.body.jobId);
    expect(job).toMatchObject({ status: 'done', result: { created: 3, updated: 0, dryRun: true } });
    expect(await Child.countDocuments({})).toBe(0);
  });

  it('a job whose process died shows as failed, saying to import again; month-old jobs are pruned', async () => {
    const orgId = t.app.context.orgId;
    const alive = await ImportJob.create({ orgId, kind: 'roster', total: 5000, beatAt: new Date(Date.now() - 30_000) });
    const longAgo = new Date(Date.now() - STALE_JOB_MS - 60_000);
    const dead = await ImportJob.create({ orgId, kind: 'roster', total: 5000, beatAt: longAgo });
    await ImportJob.collection.updateOne({ _id: dead._id }, { $set: { updatedAt: longAgo } });
    const view = async (id: unknown) => (await t.http.get(`/api/import/jobs/${String(id)}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`)).body;
    expect(await view(alive._id)).toMatchObject({ status: 'running' });
    expect(await view(dead._id)).toMatchObject({ status: 'failed', error: DIED_MESSAGE });
    expect((await ImportJob.findById(dead._id).lean())?.status).toBe('failed');

    const old = await ImportJob.create({ orgId, kind: 'staff', status: 'done', total: 3 });
    await ImportJob.collection.updateOne({ _id: old._id }, { $set: { createdAt: new Date(Date.now() - 31 * 24 * 3600_000) } });
    expect(await pruneImportJobs()).toBe(1);
    expect(await ImportJob.exists({ _id: old._id })).toBeNull();
    expect(await ImportJob.exists({ _id: alive._id })).not.toBeNull();
  });

  it('an unknown or malformed job id is a 404, and jobs need the token', async () => {
    for (const id of ['0123456789abcdef01234567', 'nope', '%E0%A4%A']) {
      const res = await t.http.get(`/api/import/jobs/${id}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      expect([400, 404]).toContain(res.status);
      expect(res.body.error).toEqual(expect.any(String));
    }
    expect((await t.http.get('/api/import/jobs/0123456789abcdef01234567')).status).toBe(401);
  });
});

describe('simulator API: bad JSON', () => {
  it('malformed JSON to /sim/messages is a 400 with a message', async () => {
    const res = await t.http.post('/sim/messages').set('Content-Type', 'application/json').send('{"from": "x", "text": ');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('bad_json');
    expect(res.body.message).toEqual(expect.stringContaining('JSON'));
  });

  it('valid JSON of the wrong shape is a 400 naming the field', async () => {
    const res = await t.http.post('/sim/messages').send({ text: 'hi' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('bad_request');
    expect(res.body.message).toContain('from');
  });
});

describe('最多帮扶人数 0: staff who pair no child (issue 10)', () => {
  // A principal and a 德育主任 who take no child, beside one teacher with one place. Last in the file: it moves the clock.
  const STAFF = staffCsv([
    { school: '阳光小学', name: '王校长', wecom_userid: 'p-zero', role: '校长', max_children: '0' },
    { school: '阳光小学', name: '周主任', wecom_userid: 'm-zero', role: '德育主任', max_children: '0' },
    { school: '阳光小学', name: '空老师', wecom_userid: 'one-place', role: '教师', max_children: '1' },
  ]);
  const ROSTER = rosterCsv([
    kid({ child_name: '零一', teacher_wecom_userid: '' }),
    kid({ child_name: '零二', teacher_wecom_userid: '' }),
  ]);

  beforeAll(reset);

  it('accepts 0: the staff members exist with maxChildren 0', async () => {
    expect(await ok('staff', STAFF)).toMatchObject({ created: 3, updated: 0 });
    const zero = await Staff.find({ wecomUserId: { $in: ['p-zero', 'm-zero'] } }).sort({ wecomUserId: 1 }).lean();
    expect(zero.map((s) => [s.wecomUserId, s.role, s.maxChildren])).toEqual([['m-zero', 'moral_director', 0], ['p-zero', 'principal', 0]]);
    expect(await Identity.countDocuments({ address: { $in: ['p-zero', 'm-zero'] }, kind: 'staff' })).toBe(2);
  });

  it('a value out of range names 0 to 20 as the allowed range', async () => {
    const res = await post('staff', staffCsv([{ school: '阳光小学', name: '多老师', wecom_userid: 'too-many', max_children: '21' }]));
    expect(res.body.errors).toEqual([expect.objectContaining({ row: 2, field: 'max_children', message: expect.stringContaining('0 到 20') })]);
  });

  it('is never proposed for a child: the second child stays unpaired', async () => {
    const body = await ok('roster', ROSTER);
    expect(body.proposed).toEqual([expect.objectContaining({ child: '零一', wecomUserId: 'one-place' })]);
    expect(body.unpaired).toEqual([expect.objectContaining({ child: '零二' })]);
    for (const id of ['p-zero', 'm-zero']) {
      const staff = (await Staff.findOne({ wecomUserId: id }).lean())!;
      expect(await Pairing.countDocuments({ teacherId: staff._id })).toBe(0);
    }
  });

  it('is reached by the urgent ladder: the principal after 30 min, both leaders with the summary', async () => {
    await t.setClock('2031-03-03T10:00:00+08:00');
    const card = (await cards()).find((c) => c.child === '零一')!;
    await t.say('zero-gm', card.codes.find((c) => c.for === 'guardian')!.code);
    const reply = (await t.say('zero-gm', '孩子找不到了'))[0];
    const number = Number(/#(\d+)|编号(\d+)/.exec(reply)!.slice(1).find(Boolean));
    const about = async (who: string, words: string) => (await t.inbox(who)).filter((m) => m.text.includes(`#${number}`) && m.text.includes(words));
    await t.setClock('2031-03-03T10:31:00+08:00');
    expect(await about('p-zero', '分钟无人确认')).toHaveLength(1);
    await t.setClock('2031-03-03T12:01:00+08:00');
    expect(await about('p-zero', '情况汇总')).toHaveLength(1);
    expect(await about('m-zero', '情况汇总')).toHaveLength(1);
  });
});
