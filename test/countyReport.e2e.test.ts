/**
 * The county report (issue 11, item 6) end to end: a known roster of two schools, November 2026 lived through the
 * simulator (bindings, letter reminders, notes, family calls, teachers' contacts, three concern cases), then
 * GET /api/reports/county.xlsx read back with exceljs and GET /api/reports/summary, both with exact numbers; the scope
 * of each caller; the monthly 通报 on 2 December at 09:00 (once, each principal only their school's numbers, county
 * staff the county's, voice style with the link apart); and a county of 2,000 seeded children.
 *
 * Cast: 阳光小学 — 孙校长 `sun` (principal), 张丽 `zhang` (head teacher of 三年级1班; pairs 王小明, 王小华), 李伟 `li`
 * (pairs 李小红, 陈小军, 刘小芳); 希望小学 — 周校长 `zhou` (principal, voice style), 赵强 `zhao` (pairs 赵小花, 钱小龙);
 * 钱科长 `qian` (county, 教育局). Everyone imported and paired on Mon 2026-11-02 10:00 (Asia/Shanghai).
 */
import * as ExcelJS from 'exceljs';
import type { Response } from 'supertest';
import { recordCallOutcome } from '../src/domain/calls';
import { gradeOf, gradeRank } from '../src/domain/countyReport';
import { openSession } from '../src/domain/signIn';
import { Child } from '../src/models/child';
import { Claim } from '../src/models/claim';
import { Concern } from '../src/models/concern';
import { School } from '../src/models/school';
import { Staff } from '../src/models/staff';
import { reportJobs } from '../src/scheduler/reportJobs';
import { Scheduler } from '../src/scheduler/scheduler';
import { seedCounty } from './helpers/county';
import { ADMIN_TOKEN, startTestApp, TestApp } from './helpers/testApp';

const STAFF = [
  '学校,姓名,企业微信账号,电话,职务,班级,党员,最多帮扶人数,教师群',
  '阳光小学,孙校长,sun,13900000001,校长,,是,0,',
  '阳光小学,张丽,zhang,13900001111,班主任,三年级1班,是,3,',
  '阳光小学,李伟,li,13900002222,教师,,否,3,',
  '希望小学,周校长,zhou,13900003333,校长,,是,0,',
  '希望小学,赵强,zhao,13900004444,教师,,否,3,',
].join('\n');
const ROSTER = [
  '学校,班级,学生姓名,性别,出生日期,学号,留守类型,监护情况,寄宿,重点帮扶,父亲姓名,父亲电话,父亲务工地,母亲姓名,母亲电话,母亲务工地,监护人姓名,监护人关系,监护人电话,监护人年龄,监护人文化程度,帮扶教师企业微信账号',
  '阳光小学,三年级1班,王小明,男,2016-05-12,,双亲外出,祖辈,否,是,王建国,13800138001,广东东莞,刘芳,13800138002,浙江义乌,王奶奶,祖母,13800138003,68,不识字,zhang',
  '阳光小学,三年级1班,王小华,女,2018-02-20,,双亲外出,祖辈,否,否,王建国,13800138001,广东东莞,刘芳,13800138002,浙江义乌,王奶奶,祖母,13800138003,68,不识字,zhang',
  '阳光小学,三年级1班,李小红,女,2016-09-03,,父亲外出,母亲,是,否,李强,13800138011,江苏苏州,陈梅,13800138012,,,,,,,li',
  '阳光小学,三年级2班,陈小军,男,2016-03-03,,双亲外出,祖辈,否,否,陈大,13800138021,广东深圳,,,,陈奶奶,祖母,13800138023,70,小学,li',
  // No 监护情况: the record is not complete.
  '阳光小学,五年级1班,刘小芳,女,2014-07-07,,母亲外出,,否,否,刘大,13800138041,,,,,,,,,,li',
  '希望小学,一年级1班,赵小花,女,2019-01-09,,双亲外出,祖辈,否,否,赵大,13800138031,福建厦门,,,,赵奶奶,祖母,13800138033,66,不识字,zhao',
  // No family member on file: not complete either. "1年级" is the same grade as "一年级".
  '希望小学,1年级2班,钱小龙,男,2019-03-03,,单亲外出,其他亲属,是,否,,,,,,,,,,,,zhao',
].join('\n');

const SUN = ['王小明', '王小华', '李小红', '陈小军', '刘小芳'];
const HOPE = ['赵小花', '钱小龙'];
const PHONE = /1[3-9]\d{9}/;
const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const BULLETIN = '留守儿童关爱通报';

let t: TestApp;
let orgId: string;
const at = (local: string) => t.setClock(`${local}+08:00`);

/** A signed-in staff member's browser headers. */
async function as(userid: string): Promise<Record<string, string>> {
  const s = await openSession(orgId, userid, 'chat', t.app.context.clock.now());
  return { Cookie: `liushou_session=${s.token}` };
}

function binary(res: Response, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

async function workbook(headers: Record<string, string>, query = '?month=2026-11'): Promise<ExcelJS.Workbook> {
  const res = await t.http.get(`/api/reports/county.xlsx${query}`).set(headers).buffer(true).parse(binary);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toContain('spreadsheetml');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(res.body as unknown as Parameters<typeof wb.xlsx.load>[0]);
  return wb;
}

/** A sheet's rows as objects keyed by the header row. */
function rows(wb: ExcelJS.Workbook, sheet: string): Array<Record<string, unknown>> {
  const ws = wb.getWorksheet(sheet)!;
  const values = ws.getSheetValues() as unknown[][];
  const header = values[1].slice(1) as string[];
  // A blank cell reads back as nothing: null here.
  return values.slice(2).filter(Boolean).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i + 1] === '' ? null : r[i + 1] ?? null])));
}

const summary = (headers: Record<string, string>, month = '2026-11') => t.http.get(`/api/reports/summary?month=${month}`).set(headers);

beforeAll(async () => {
  t = await startTestApp({ PUBLIC_URL: 'https://school.example.cn' });
  orgId = t.app.context.orgId;
  await at('2026-11-02T10:00:00');
  expect((await t.importCsv('staff', STAFF)).body.errors).toEqual([]);
  expect((await t.importCsv('roster', ROSTER)).body.errors).toEqual([]);
  const school = await School.findOne({ orgId, name: '阳光小学' }).lean();
  await Staff.create({ orgId, schoolId: school!._id, name: '钱科长', wecomUserId: 'qian', role: 'county', maxChildren: 0 });
  // Bound: 王小明 father + guardian, 王小华 father, 李小红 father, 赵小花 father.
  await t.say('dad', await t.code('王小明', 'father'));
  await t.say('dad', await t.code('王小华', 'father'));
  await t.say('grandma', await t.code('王小明', 'guardian'));
  await t.say('lq', await t.code('李小红', 'father'));
  await t.say('zhaodad', await t.code('赵小花', 'father'));
  await t.say('zhou', '语音模式');

  // Family calls as the after-call answers log them: October's does not count for November.
  const id = async (name: string) => String((await Child.findOne({ name }).lean())!._id);
  const services = t.app.context.services;
  for (const [child, date, outcome] of [
    ['王小明', '2026-10-31', 'done'], ['王小明', '2026-11-07', 'done'], ['王小明', '2026-11-14', 'missed'],
    ['李小红', '2026-11-14', 'done'], ['赵小花', '2026-11-14', 'missed'],
  ] as const) {
    await recordCallOutcome(services, t.app.context.clock.now(), {
      childId: await id(child), date, at: new Date(`${date}T19:00:00+08:00`), outcome, answered: true,
    }, 2);
  }

  // The 10th at 19:00: the bound fathers are reminded to write (dad for two children, lq, zhaodad).
  await at('2026-11-10T19:00:00');
  // Notes for 王小明 (by message) and 李小红 (through the API); a home visit to 李小红.
  await at('2026-11-16T10:00:00');
  expect((await t.say('zhang', '成长记录 王小明：本月数学进步明显，和同学相处融洽。'))[0]).toContain('王小明 2026年11月');
  expect((await t.http.post('/api/notes').set(auth).send({ teacher: 'li', childId: await id('李小红'), text: '住校生活适应得很好。' })).status).toBe(201);
  expect((await t.http.post('/api/contacts').set(auth).send({ teacher: 'li', childId: await id('李小红'), kind: 'home_visit', key: 'visit-1' })).status).toBe(201);

  // Three cases: #1 urgent from 王小明's grandmother (his mother is not bound: her notice cannot be kept), answered;
  // #2 urgent from 李小红's father (no guardian: only the leadership's notice is required), not answered;
  // #3 an ordinary one from 赵小花's father.
  await at('2026-11-20T10:00:00');
  // (The grandmother, in voice style, hears "编号1".)
  expect((await t.say('grandma', '孩子发高烧了'))[0]).toContain('编号1');
  expect((await t.say('lq', '孩子发高烧了'))[0]).toContain('#2');
  expect((await t.say('zhaodad', '孩子最近不想上学，成绩下降'))[0]).toContain('#3');
  await t.say('zhang', '#1 收到');
  // After 90 minutes the principal's summary goes out, within the rule's 2 hours.
  await at('2026-11-20T11:40:00');
  expect((await Concern.find({}).sort({ number: 1 }).lean()).map((c) => [c.number, c.urgency, !!c.acknowledgedAt])).toEqual([
    [1, 'urgent', true], [2, 'urgent', false], [3, 'normal', false],
  ]);

  // The last Monday of November: 张丽 talks with 王小明.
  await at('2026-11-30T10:00:00');
  expect((await t.say('zhang', '谈心 王小明 聊了期末复习'))[0]).toContain('已登记');
  // The 1st at 19:00: the written notes go to the families.
  await at('2026-12-01T19:00:00');
}, 180_000);
afterAll(async () => { await t?.stop(); });

describe('grade from the class name', () => {
  it('reads 三年级1班, 3年级2班, 初一(2)班 alike, and says nothing for a name without a grade', () => {
    expect(['三年级1班', '3年级2班', '十一年级', '初一(2)班', '初2班', '高三1班', '学前班'].map(gradeOf))
      .toEqual(['三年级', '三年级', '十一年级', '初一', '初二', '高三', null]);
    expect(['一年级', '六年级', '初一', '高三', null].map(gradeRank)).toEqual([1, 6, 7, 12, 99]);
  });
});

describe('GET /api/reports/summary', () => {
  it('answers the month\'s numbers: totals, per school, per class, per teacher', async () => {
    const res = await summary(auth);
    expect(res.status).toBe(200);
    const b = res.body;
    expect(b).toMatchObject({ month: '2026-11', timeZone: 'Asia/Shanghai', at: '2026-11-30T15:59:59.999Z', grades: ['一年级', '三年级', '五年级'] });
    expect(b.totals.roster).toEqual({
      children: 7,
      leftBehind: { both: 4, father: 1, mother: 1, single_parent: 1, unknown: 0 },
      livingWith: { grandparents: 4, relatives: 1, proxy: 0, alone: 0, father: 0, mother: 1, unknown: 1 },
      gender: { male: 3, female: 4, unknown: 0 },
      grades: { 一年级: 2, 三年级: 4, 五年级: 1 },
      boarding: 2, priority: 1, paired: 7, complete: 5,
      bound: { father: 4, mother: 0, guardian: 1, anyParent: 4 },
    });
    const kinds = (talk: number[], call: number[], visit: number[], consolation: number[], meeting: number[]) => {
      const k = (x: number[]) => ({ done: x[0], due: x[1], overdue: x[2], children: x[0] + x[1] + x[2] });
      return { talk: k(talk), teacher_call: k(call), home_visit: k(visit), consolation: k(consolation), meeting: k(meeting) };
    };
    expect(b.totals.care).toEqual({
      notes: { expected: 7, written: 2, delivered: 2, missing: 5 },
      calls: { done: 2, missed: 2 },
      letters: { reminded: 4 },
      // At the month's end (Mon 30 Nov is in a new week): a talk with 王小明 that week; the others had none the week
      // before (overdue). The home visit to 李小红 this quarter. Nothing else yet, and nothing overdue: paired in November.
      contacts: { logged: 2, kinds: kinds([1, 0, 6], [0, 7, 0], [1, 6, 0], [0, 7, 0], [0, 7, 0]) },
      cases: { opened: 3, urgent: 2, answered: 1, withRule: 2, onTime: 1, onTimeRate: 0.5 },
    });

    const school = (name: string) => b.schools.find((s: { school: string }) => s.school === name);
    expect(b.schools.map((s: { school: string }) => s.school)).toEqual(['希望小学', '阳光小学']);
    expect(school('阳光小学').roster).toMatchObject({
      children: 5, leftBehind: { both: 3, father: 1, mother: 1, single_parent: 0, unknown: 0 },
      livingWith: { grandparents: 3, mother: 1, unknown: 1, relatives: 0 }, gender: { male: 2, female: 3, unknown: 0 },
      grades: { 三年级: 4, 五年级: 1 }, boarding: 1, priority: 1, complete: 4, bound: { father: 3, mother: 0, guardian: 1, anyParent: 3 },
    });
    expect(school('阳光小学').care).toMatchObject({
      notes: { expected: 5, written: 2, delivered: 2, missing: 3 }, calls: { done: 2, missed: 1 }, letters: { reminded: 3 },
      contacts: { logged: 2, kinds: kinds([1, 0, 4], [0, 5, 0], [1, 4, 0], [0, 5, 0], [0, 5, 0]) },
      cases: { opened: 2, urgent: 2, answered: 1, withRule: 2, onTime: 1, onTimeRate: 0.5 },
    });
    expect(school('希望小学').roster).toMatchObject({
      children: 2, leftBehind: { both: 1, single_parent: 1 }, livingWith: { grandparents: 1, relatives: 1 }, grades: { 一年级: 2 },
      boarding: 1, priority: 0, complete: 1, bound: { father: 1, guardian: 0, anyParent: 1 },
    });
    expect(school('希望小学').care).toMatchObject({
      notes: { expected: 2, written: 0, delivered: 0, missing: 2 }, calls: { done: 0, missed: 1 }, letters: { reminded: 1 },
      contacts: { logged: 0 }, cases: { opened: 1, urgent: 0, answered: 0, withRule: 0, onTime: 0, onTimeRate: null },
    });

    expect(b.classes.map((c: { school: string; class: string; grade: string; headTeacher: string | null; roster: { children: number } }) =>
      [c.school, c.class, c.grade, c.headTeacher, c.roster.children])).toEqual([
      ['希望小学', '1年级2班', '一年级', null, 1],
      ['希望小学', '一年级1班', '一年级', null, 1],
      ['阳光小学', '三年级1班', '三年级', '张丽', 3],
      ['阳光小学', '三年级2班', '三年级', null, 1],
      ['阳光小学', '五年级1班', '五年级', null, 1],
    ]);
    const cls = b.classes.find((c: { class: string }) => c.class === '三年级1班');
    // The console's drill-down goes from a school to its classes by id.
    expect(cls.schoolId).toBe(school('阳光小学').schoolId);
    expect(cls.care).toMatchObject({ notes: { expected: 3, written: 2, missing: 1 }, letters: { reminded: 3 }, cases: { opened: 2 } });

    expect(b.teachers.map((x: { teacher: string; school: string; children: number; care: { notes: { written: number; missing: number }; calls: unknown; cases: { opened: number; onTime: number } } }) =>
      [x.school, x.teacher, x.children, x.care.notes.written, x.care.notes.missing, x.care.calls, x.care.cases.opened, x.care.cases.onTime])).toEqual([
      ['希望小学', '赵强', 2, 0, 2, { done: 0, missed: 1 }, 1, 0],
      ['阳光小学', '李伟', 3, 1, 2, { done: 1, missed: 0 }, 1, 1],
      ['阳光小学', '张丽', 2, 1, 1, { done: 1, missed: 1 }, 1, 0],
    ]);
  });

  it('defaults to this month; refuses a month to come and a malformed one', async () => {
    const now = await t.http.get('/api/reports/summary').set(auth);
    expect(now.status).toBe(200);
    expect(now.body.month).toBe('2026-12');
    expect(now.body.totals.care.notes).toEqual({ expected: 7, written: 0, delivered: 0, missing: 7 });
    expect((await summary(auth, '2027-01')).status).toBe(400);
    expect((await summary(auth, '2026-13')).status).toBe(400);
    expect((await t.http.get('/api/reports/summary?month=2026-11&x=1').set(auth)).status).toBe(400);
  });
});

describe('GET /api/reports/county.xlsx', () => {
  let wb: ExcelJS.Workbook;
  beforeAll(async () => { wb = await workbook(auth); });

  it('has the three sheets, each with a frozen header row, filters and sized columns', () => {
    expect(wb.worksheets.map((w) => w.name)).toEqual(['花名册', '统计', '关爱落实']);
    for (const ws of wb.worksheets) {
      expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
      expect(ws.autoFilter).toBeTruthy();
      const widths = (ws.columns ?? []).map((c) => c.width ?? 0);
      expect(widths.length).toBeGreaterThan(3);
      expect(Math.min(...widths)).toBeGreaterThanOrEqual(6);
    }
  });

  it('花名册: one row per child with the record, the pairing teacher and the binding; no phone numbers', () => {
    const list = rows(wb, '花名册');
    expect(list.map((r) => r['学生姓名']).sort()).toEqual([...SUN, ...HOPE].sort());
    const ming = list.find((r) => r['学生姓名'] === '王小明')!;
    expect(ming).toMatchObject({
      学校: '阳光小学', 班级: '三年级1班', 年级: '三年级', 性别: '男', 出生日期: '2016-05-12', 留守类型: '双亲外出', 监护情况: '祖辈',
      寄宿: '否', 重点帮扶: '是', 父亲姓名: '王建国', 父亲务工地: '广东东莞', 母亲姓名: '刘芳', 监护人姓名: '王奶奶', 监护人关系: '祖母',
      监护人年龄: 68, 监护人文化程度: '不识字', 帮扶教师: '张丽', 档案完整: '是', 父亲已绑定: '是', 母亲已绑定: '否', 监护人已绑定: '是',
    });
    expect(list.find((r) => r['学生姓名'] === '刘小芳')).toMatchObject({ 监护情况: '未填', 档案完整: '否', 母亲已绑定: '无', 帮扶教师: '李伟', 年级: '五年级' });
    expect(list.find((r) => r['学生姓名'] === '钱小龙')).toMatchObject({ 年级: '一年级', 留守类型: '单亲外出', 档案完整: '否', 父亲已绑定: '无', 寄宿: '是' });
    // No phone column, no phone anywhere, no binding code.
    expect(Object.keys(ming).some((h) => h.includes('电话'))).toBe(false);
    const all = JSON.stringify(wb.worksheets.map((ws) => ws.getSheetValues()));
    expect(all).not.toMatch(PHONE);
  });

  it('统计: counts per school and class', () => {
    const list = rows(wb, '统计');
    expect(list.map((r) => [r['范围'], r['学校'], r['班级']])).toEqual([
      ['合计', null, null], ['学校', '希望小学', null], ['班级', '希望小学', '1年级2班'], ['班级', '希望小学', '一年级1班'],
      ['学校', '阳光小学', null], ['班级', '阳光小学', '三年级1班'], ['班级', '阳光小学', '三年级2班'], ['班级', '阳光小学', '五年级1班'],
    ]);
    const sun = list.find((r) => r['范围'] === '学校' && r['学校'] === '阳光小学')!;
    expect(sun).toMatchObject({
      留守儿童数: 5, '留守类型：双亲外出': 3, '留守类型：父亲外出': 1, '留守类型：母亲外出': 1, '留守类型：单亲外出': 0,
      '监护情况：祖辈': 3, '监护情况：母亲': 1, '监护情况：未填': 1, 寄宿: 1, '性别：男': 2, '性别：女': 3, 三年级: 4, 五年级: 1, 一年级: 0,
      重点帮扶: 1, 已结对: 5, 档案完整: 4, 父亲已绑定: 3, 母亲已绑定: 0, 监护人已绑定: 1, 至少一位家长已绑定: 3,
    });
    expect(list[0]).toMatchObject({ 留守儿童数: 7, 一年级: 2, 档案完整: 5, '留守类型：单亲外出': 1, '监护情况：其他亲属': 1 });
    expect(list.find((r) => r['班级'] === '三年级1班')).toMatchObject({ 年级: '三年级', 班主任: '张丽', 留守儿童数: 3, 寄宿: 1 });
  });

  it('关爱落实: the month\'s notes, calls, letters, contacts and cases per school and teacher', () => {
    const list = rows(wb, '关爱落实');
    expect(list.map((r) => [r['范围'], r['学校'], r['帮扶教师']])).toEqual([
      ['合计', null, null], ['学校', '希望小学', null], ['教师', '希望小学', '赵强'], ['学校', '阳光小学', null], ['教师', '阳光小学', '李伟'], ['教师', '阳光小学', '张丽'],
    ]);
    expect(list[0]).toMatchObject({
      帮扶儿童: 7, 成长记录应写: 7, 成长记录已写: 2, 成长记录已送达: 2, 成长记录未写: 5, 亲情电话已通: 2, 亲情电话未通: 2, '书信提醒（人）': 4,
      本月登记联系: 2, '谈心：完成': 1, '谈心：逾期': 6, '家访：完成': 1, '家访：待办': 6, '电话家长：待办': 7,
      反映情况: 3, 其中紧急: 2, 已回应: 1, 适用时限: 2, 按时: 1, 按时率: 0.5,
    });
    expect(list.find((r) => r['帮扶教师'] === '张丽')).toMatchObject({
      帮扶儿童: 2, 成长记录已写: 1, 成长记录未写: 1, 亲情电话已通: 1, 亲情电话未通: 1, '书信提醒（人）': 2, '谈心：完成': 1, '谈心：逾期': 1,
      反映情况: 1, 适用时限: 1, 按时: 0, 按时率: 0,
    });
    expect(list.find((r) => r['学校'] === '希望小学' && r['范围'] === '学校')).toMatchObject({ 成长记录未写: 2, 反映情况: 1, 适用时限: 0, 按时率: null });
  });

  it('lang=en: English headers, the sheets keep their names', async () => {
    const en = await workbook(auth, '?month=2026-11&lang=en');
    expect(en.worksheets.map((w) => w.name)).toEqual(['花名册', '统计', '关爱落实']);
    expect(rows(en, '花名册').find((r) => r.child_name === '王小明')).toMatchObject({ school: '阳光小学', left_behind: 'both', 'pairing teacher': '张丽' });
  });
});

describe('scope', () => {
  it('a principal sees their school only, in both answers', async () => {
    const h = await as('sun');
    const b = (await summary(h)).body;
    expect(b.schools.map((s: { school: string }) => s.school)).toEqual(['阳光小学']);
    expect(b.totals.roster.children).toBe(5);
    expect(b.totals.care.cases).toMatchObject({ opened: 2, onTime: 1 });
    expect(JSON.stringify(b)).not.toMatch(/希望小学|赵强|赵小花|钱小龙/);
    const wb = await workbook(h);
    expect(rows(wb, '花名册').map((r) => r['学生姓名']).sort()).toEqual([...SUN].sort());
    expect(JSON.stringify(wb.worksheets.map((ws) => ws.getSheetValues()))).not.toMatch(/希望小学|赵强|赵小花|钱小龙/);
  });

  it('a teacher gets a report of their paired children only; a head teacher their class and pairs', async () => {
    const li = (await summary(await as('li'))).body;
    expect(li.totals.roster.children).toBe(3);
    expect(li.teachers.map((x: { teacher: string }) => x.teacher)).toEqual(['李伟']);
    expect(li.totals.care.notes).toEqual({ expected: 3, written: 1, delivered: 1, missing: 2 });
    const zhao = await workbook(await as('zhao'));
    expect(rows(zhao, '花名册').map((r) => r['学生姓名']).sort()).toEqual([...HOPE].sort());
    const zhang = (await summary(await as('zhang'))).body;
    // 三年级1班 (王小明, 王小华, 李小红): 李伟's 李小红 too, as the class's head teacher sees it.
    expect(zhang.totals.roster.children).toBe(3);
    expect(zhang.teachers.map((x: { teacher: string; children: number }) => [x.teacher, x.children])).toEqual([['李伟', 1], ['张丽', 2]]);
  });

  it('county staff see every school; families and strangers nothing', async () => {
    expect((await summary(await as('qian'))).body.totals.roster.children).toBe(7);
    expect((await summary(await as('dad'))).status).toBe(401);
    expect((await t.http.get('/api/reports/county.xlsx')).status).toBe(401);
  });

  it('every read is in the audit log, with the schools it concerns', async () => {
    for (const h of [auth, await as('sun'), await as('zhao')]) expect((await summary(h)).status).toBe(200);
    const entries = (await t.http.get('/api/audit?action=read.report&limit=1000').set(auth)).body.entries;
    expect(entries.map((e: { actor: string }) => e.actor)).toEqual(expect.arrayContaining(['admin', 'sun', 'zhao']));
    const sun = await t.http.get('/api/audit?action=read.report&limit=1000').set(await as('sun'));
    expect(sun.body.entries.map((e: { actor: string }) => e.actor)).not.toContain('zhao');
  });
});

describe('the monthly 通报 on the 2nd at 09:00', () => {
  const bulletins = async (address: string) => (await t.inbox(address)).filter((m) => m.text.includes(BULLETIN) || m.text.includes('通报'));

  it('nothing before 09:00', async () => {
    await at('2026-12-02T08:59:00');
    for (const who of ['sun', 'zhou', 'qian']) expect(await bulletins(who)).toEqual([]);
  });

  it('each principal gets their school\'s numbers, county staff the county\'s, with the console link', async () => {
    await at('2026-12-02T09:00:00');
    expect((await bulletins('sun')).map((m) => m.text)).toEqual([[
      '【2026年11月留守儿童关爱通报】阳光小学',
      '在册 5 人，档案完整 4 人，父母至少一方已绑定 3 人。',
      '成长记录：应写 5，已写 2，已送达 2，未写 3。',
      '亲情电话：通话 2 次，未通 1 次；书信提醒 3 人。',
      '五个一：完成 2 项，逾期 4 项。',
      '反映情况 2 件，已回应 1 件；紧急时限按时 1/2。',
      '明细（管理后台）：https://school.example.cn/admin/',
    ].join('\n')]);
    expect((await bulletins('qian')).map((m) => m.text)).toEqual([[
      '【2026年11月留守儿童关爱通报】全县 2 所学校',
      '在册 7 人，档案完整 5 人，父母至少一方已绑定 4 人。',
      '成长记录：应写 7，已写 2，已送达 2，未写 5。',
      '亲情电话：通话 2 次，未通 2 次；书信提醒 4 人。',
      '五个一：完成 2 项，逾期 6 项。',
      '反映情况 3 件，已回应 1 件；紧急时限按时 1/2。',
      '明细（管理后台）：https://school.example.cn/admin/',
    ].join('\n')]);
    // 周校长 is in voice style: the short spoken version of 希望小学's numbers, then the link as text.
    const zhou = await bulletins('zhou');
    expect(zhou.map((m) => [m.style, m.text])).toEqual([
      ['voice', '希望小学11月通报：在册2人，成长记录未写2篇，五个一逾期2项，反映情况1件。明细链接另发。'],
      ['text', '2026年11月通报明细（管理后台）：https://school.example.cn/admin/'],
    ]);
    expect(JSON.stringify(zhou)).not.toContain('阳光');
    // Teachers get none.
    for (const who of ['zhang', 'li', 'zhao']) expect(await bulletins(who)).toEqual([]);
  });

  it('once: not again at the next tick, nor from a second instance', async () => {
    await at('2026-12-02T09:01:00');
    await at('2026-12-02T15:00:00');
    // A second instance that never saw the first one's marker: the keys still hold.
    await Claim.deleteOne({ _id: `countyBulletin:${orgId}:2026-11` });
    const ctx = t.app.context;
    const other = new Scheduler(reportJobs, { orgId, clock: ctx.clock, log: ctx.log, audience: ctx.services, publicUrl: () => ctx.services.publicUrl });
    // (A minute later than the last tick: that minute's lease is the first instance's.)
    expect(await other.runDue(new Date(ctx.clock.now().getTime() + 60_000))).toEqual(['countyBulletin']);
    // Whatever it wrote is due by then and delivered.
    await at('2026-12-02T15:05:00');
    expect(await Claim.exists({ _id: `countyBulletin:${orgId}:2026-11` })).toBeTruthy();
    expect((await bulletins('sun')).length).toBe(1);
    expect((await bulletins('qian')).length).toBe(1);
    expect((await bulletins('zhou')).length).toBe(2);
  });
});

describe('a county of 2,000 children', () => {
  it('builds the report and its counts match the seeded records', async () => {
    const started = Date.now();
    const county = await seedCounty({ orgId, children: 2000, prefix: 'c', at: new Date('2026-09-01T00:00:00+08:00'), notePeriod: '2026-11' });
    expect(county.schoolIds).toHaveLength(4);
    const seeded = Date.now();

    const res = await summary(auth);
    expect(res.status).toBe(200);
    const b = res.body;
    expect(b.totals.roster.children).toBe(2007);
    expect(b.totals.roster.grades).toEqual({ 一年级: 2 + 4 * 160, 二年级: 4 * 160, 三年级: 4 + 4 * 160, 四年级: 4 * 20, 五年级: 1 });
    const schools = b.schools.filter((s: { school: string }) => s.school.startsWith('c第'));
    expect(schools).toHaveLength(4);
    for (const s of schools) {
      expect(s.roster).toMatchObject({
        children: 500, complete: 500, paired: 500, gender: { male: 250, female: 250, unknown: 0 }, priority: 50,
        leftBehind: { both: 500 }, livingWith: { grandparents: 500 }, bound: { father: 500, mother: 500, guardian: 500, anyParent: 500 },
      });
      // Paired since September: November's notes written (not yet sent); no talk last week and no call in October: overdue.
      expect(s.care.notes).toEqual({ expected: 500, written: 500, delivered: 0, missing: 0 });
      expect(s.care.contacts.kinds.talk).toEqual({ done: 0, due: 0, overdue: 500, children: 500 });
      expect(s.care.contacts.kinds.teacher_call).toEqual({ done: 0, due: 0, overdue: 500, children: 500 });
      expect(s.care.contacts.kinds.home_visit).toEqual({ done: 0, due: 500, overdue: 0, children: 500 });
    }
    expect(b.teachers.filter((x: { school: string }) => x.school.startsWith('c第')).reduce((n: number, x: { children: number }) => n + x.children, 0)).toBe(2000);

    const wb = await workbook(auth);
    expect(rows(wb, '花名册')).toHaveLength(2007);
    const stats = rows(wb, '统计');
    expect(stats[0]).toMatchObject({ 留守儿童数: 2007, 档案完整: 2005, 父亲已绑定: 2004 });
    expect(JSON.stringify(wb.worksheets.map((ws) => ws.getSheetValues()))).not.toMatch(PHONE);
    // Printed, not asserted: the machine is shared, so a time bound would be flaky; the test's timeout bounds it.
    console.log(`county report: seeded 2,000 children in ${seeded - started} ms; summary + workbook in ${Date.now() - seeded} ms`);
  }, 600_000);
});
