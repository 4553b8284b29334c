/**
 * Issue 11: a child's record changed from the console (with history and audit), and re-pairing within the load
 * rules (the child's school, 最多帮扶人数); the child's page carries its notes, contacts and cases.
 */
import { AuditLog } from '../src/models/auditLog';
import { Child } from '../src/models/child';
import { Pairing } from '../src/models/pairing';
import { Staff } from '../src/models/staff';
import { ADMIN_TOKEN, startWithSchool, TestApp } from './helpers/testApp';

let t: TestApp;
const token = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const idOf: Record<string, string> = {};

beforeAll(async () => {
  t = await startWithSchool();
  for (const c of await Child.find({}).lean()) idOf[c.name] = String(c._id);
});
afterAll(async () => { await t.stop(); });

it('changes only what differs, keeps a history entry and an audit entry, and refuses unknown fields', async () => {
  const res = await t.http.patch(`/api/children/${idOf['王小明']}`).set(token).send({ livingWith: 'relatives', boarding: false, priority: true });
  expect(res.status).toBe(200);
  // 王小明 was not boarding and was already a priority: only livingWith changed.
  expect(res.body.changed).toEqual(['livingWith']);
  const page = (await t.http.get(`/api/children/${idOf['王小明']}`).set(token)).body;
  expect(page.livingWith).toBe('relatives');
  expect(page.history.at(-1)).toMatchObject({ source: 'console:admin', changed: ['livingWith'] });
  expect(await AuditLog.countDocuments({ action: 'child.update', target: idOf['王小明'] })).toBe(1);
  expect((await t.http.patch(`/api/children/${idOf['王小明']}`).set(token).send({ name: '改名' })).status).toBe(400);
  expect((await t.http.patch(`/api/children/${idOf['王小明']}`).set(token).send({ leftBehind: 'nobody' })).status).toBe(400);
  // null clears a field.
  expect((await t.http.patch(`/api/children/${idOf['王小明']}`).set(token).send({ studentNo: null })).body.changed).toEqual([]);
  expect((await t.http.patch(`/api/children/${idOf['王小明']}`).set(token).send({ gender: null })).body.changed).toEqual(['gender']);
  expect((await Child.findById(idOf['王小明']).lean())!.gender).toBeUndefined();
});

it('re-pairs within the load rules: same school, room left; the old pairing ends', async () => {
  const put = (child: string, teacher: string) => t.http.put(`/api/children/${idOf[child]}/teacher`).set(token).send({ teacher });
  // 赵强 teaches at 希望小学.
  expect((await put('李小红', 'zhao')).body.error).toBe('other_school');
  expect((await put('李小红', 'nobody')).body.error).toBe('no_teacher');
  // 张丽 pairs 王小明 and 王小华; with 最多帮扶人数 2 she has no room left.
  await Staff.updateOne({ wecomUserId: 'zhang' }, { $set: { maxChildren: 2 } });
  const full = await put('李小红', 'zhang');
  expect(full.status).toBe(409);
  expect(full.body).toMatchObject({ error: 'full' });
  await Staff.updateOne({ wecomUserId: 'zhang' }, { $set: { maxChildren: 3 } });
  const ok = await put('李小红', 'zhang');
  expect(ok.status).toBe(200);
  // 李伟 is not a party member: no warning.
  expect(ok.body).toEqual({ teacher: { name: '张丽', wecomUserId: 'zhang' }, unchanged: false, warnings: [] });
  const current = await Pairing.find({ childId: idOf['李小红'], until: { $exists: false } }).lean();
  expect(current).toHaveLength(1);
  expect((await t.http.get(`/api/children/${idOf['李小红']}`).set(token)).body.teacher.name).toBe('张丽');
  expect((await put('李小红', 'zhang')).body.unchanged).toBe(true);
  expect(await AuditLog.countDocuments({ action: 'child.repair', target: idOf['李小红'] })).toBe(1);
});

it("the child's page lists its notes, contacts and cases", async () => {
  const note = await t.http.post('/api/notes').set(token).send({ teacher: 'zhang', childId: idOf['王小华'], text: '本月识字进步很快。' });
  expect([200, 201]).toContain(note.status);
  expect((await t.http.post('/api/contacts').set(token).send({ teacher: 'zhang', childId: idOf['王小华'], kind: 'talk', note: '聊了学校的事' })).status).toBe(201);
  await t.say('mum', await t.code('王小华', 'mother'));
  await t.say('mum', '孩子最近发烧了');
  const page = (await t.http.get(`/api/children/${idOf['王小华']}`).set(token)).body;
  expect(page.notes.map((n: { text: string }) => n.text)).toEqual(['本月识字进步很快。']);
  expect(page.contacts).toEqual([expect.objectContaining({ kind: 'talk', teacher: '张丽', note: '聊了学校的事' })]);
  expect(page.cases).toEqual([expect.objectContaining({ category: 'health', status: 'open' })]);
  expect(page.family.find((m: { role: string }) => m.role === 'mother').bound).toBe(true);
});

it('says when a re-pairing leaves a party member with fewer than two children (the schools\' rule)', async () => {
  // 张丽 (party member) pairs 王小明, 王小华 and now 李小红; moving two of them to 李伟 leaves her one.
  const put = (child: string, teacher: string) => t.http.put(`/api/children/${idOf[child]}/teacher`).set(token).send({ teacher });
  expect((await put('王小明', 'li')).body.warnings).toEqual([]);
  expect((await put('王小华', 'li')).body.warnings).toEqual([{ code: 'party_member_below_two', teacher: '张丽', pairs: 1 }]);
});

it('lists the children without a note this month, and those with a teacher\'s contact overdue', async () => {
  const names = async (q: string) => ((await t.http.get(`/api/children?${q}`).set(token)).body as Array<{ child: string }>).map((c) => c.child).sort();
  // 王小华's note was written above; the other two have none yet.
  expect(await names('noNote=1')).toEqual(['李小红', '王小明'].sort());
  // Paired today: nothing can be overdue yet.
  expect(await names('overdue=1')).toEqual([]);
  expect((await t.http.get('/api/children?noNote=yes').set(token)).status).toBe(400);
});
