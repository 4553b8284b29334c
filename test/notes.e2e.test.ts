/**
 * Progress notes end to end through the simulator, moving /sim/clock from November 2026 to February 2027:
 * writing (one message, dialog), correcting, refusals, reminders, the head teacher's list, delivery, late notes,
 * quiet hours, catch-up, two scheduler instances, the admin API and parents' replies.
 */
import { Child } from '../src/models/child';
import { AuditLog } from '../src/models/auditLog';
import { countMessages } from './helpers/messages';
import { ProgressNote } from '../src/models/progressNote';
import { noteJobs } from '../src/scheduler/noteJobs';
import { Scheduler } from '../src/scheduler/scheduler';
import { ADMIN_TOKEN, ROSTER_CSV, SimReply, STAFF_CSV, startTestApp, TestApp } from './helpers/testApp';

let t: TestApp;
const id: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestApp();
  // Pairings start when the roster is imported: before the months this test walks through.
  await t.setClock('2026-10-20T10:00:00+08:00');
  expect((await t.importCsv('staff', STAFF_CSV)).body.errors).toEqual([]);
  expect((await t.importCsv('roster', ROSTER_CSV)).body.errors).toEqual([]);
  await t.setClock('2026-11-12T10:00:00+08:00');
  await t.say('dad', await t.code('王小明', 'father'));
  await t.say('dad', await t.code('王小华', 'father'));
  await t.say('grandma', await t.code('王小明', 'guardian'));
  await t.say('mum', await t.code('李小红', 'mother'));
  for (const c of await Child.find({}).lean()) id[c.name] = String(c._id);
});
afterAll(async () => { await t.stop(); });

const at = (local: string) => t.setClock(`${local}:00+08:00`);
async function received(address: string, pattern: RegExp): Promise<SimReply[]> {
  return (await t.inbox(address)).filter((m) => pattern.test(m.text));
}
const note = (child: string, period: string) => ProgressNote.findOne({ childId: id[child], period }).lean();

// What each kind of push looks like, to pick it out of an inbox shared with the other parts of the rhythm.
const DELIVERED = /成长记录（张丽老师）|成长记录（李伟老师）/;
const REMINDER = /^成长记录提醒/;
const HEAD_LIST = /还没写的成长记录/;
const MISSING = /家长没有收到/;

describe('writing a note (November)', () => {
  it('one message: saved for this month, to go out on the 1st at 19:00', async () => {
    const [reply] = await t.say('zhang', '成长记录 王小明：本月数学进步明显，和同学相处融洽。');
    expect(reply).toContain('王小明 2026年11月');
    expect(reply).toContain('12月1日 19:00');
    const n = await note('王小明', '2026-11');
    expect(n).toMatchObject({ status: 'submitted', text: '本月数学进步明显，和同学相处融洽。', source: 'chat' });
  });

  it('a correction before sending replaces it (given name, ASCII colon)', async () => {
    const [reply] = await t.say('zhang', '成长记录 小明: 本月数学进步明显，和同学相处融洽。期中考试95分。');
    expect(reply).toContain('已修改');
    expect((await note('王小明', '2026-11'))!.text).toBe('本月数学进步明显，和同学相处融洽。期中考试95分。');
    expect(await ProgressNote.countDocuments({ childId: id['王小明'] })).toBe(1);
  });

  it('a child not paired with the teacher is refused, naming no one else\'s data', async () => {
    const [reply] = await t.say('zhang', '成长记录 李小红：表现很好。');
    expect(reply).toContain('“李小红”不是您帮扶的孩子');
    expect(reply).not.toMatch(/李伟|13900/);
    const [other] = await t.say('zhao', '成长记录 王小明：很好');
    expect(other).toContain('没有帮扶的孩子');
    expect(other).not.toMatch(/张丽|三年级|1390000/);
    expect(await ProgressNote.countDocuments({ childId: id['李小红'] })).toBe(0);
    expect((await note('王小明', '2026-11'))!.text).toContain('95分');
  });

  it('the dialog: which child, five steps with skips, preview, rewrite, confirm', async () => {
    const [list] = await t.say('zhang', '成长记录');
    // Sorted by name (code points): 王小华 before 王小明.
    expect(list).toContain('1 王小华（2026年11月，还没写）');
    expect(list).toContain('2 王小明（2026年11月，已写，可以修改）');
    expect((await t.say('zhang', '1'))[0]).toContain('给王小华写2026年11月的成长记录');
    expect((await t.say('zhang', '上课不太专心'))[0]).toContain('生活');
    expect((await t.say('zhang', '跳过'))[0]).toContain('心情');
    expect((await t.say('zhang', '开朗'))[0]).toContain('健康');
    expect((await t.say('zhang', '无'))[0]).toContain('其他');
    const [preview] = await t.say('zhang', '喜欢画画');
    expect(preview).toContain('学习：上课不太专心\n心情：开朗\n其他：喜欢画画');
    expect(preview).not.toContain('生活：');
    expect((await t.say('zhang', '2'))[0]).toContain('第1步');
    for (const answer of ['认真听讲，作业按时完成。', '跳过', '开朗', '跳过']) await t.say('zhang', answer);
    expect((await t.say('zhang', '喜欢画画'))[0]).toContain('学习：认真听讲');
    expect((await t.say('zhang', '好的'))[0]).toContain('1 确认');
    const [saved] = await t.say('zhang', '1');
    expect(saved).toContain('已保存王小华 2026年11月的成长记录');
    expect(await note('王小华', '2026-11')).toMatchObject({ status: 'submitted', study: '认真听讲，作业按时完成。', mood: '开朗', text: '喜欢画画' });
    expect((await note('王小华', '2026-11'))!.life).toBeUndefined();
  });

  it('a teacher with one child goes straight to the steps; 0 cancels and saves nothing', async () => {
    expect((await t.say('li', '成长记录'))[0]).toContain('给李小红写2026年11月的成长记录');
    await t.say('li', '0');
    expect((await t.say('li', '很好'))[0]).not.toContain('第2步');
    expect(await ProgressNote.countDocuments({ childId: id['李小红'] })).toBe(0);
  });
});

describe('reminders (November)', () => {
  it('caught up from the 24th to the 27th: the 25th reminder goes once, only to the teacher with a missing note', async () => {
    await at('2026-11-24T10:00');
    expect(await received('li', REMINDER)).toHaveLength(0);
    await at('2026-11-27T10:00');
    const li = await received('li', REMINDER);
    expect(li).toHaveLength(1);
    expect(li[0].text).toContain('李小红');
    expect(await received('zhang', REMINDER)).toHaveLength(0);
    await at('2026-11-27T11:00');
    await at('2026-11-26T10:00'); // backwards
    expect(await received('li', REMINDER)).toHaveLength(1);
    expect(await received('zhang', HEAD_LIST)).toHaveLength(0);
  });

  it('the 28th at 16:30: the second reminder, and the head teacher\'s list of the class', async () => {
    await at('2026-11-28T16:29');
    expect(await received('li', REMINDER)).toHaveLength(1);
    await at('2026-11-28T16:30');
    expect(await received('li', REMINDER)).toHaveLength(2);
    const head = await received('zhang', HEAD_LIST);
    expect(head).toHaveLength(1);
    expect(head[0].text).toContain('三年级1班 2026年11月还没写的成长记录（1个）');
    expect(head[0].text).toContain('李小红（李伟老师）');
    expect(head[0].text).not.toContain('王小明');
    expect(await received('zhang', REMINDER)).toHaveLength(0);
    expect(await received('zhao', /成长记录提醒|还没写的成长记录/)).toHaveLength(0);
  });
});

describe('delivery on the 1st at 19:00', () => {
  it('parents get the full note, the guardian a short voice version; no note: the teacher is told, the family gets nothing', async () => {
    await at('2026-12-01T18:59');
    expect(await received('dad', DELIVERED)).toHaveLength(0);
    await at('2026-12-01T19:00');
    const dad = await received('dad', DELIVERED);
    expect(dad).toHaveLength(2);
    const ming = dad.find((m) => m.text.includes('王小明'))!;
    expect(ming.text).toContain('王小明 2026年11月成长记录（张丽老师）\n本月数学进步明显，和同学相处融洽。期中考试95分。');
    expect(ming.text).toContain('95分。\n\n想对张丽老师说什么，7天内直接回复这条消息');
    expect(dad.find((m) => m.text.includes('王小华'))!.text).toContain('学习：认真听讲，作业按时完成。\n心情：开朗');
    const grandma = await received('grandma', /成长记录/);
    expect(grandma).toHaveLength(1);
    expect(grandma[0].style).toBe('voice');
    expect([...grandma[0].text].length).toBeLessThanOrEqual(80);
    expect(grandma[0].text).toMatch(/^王小明11月成长记录：本月数学进步明显/);
    expect(grandma[0].text).not.toMatch(/\n|[#*【】•·]/);
    const told = await received('li', MISSING);
    expect(told).toHaveLength(1);
    expect(told[0].text).toContain('李小红');
    expect(told[0].text).toContain('10日前补写');
    expect(await received('zhang', MISSING)).toHaveLength(0);
    expect(await received('mum', /成长记录/)).toHaveLength(0);
    expect((await note('王小明', '2026-11'))!.status).toBe('sent');
  });

  it('no duplicate after repeated and backward clock moves', async () => {
    await at('2026-12-01T19:30');
    await at('2026-12-01T19:10');
    await at('2026-12-01T20:00');
    expect(await received('dad', DELIVERED)).toHaveLength(2);
    expect(await received('grandma', /成长记录/)).toHaveLength(1);
    expect(await received('li', MISSING)).toHaveLength(1);
  });

  it('after sending, a correction is refused (one message or dialog)', async () => {
    await at('2026-12-02T10:00');
    const [reply] = await t.say('zhang', '成长记录 王小明：再改一次');
    expect(reply).toContain('王小明 2026年11月的成长记录已经发给家长了，不能再修改');
    expect(reply).toContain('11日以后');
    const [list] = await t.say('zhang', '成长记录');
    expect(list).toContain('2 王小明（2026年11月，已发给家长）');
    expect((await t.say('zhang', '2'))[0]).toContain('已经发给家长了');
    expect((await note('王小明', '2026-11'))!.text).toContain('95分');
  });

  it('a parent\'s reply reaches the pairing teacher and is kept on the note; digits still work as the menu', async () => {
    const [reply] = await t.say('dad', '小明说数学课很有意思，谢谢您费心。');
    expect(reply).toBe('已把您的话转告张丽老师。');
    const toTeacher = await received('zhang', /回复成长记录/);
    expect(toTeacher.map((m) => m.text)).toEqual(['王小明的爸爸回复成长记录：小明说数学课很有意思，谢谢您费心。']);
    const replies = (await note('王小明', '2026-11'))!.replies;
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ from: 'dad', role: 'father', text: '小明说数学课很有意思，谢谢您费心。' });
    expect((await t.say('dad', '1'))[0]).not.toContain('转告');
    // A guardian's free words are not a note reply.
    await t.say('grandma', '今天下雨了');
    expect(await received('zhang', /回复成长记录/)).toHaveLength(1);
  });

  it('a late note written at 22:00 goes out on submission, held by quiet hours until 07:30', async () => {
    await at('2026-12-02T22:00');
    const [reply] = await t.say('li', '成长记录 李小红：十一月表现很好，按时完成作业。');
    expect(reply).toContain('记作2026年11月的补写，已经发给家长');
    expect(await received('mum', DELIVERED)).toHaveLength(0);
    await at('2026-12-03T07:29');
    expect(await received('mum', DELIVERED)).toHaveLength(0);
    await at('2026-12-03T07:30');
    const mum = await received('mum', DELIVERED);
    expect(mum).toHaveLength(1);
    expect(mum[0].text).toContain('十一月表现很好');
    await at('2026-12-03T08:00');
    expect(await received('mum', DELIVERED)).toHaveLength(1);
  });

  it('more than 7 days after delivery, a free message is no longer a reply', async () => {
    await at('2026-12-09T10:00');
    expect((await t.say('dad', '我们过年回家'))[0]).toContain('没看懂');
    expect(await received('zhang', /回复成长记录/)).toHaveLength(1);
  });
});

describe('admin API', () => {
  const post = (body: unknown) => t.http.post('/api/notes').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send(body as object);

  it('401 without the token', async () => {
    expect((await t.http.post('/api/notes').send({ teacher: 'zhang' })).status).toBe(401);
    expect((await t.http.get('/api/notes')).status).toBe(401);
  });

  it('400 on bad input, changing nothing', async () => {
    await at('2026-12-12T10:00');
    const before = await ProgressNote.countDocuments({});
    for (const body of [
      {}, { teacher: 'zhang', childId: 'xyz', text: 'a' }, { teacher: 'zhang', childId: id['王小明'], period: '2026-13', text: 'a' },
      { teacher: 'zhang', childId: id['王小明'] }, { teacher: 'zhang', childId: id['王小明'], text: '   ' },
      { teacher: 'li', childId: id['王小明'], text: '不是我的孩子' }, { teacher: 'nobody', childId: id['王小明'], text: 'a' },
      { teacher: 'zhang', childId: id['王小明'], period: '2026-09', text: 'too old' }, { teacher: 'zhang', childId: id['王小明'], text: 'a', extra: 1 },
    ]) {
      const res = await post(body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body.message).toBeTruthy();
    }
    expect(await ProgressNote.countDocuments({})).toBe(before);
  });

  it('creates and corrects a submitted note; 409 once sent', async () => {
    const created = await post({ teacher: 'zhang', childId: id['王小明'], study: '十二月学习认真。' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ period: '2026-12', status: 'submitted', study: '十二月学习认真。', delivered: false });
    const corrected = await post({ teacher: 'zhang', childId: id['王小明'], study: '十二月学习认真。', health: '身体健康。' });
    expect(corrected.status).toBe(200);
    expect(corrected.body).toMatchObject({ period: '2026-12', health: '身体健康。' });
    const sent = await post({ teacher: 'zhang', childId: id['王小明'], period: '2026-11', text: '改' });
    expect(sent.status).toBe(409);
    expect((await note('王小明', '2026-11'))!.text).toContain('95分');
  });

  it('lists a month with status (missing included), audited', async () => {
    const nov = await t.http.get('/api/notes?period=2026-11').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(nov.status).toBe(200);
    const byChild = Object.fromEntries(nov.body.notes.map((n: { child: string; status: string }) => [n.child, n]));
    expect(byChild['王小明']).toMatchObject({ status: 'sent', teacher: { wecomUserId: 'zhang', name: '张丽' }, class: '三年级1班' });
    expect(byChild['王小明'].replies).toHaveLength(1);
    expect(byChild['李小红'].status).toBe('sent');
    const dec = await t.http.get('/api/notes?period=2026-12').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    const decBy = Object.fromEntries(dec.body.notes.map((n: { child: string; status: string }) => [n.child, n.status]));
    expect(decBy).toEqual({ 王小明: 'submitted', 王小华: 'missing', 李小红: 'missing' });
    expect((await t.http.get('/api/notes?period=2026-1').set('Authorization', `Bearer ${ADMIN_TOKEN}`)).status).toBe(400);
    expect(await AuditLog.countDocuments({ action: 'read.notes' })).toBe(2);
    expect(await AuditLog.countDocuments({ action: 'notes.write' })).toBe(2);
  });
});

describe('catch-up over gaps (December → January)', () => {
  it('a jump from the 12th to the 31st sends only the latest reminder (the 28th), once', async () => {
    await at('2026-12-31T10:00');
    const li = await received('li', REMINDER);
    expect(li.filter((m) => m.text.includes('2026年12月'))).toHaveLength(1);
    expect(await countMessages({ key: /^noteReminder:2026-12:25:/ })).toBe(0);
    expect(await countMessages({ key: /^noteReminder:2026-12:28:/ })).toBe(2);
    // Back to the 26th after the 28th's reminder: the 25th's is not sent late.
    await at('2026-12-26T10:00');
    expect(await countMessages({ key: /^noteReminder:2026-12:/ })).toBe(2);
  });

  it('a jump from the 31st to the 3rd delivers December once, and tells the teachers of missing notes', async () => {
    await at('2027-01-03T10:00');
    await at('2027-01-03T10:05');
    await at('2027-01-02T10:00'); // backwards
    await at('2027-01-03T10:10');
    const dec = (await received('dad', DELIVERED)).filter((m) => m.text.includes('2026年12月'));
    expect(dec).toHaveLength(1);
    expect(dec[0].text).toContain('学习：十二月学习认真。\n健康：身体健康。');
    expect((await received('zhang', MISSING)).map((m) => m.text)).toEqual([expect.stringContaining('王小华')]);
    expect((await received('li', MISSING)).filter((m) => m.text.includes('2026年12月'))).toHaveLength(1);
  });

  it('a late note in daytime reaches the family on submission', async () => {
    await at('2027-01-03T11:00');
    const [reply] = await t.say('zhang', '成长记录 小华：十二月进步很大。');
    expect(reply).toContain('记作2026年12月的补写，已经发给家长');
    const hua = (await received('dad', DELIVERED)).filter((m) => m.text.includes('王小华 2026年12月'));
    expect(hua).toHaveLength(1);
    expect(hua[0].text).toContain('十二月进步很大。');
  });
});

describe('two scheduler instances on one database', () => {
  it('each family gets each note once', async () => {
    await at('2027-01-12T10:00');
    expect((await t.say('zhang', '成长记录 王小明：一月期末考得不错。'))[0]).toContain('2027年1月');
    expect((await t.say('li', '成长记录 李小红：一月很努力。'))[0]).toContain('2027年1月');
    const { orgId, clock, log, services } = t.app.context;
    const a = new Scheduler(noteJobs, { orgId, clock, log, audience: services });
    const b = new Scheduler(noteJobs, { orgId, clock, log, audience: services });
    const due = new Date('2027-02-01T19:00:00+08:00');
    const later = new Date(due.getTime() + 61_000); // another lease slot: both instances do the work
    await Promise.all([a.runDue(due), b.runDue(due), a.runDue(later), b.runDue(later)]);
    await at('2027-02-01T19:05');
    expect(await received('dad', /2027年1月成长记录/)).toHaveLength(1);
    expect(await received('mum', /2027年1月成长记录/)).toHaveLength(1);
    expect(await received('grandma', /^王小明1月成长记录/)).toHaveLength(1);
    expect((await received('zhang', MISSING)).filter((m) => m.text.includes('2027年1月'))).toHaveLength(1);
  });
});
