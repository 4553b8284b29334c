/**
 * Roles from the staff list (职务, issue 10 item 1), end to end: a 教育局 row is county staff who belong to no school,
 * and one person's rows in two schools are one staff record with a further post. Files go in through
 * POST /api/import/staff (bearer token); what comes out is read from the database, GET /api/schools, the scopes of
 * domain/access.ts, roster imports, the concern ladder and the bot's answers to those staff.
 */
import type request from 'supertest';
import { accessOf } from '../src/domain/access';
import { loadCase } from '../src/domain/concernCase';
import { importStaff } from '../src/import/staffImport';
import { readTable } from '../src/import/table';
import { Child } from '../src/models/child';
import { Classroom } from '../src/models/classroom';
import { Concern } from '../src/models/concern';
import { FamilyMember } from '../src/models/familyMember';
import { Identity } from '../src/models/identity';
import { Pairing } from '../src/models/pairing';
import { School } from '../src/models/school';
import { Staff } from '../src/models/staff';
import { ADMIN_TOKEN, startTestApp, TestApp } from './helpers/testApp';

let t: TestApp;
// Three wrong binding codes across the org pause binding and alert the principals (the last describe block).
beforeAll(async () => { t = await startTestApp({ BIND_ORG_MAX_FAILURES: '3' }); });
afterAll(async () => { await t.stop(); });

const DOMAIN = [School, Classroom, Staff, Identity, Child, FamilyMember, Pairing, Concern] as const;

async function reset(): Promise<void> {
  for (const m of DOMAIN) await (m as typeof Staff).deleteMany({});
}

/** Every document of the collections an import writes, timestamps included: "changes nothing" means byte for byte. */
async function snapshot(): Promise<string> {
  const out: unknown[] = [];
  for (const m of DOMAIN) out.push(await (m as typeof Staff).find({}).sort({ _id: 1 }).lean());
  return JSON.stringify(out);
}

const STAFF_HEADER = '学校,姓名,企业微信账号,职务,班级,最多帮扶人数';
const staffCsv = (rows: string[]) => [STAFF_HEADER, ...rows].join('\n');
const ROSTER_HEADER = '学校,班级,学生姓名,出生日期,帮扶教师企业微信账号';
const rosterCsv = (rows: string[]) => [ROSTER_HEADER, ...rows].join('\n');

interface Answer {
  created: number; updated: number; unchanged: number;
  errors: Array<{ row: number; field: string; message: string }>;
  proposed: Array<{ row: number; child: string; wecomUserId: string }>;
  unpaired: Array<{ row: number; child: string }>;
}

async function post(kind: 'staff' | 'roster', body: string, query = ''): Promise<request.Response> {
  return t.http.post(`/api/import/${kind}${query}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`).set('Content-Type', 'text/csv').send(body);
}

/** An import that must succeed without row errors. */
async function ok(kind: 'staff' | 'roster', body: string, query = ''): Promise<Answer> {
  const res = await post(kind, body, query);
  expect(res.status).toBe(200);
  expect(res.body.errors).toEqual([]);
  return res.body;
}

const orgId = async (): Promise<string> => (await Staff.findOne({}).lean())!.orgId;
const schoolId = async (name: string): Promise<string> => String((await School.findOne({ name }).lean())!._id);

/** A staff record by school names: its main post, its further posts, and whether the document has a schoolId at all. */
async function record(wecomUserId: string) {
  const s = (await Staff.findOne({ wecomUserId }).lean())!;
  const names = new Map((await School.find({}).lean()).map((x) => [String(x._id), x.name]));
  const classes = new Map((await Classroom.find({}).lean()).map((x) => [String(x._id), x.name]));
  return {
    school: s.schoolId ? names.get(String(s.schoolId)) : undefined,
    hasSchoolId: 'schoolId' in s,
    role: s.role,
    class: s.classroomId ? classes.get(String(s.classroomId)) : undefined,
    maxChildren: s.maxChildren,
    hasPosts: 'posts' in s,
    posts: (s.posts ?? []).map((p) => ({ school: names.get(String(p.schoolId)), role: p.role, ...(p.classroomId ? { class: classes.get(String(p.classroomId)) } : {}) })),
  };
}

/** A principal's import (the route passes their schools as onlySchools; the rest is the same code). */
async function importAsPrincipal(schools: string[], csv: string) {
  return importStaff(await readTable(Buffer.from(csv, 'utf8')), { orgId: await orgId(), now: new Date(), dryRun: false, showTeacherPhone: false, onlySchools: schools });
}

async function schoolNamesListed(): Promise<string[]> {
  const res = await t.http.get('/api/schools').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  expect(res.status).toBe(200);
  return (res.body as Array<{ name: string }>).map((s) => s.name).sort();
}

/** A case about a child, as a family would have raised it, for the ladder and the answer checks. */
async function caseAbout(child: string, number: number) {
  const c = (await Child.findOne({ name: child }).lean())!;
  return Concern.create({ orgId: c.orgId, number, childId: c._id, schoolId: c.schoolId, raisedBy: `family-of-${child}`, raisedByRole: 'guardian', openedAt: new Date() });
}

// ---------------------------------------------------------------------------------------------------------

describe('职务 教育局: county staff belong to no school', () => {
  const STAFF = staffCsv([
    '某某县教育局,陈科长,chen,教育局,三年级1班,5', // the 学校 cell names the county office; 班级 and 5 are ignored
    ',林干事,lin,县教育局,,',
    '阳光小学,张丽,zhang,教师,,3',
  ]);
  let first: Answer;

  beforeAll(async () => {
    await reset();
    first = await ok('staff', STAFF);
  });

  it('creates them with no school, no class and 最多帮扶人数 0, and creates no school for the county office', async () => {
    expect(first).toMatchObject({ created: 3, updated: 0, unchanged: 0 });
    expect(await record('chen')).toEqual({ school: undefined, hasSchoolId: false, role: 'county', class: undefined, maxChildren: 0, hasPosts: false, posts: [] });
    expect(await record('lin')).toMatchObject({ hasSchoolId: false, role: 'county', maxChildren: 0 });
    expect((await School.find({}).lean()).map((s) => s.name)).toEqual(['阳光小学']);
    expect(await Classroom.countDocuments({})).toBe(0);
    expect(await Identity.countDocuments({ address: { $in: ['chen', 'lin'] }, kind: 'staff' })).toBe(2);
  });

  it('GET /api/schools lists the schools only, not the county office', async () => {
    expect(await schoolNamesListed()).toEqual(['阳光小学']);
  });

  it('importing the same file again changes nothing', async () => {
    const before = await snapshot();
    expect(await ok('staff', STAFF)).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
    expect(await snapshot()).toBe(before);
  });

  it('accessOf gives them county scope; a teacher of the same file has none', async () => {
    const org = await orgId();
    expect(await accessOf(org, 'chen')).toMatchObject({ actor: 'chen', county: true, schools: [], wholeSchools: [], principalOf: [], classes: [] });
    expect(await accessOf(org, 'lin')).toMatchObject({ county: true });
    expect(await accessOf(org, 'zhang')).toMatchObject({ county: false, schools: [await schoolId('阳光小学')], wholeSchools: [] });
  });

  it('are never proposed for a child, and a roster may not name them as a teacher', async () => {
    const res = await post('roster', rosterCsv(['阳光小学,三年级1班,甲,2016-05-12,', '阳光小学,三年级1班,乙,2016-06-12,chen']));
    expect(res.status).toBe(200);
    expect(res.body.errors).toEqual([{ row: 3, field: 'teacher_wecom_userid', message: expect.stringContaining('不是这所学校的') }]);
    expect(res.body.proposed).toEqual([expect.objectContaining({ child: '甲', wecomUserId: 'zhang' })]);
    const county = await Staff.find({ wecomUserId: { $in: ['chen', 'lin'] } }).lean();
    expect(await Pairing.countDocuments({ teacherId: { $in: county.map((s) => s._id) } })).toBe(0);
  });

  it('a county member reporting an incident finds no child: schools report their own', async () => {
    const reply = (await t.say('chen', '紧急 甲 课间摔伤')).join('\n');
    expect(reply).toContain('没有找到学生');
    expect(await Concern.countDocuments({})).toBe(0);
  });

  it("are told of a school's incident with the leadership (the rule: the education authority within 2 hours)", async () => {
    const reply = (await t.say('zhang', '紧急 甲 课间摔伤')).join('\n');
    expect(reply).toMatch(/#\d+/);
    const concern = await Concern.findOne({}).lean();
    const leaders = concern!.requiredNotices.filter((n) => n.role === 'county').map((n) => n.to).sort();
    expect(leaders).toEqual(['chen', 'lin']);
    for (const who of ['chen', 'lin']) expect((await t.inbox(who)).map((m) => m.text).join('\n')).toContain('甲');
    await Concern.deleteMany({});
  });

  it('a teacher who becomes 教育局 loses school and class; back again, they get them back', async () => {
    const asHead = STAFF.replace('阳光小学,张丽,zhang,教师,,3', '阳光小学,张丽,zhang,班主任,三年级1班,3');
    expect(await ok('staff', asHead)).toMatchObject({ created: 0, updated: 1, unchanged: 2 });
    expect(await record('zhang')).toMatchObject({ school: '阳光小学', role: 'head_teacher', class: '三年级1班' });
    expect(await ok('staff', STAFF.replace('阳光小学,张丽,zhang,教师,,3', ',张丽,zhang,教育局,,3'))).toMatchObject({ created: 0, updated: 1, unchanged: 2 });
    expect(await record('zhang')).toEqual({ school: undefined, hasSchoolId: false, role: 'county', class: undefined, maxChildren: 0, hasPosts: false, posts: [] });
    // Re-importing that file is a no-op: nothing stale is left to differ.
    expect(await ok('staff', STAFF.replace('阳光小学,张丽,zhang,教师,,3', ',张丽,zhang,教育局,,3'))).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
    expect(await ok('staff', asHead)).toMatchObject({ created: 0, updated: 1, unchanged: 2 });
    expect(await record('zhang')).toMatchObject({ school: '阳光小学', role: 'head_teacher', class: '三年级1班', maxChildren: 3 });
  });

  it("a principal's import may not make anyone county staff", async () => {
    const before = await snapshot();
    const result = await importAsPrincipal(['阳光小学'], staffCsv(['阳光小学,新人,newbie,教育局,,', '阳光小学,张丽,zhang,班主任,三年级1班,3']));
    expect(result.errors).toEqual([{ row: 2, field: 'role', code: 'role_needs_county' }]);
    expect(result).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    expect(await Staff.countDocuments({ wecomUserId: 'newbie' })).toBe(0);
    expect(await snapshot()).toBe(before);
  });
});

describe('one person in two schools: two rows with the same account, one record with a further post', () => {
  const ROWS = [
    '阳光小学,王双,shuang,校长,,2', // row 2: main post
    '希望小学,王双,shuang,教师,,', // row 3: a post in another school (the person's fields come from row 2)
    '阳光小学,张丽,zhang,教师,,3',
    '希望小学,赵强,zhao,校长,,0',
    '小河小学,刘河,liuhe,教师,,3', // row 6
    '希望小学,刘河,liuhe,德育主任,,', // row 7: a leader's post in another school
    ',陈科长,chen,教育局,,',
  ];
  const STAFF = staffCsv(ROWS);
  const WITHOUT_SECOND = staffCsv(ROWS.filter((r) => r !== '希望小学,王双,shuang,教师,,'));
  let first: Answer;

  beforeAll(async () => {
    await reset();
    first = await ok('staff', STAFF);
  });

  it('stores the first row as the main post and the second as a post; each row counts once', async () => {
    expect(first).toMatchObject({ created: 7, updated: 0, unchanged: 0 });
    expect(await Staff.countDocuments({})).toBe(5);
    expect(await record('shuang')).toEqual({
      school: '阳光小学', hasSchoolId: true, role: 'principal', class: undefined, maxChildren: 2, hasPosts: true,
      posts: [{ school: '希望小学', role: 'teacher' }],
    });
    expect(await record('liuhe')).toMatchObject({ school: '小河小学', role: 'teacher', posts: [{ school: '希望小学', role: 'moral_director' }] });
    expect(await record('zhang')).toMatchObject({ hasPosts: false });
    expect(await schoolNamesListed()).toEqual(['小河小学', '希望小学', '阳光小学'].sort());
  });

  it("accessOf: the union of both posts — whole school where they are 校长, both among their schools", async () => {
    const [org, sun, hope, river] = [await orgId(), await schoolId('阳光小学'), await schoolId('希望小学'), await schoolId('小河小学')];
    const a = (await accessOf(org, 'shuang'))!;
    expect(a).toMatchObject({ county: false, wholeSchools: [sun], principalOf: [sun] });
    expect([...a.schools].sort()).toEqual([sun, hope].sort());
    const l = (await accessOf(org, 'liuhe'))!;
    expect(l).toMatchObject({ county: false, wholeSchools: [hope], principalOf: [] });
    expect([...l.schools].sort()).toEqual([river, hope].sort());
  });

  it('importing the same file again changes nothing', async () => {
    const before = await snapshot();
    expect(await ok('staff', STAFF, '?dryRun=1')).toMatchObject({ created: 0, updated: 0, unchanged: 7 });
    expect(await ok('staff', STAFF)).toMatchObject({ created: 0, updated: 0, unchanged: 7 });
    expect(await snapshot()).toBe(before);
  });

  it("a roster may name them for the second school's children, and proposals there may pick them", async () => {
    const res = await post('roster', rosterCsv([
      '希望小学,一班,希一,2016-01-01,shuang', // row 2: named, their post is in 希望小学
      '小河小学,一班,河一,2016-01-02,shuang', // row 3: no post in 小河小学
      '希望小学,一班,希二,2016-01-03,', // row 4: proposed: shuang teaches here (赵强 is 校长, 刘河 德育主任 with room 3)
      '阳光小学,一班,阳一,2016-01-04,', // row 5: proposed: 张丽, never shuang (校长 here)
      '小河小学,一班,河二,2016-01-05,liuhe',
    ]));
    expect(res.status).toBe(200);
    expect(res.body.errors).toEqual([{ row: 3, field: 'teacher_wecom_userid', message: expect.stringContaining('不是这所学校的') }]);
    expect(res.body.proposed).toEqual([
      expect.objectContaining({ child: '希二', wecomUserId: 'liuhe' }),
      expect.objectContaining({ child: '阳一', wecomUserId: 'zhang' }),
    ]);
    const shuang = (await Staff.findOne({ wecomUserId: 'shuang' }).lean())!;
    const paired = await Pairing.find({ teacherId: shuang._id }).lean();
    expect(await Child.find({ _id: { $in: paired.map((p) => p.childId) } }).distinct('name')).toEqual(['希一']);
  });

  it('proposals count their children in every school against one 最多帮扶人数', async () => {
    // 刘河 (room 3) has 河二 and 希二; shuang (room 2) has 希一: the next 希望小学 child goes to whoever has most room left.
    const res = await ok('roster', rosterCsv(['希望小学,一班,希三,2016-01-06,', '希望小学,一班,希四,2016-01-07,', '希望小学,一班,希五,2016-01-08,']));
    expect(res.proposed.map((p) => [p.child, p.wecomUserId])).toEqual([['希三', 'liuhe'], ['希四', 'shuang']]);
    expect(res.unpaired).toEqual([expect.objectContaining({ child: '希五' })]);
  });

  it("the concern ladder's leaders are those who lead that school, by main post or further post", async () => {
    const org = await orgId();
    const hope = await loadCase(org, await caseAbout('希一', 9001));
    // chen is county staff (教育局): among every school's leadership for the rule's 2-hour notice.
    expect(hope!.leaders.map((s) => s.wecomUserId).sort()).toEqual(['chen', 'liuhe', 'zhao']);
    const sun = await loadCase(org, await caseAbout('阳一', 9002));
    expect(sun!.leaders.map((s) => s.wecomUserId).sort()).toEqual(['chen', 'shuang']);
    const river = await loadCase(org, await caseAbout('河二', 9003));
    expect(river!.leaders.map((s) => s.wecomUserId)).toEqual(['chen']);
  });

  it('staff answer a case of a school they hold a post in; county staff and other schools may not', async () => {
    expect((await t.say('chen', '#9001 收到')).join('\n')).toContain('不是您学校的事项');
    expect((await t.say('zhang', '#9001 收到')).join('\n')).toContain('不是您学校的事项');
    expect((await t.say('shuang', '#9001 收到')).join('\n')).toContain('已确认收到 #9001');
    expect(await Concern.findOne({ number: 9001 }).lean()).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'shuang' });
  });

  it('an incident may be reported about a child of either of their schools', async () => {
    const reply = (await t.say('shuang', '紧急 希二 课间摔伤')).join('\n');
    expect(reply).not.toContain('没有找到学生');
    expect(await Concern.findOne({ incident: true, childId: (await Child.findOne({ name: '希二' }).lean())!._id }).lean()).toMatchObject({ raisedBy: 'shuang' });
  });

  it('a later file without the second row drops that post (updated 1); adding it back creates it', async () => {
    expect(await ok('staff', WITHOUT_SECOND, '?dryRun=1')).toMatchObject({ created: 0, updated: 1, unchanged: 5 });
    expect(await record('shuang')).toMatchObject({ hasPosts: true });
    expect(await ok('staff', WITHOUT_SECOND)).toMatchObject({ created: 0, updated: 1, unchanged: 5 });
    expect(await record('shuang')).toMatchObject({ school: '阳光小学', role: 'principal', hasPosts: false, posts: [] });
    expect((await accessOf(await orgId(), 'shuang'))!.schools).toEqual([await schoolId('阳光小学')]);
    expect(await ok('staff', WITHOUT_SECOND)).toMatchObject({ created: 0, updated: 0, unchanged: 6 });

    expect(await ok('staff', STAFF)).toMatchObject({ created: 1, updated: 0, unchanged: 6 });
    expect(await record('shuang')).toMatchObject({ posts: [{ school: '希望小学', role: 'teacher' }] });
  });

  it('a changed role in the second school is updated 1, and widens their scope', async () => {
    const counselor = STAFF.replace('希望小学,王双,shuang,教师,,', '希望小学,王双,shuang,心理老师,,');
    expect(await ok('staff', counselor)).toMatchObject({ created: 0, updated: 1, unchanged: 6 });
    expect(await record('shuang')).toMatchObject({ posts: [{ school: '希望小学', role: 'counselor' }] });
    expect([...(await accessOf(await orgId(), 'shuang'))!.wholeSchools].sort()).toEqual([await schoolId('阳光小学'), await schoolId('希望小学')].sort());
    expect(await ok('staff', STAFF)).toMatchObject({ created: 0, updated: 1, unchanged: 6 });
  });

  it('rows swapped: the other school becomes the main post', async () => {
    const swapped = staffCsv(['希望小学,王双,shuang,教师,,', '阳光小学,王双,shuang,校长,,2', ...ROWS.slice(2)]);
    expect(await ok('staff', swapped)).toMatchObject({ created: 0, updated: 1, unchanged: 6 });
    expect(await record('shuang')).toMatchObject({ school: '希望小学', role: 'teacher', maxChildren: 3, posts: [{ school: '阳光小学', role: 'principal' }] });
    expect(await ok('staff', STAFF)).toMatchObject({ created: 0, updated: 1, unchanged: 6 });
    expect(await record('shuang')).toMatchObject({ school: '阳光小学', role: 'principal', maxChildren: 2, posts: [{ school: '希望小学', role: 'teacher' }] });
  });

  it('the same school twice, or the same account under another name, is an error of that row', async () => {
    const res = await post('staff', staffCsv([...ROWS, '阳光小学,王双,shuang,教师,,', '白云小学,王三,shuang,教师,,']));
    expect(res.body.errors).toEqual([
      { row: 9, field: 'wecom_userid', message: '“企业微信账号”和第 2 行重复了' },
      { row: 10, field: 'wecom_userid', message: expect.stringContaining('姓名却不同') },
    ]);
    expect(await School.countDocuments({ name: '白云小学' })).toBe(0);
  });

  it("a principal's import changes their own school's posts only: posts elsewhere and the person's fields stay", async () => {
    const before = await snapshot();
    // 阳光小学's principal lists 王双 there only: the post in 希望小学 is not theirs to drop.
    expect(await importAsPrincipal(['阳光小学'], staffCsv(['阳光小学,王双,shuang,校长,,2', '阳光小学,张丽,zhang,教师,,3']))).toMatchObject({ created: 0, updated: 0, unchanged: 2, errors: [] });
    expect(await snapshot()).toBe(before);
    // 希望小学's principal changes 王双's post there; 王双's main post (and 最多帮扶人数) belong to 阳光小学's file.
    const hope = await importAsPrincipal(['希望小学'], staffCsv(['希望小学,王双,shuang,心理老师,,9', '阳光小学,王双,shuang,教师,,9']));
    expect(hope).toMatchObject({ created: 0, updated: 1, unchanged: 0 });
    expect(hope.errors).toEqual([{ row: 3, field: 'school', code: 'school_out_of_scope', params: { value: '阳光小学' } }]);
    expect(await record('shuang')).toMatchObject({ school: '阳光小学', role: 'principal', maxChildren: 2, posts: [{ school: '希望小学', role: 'counselor' }] });
    // 小河小学's principal adds a post for 王双 there, beside the others.
    expect(await importAsPrincipal(['小河小学'], staffCsv(['小河小学,王双,shuang,教师,,']))).toMatchObject({ created: 1, updated: 0, unchanged: 0 });
    expect(await record('shuang')).toMatchObject({
      school: '阳光小学', role: 'principal', maxChildren: 2,
      posts: [{ school: '希望小学', role: 'counselor' }, { school: '小河小学', role: 'teacher' }],
    });
    // The county's file states all of 王双's posts again.
    expect(await ok('staff', STAFF)).toMatchObject({ created: 0, updated: 1, unchanged: 6 });
    expect(await record('shuang')).toMatchObject({ posts: [{ school: '希望小学', role: 'teacher' }] });
  });
});

describe('a principal by a further post is a principal of the org for its alerts', () => {
  beforeAll(async () => {
    await reset();
    await ok('staff', staffCsv(['阳光小学,甲老师,jia,教师,,', '希望小学,甲老师,jia,校长,,0', '希望小学,乙老师,yi,教师,,']));
    // Daytime in Shanghai: at night the alert waits for the end of the quiet hours (a CI run at 23:30 would see none).
    const today = new Date();
    await t.setClock(new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate(), 2, 0) + 86_400_000).toISOString());
  });

  it('is alerted when wrong binding codes pause binding org-wide', async () => {
    for (const who of ['guess-1', 'guess-2', 'guess-3']) await t.say(who, '绑定 ZZZZZZ');
    expect((await t.inbox('jia')).filter((m) => m.text.includes('安全提醒'))).toHaveLength(1);
    expect((await t.inbox('yi')).filter((m) => m.text.includes('安全提醒'))).toHaveLength(0);
  });
});
