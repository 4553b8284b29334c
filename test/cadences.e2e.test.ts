/**
 * Teacher cadences (五个一) end to end through the simulator: logging by message and by API, the Monday digest
 * and its catch-up, the head teacher's list of what is overdue, and the dashboard numbers, across December 2026
 * into January 2027 (Asia/Shanghai).
 *
 * Cast: 张丽 `zhang` (head teacher of 阳光小学 三年级1班) pairs 王小明 and 王小华; 李伟 `li` pairs 李小红 (三年级1班)
 * and 李小刚 (四年级1班, no head teacher); 赵强 `zhao` (希望小学) pairs 赵小军. All paired Tue 2026-12-01 10:00.
 */
import { ADMIN_TOKEN, ROSTER_CSV, STAFF_CSV, startTestApp, TestApp } from './helpers/testApp';

let t: TestApp;
const ids: Record<string, string> = {};
const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const EXTRA_ROSTER = [
  '阳光小学,四年级1班,李小刚,男,2015-04-04,,父亲外出,祖辈,否,否,李大山,13800138021,广东深圳,,,,李奶奶,祖母,13800138023,70,小学,li',
  '希望小学,四年级2班,赵小军,男,2015-06-01,,双亲外出,祖辈,否,否,赵大海,13800138031,福建厦门,,,,赵爷爷,祖父,13800138033,72,小学,zhao',
].join('\n');

const DIGEST = '本周五个一提醒';
const ESCALATION = '超过一个周期没有完成';
async function texts(address: string, marker: string): Promise<string[]> {
  return (await t.inbox(address)).map((m) => m.text).filter((s) => s.includes(marker));
}
const post = (body: Record<string, unknown>) => t.http.post('/api/contacts').set(auth).send(body);
const board = (at?: string) => t.http.get('/api/cadences').query(at ? { at } : {}).set(auth);

beforeAll(async () => {
  t = await startTestApp();
  await t.setClock('2026-12-01T10:00:00+08:00');
  expect((await t.importCsv('staff', STAFF_CSV)).body.errors).toEqual([]);
  expect((await t.importCsv('roster', `${ROSTER_CSV}\n${EXTRA_ROSTER}`)).body.errors).toEqual([]);
  for (const c of await t.cards() as unknown as Array<{ childId: string; child: string }>) ids[c.child] = c.childId;
  // 赵强 prefers the voice style: short messages without symbols or line breaks.
  await t.say('zhao', '语音模式');
  await t.setClock('2026-12-01T11:00:00+08:00');
});
afterAll(async () => { await t.stop(); });

describe('logging contacts by message', () => {
  it('logs each kind for the teacher\'s own child and says what is still due', async () => {
    const [talk] = await t.say('zhang', '谈心 王小明 聊了期中考试的压力');
    expect(talk).toContain('已登记：王小明 谈心，12月1日');
    expect(talk).toContain('王小明还需要：电话家长（本月）、家访（本季度）、慰问（本学期）、与家长见面（今年）');
    expect(await t.say('zhang', '电话 王小明：和妈妈通了电话，说了期末安排')).toEqual([expect.stringContaining('已登记：王小明 电话家长')]);
    // The given name alone is enough when it is unambiguous.
    expect((await t.say('zhang', '家访 小明 看了家里的住宿条件'))[0]).toContain('已登记：王小明 家访');
    expect((await t.say('zhang', '慰问：王小明 送了冬衣'))[0]).toContain('已登记：王小明 慰问');
    const [meeting] = await t.say('zhang', '见面 王小明 父亲回乡，见了面');
    expect(meeting).toContain('已登记：王小明 与家长见面');
    expect(meeting).toContain('王小明的五个一本周期都已完成');
    expect((await t.say('zhang', '面谈：王小华：和妈妈视频后当面谈了'))[0]).toContain('已登记：王小华 与家长见面');
    expect((await t.say('li', '谈心 李小红 聊了住校的事'))[0]).toContain('已登记：李小红 谈心');
    expect(await t.say('zhao', '谈心 小军 聊了学习')).toEqual(['记好了，赵小军谈心。还要本月给家长打电话、本季度家访、本学期慰问、今年和家长见面。']);

    const { ContactEvent } = await import('../src/models/contactEvent');
    const { Staff } = await import('../src/models/staff');
    const events = await ContactEvent.find({ kind: { $in: ['talk', 'teacher_call', 'home_visit', 'consolation', 'meeting'] } }).sort({ _id: 1 }).lean();
    expect(events.map((e) => e.kind)).toEqual(['talk', 'teacher_call', 'home_visit', 'consolation', 'meeting', 'meeting', 'talk', 'talk']);
    const zhang = await Staff.findOne({ wecomUserId: 'zhang' }).lean();
    expect(events[1]).toMatchObject({ staffId: zhang!._id, note: '和妈妈通了电话，说了期末安排', at: new Date('2026-12-01T03:00:00Z') });
    expect(String(events[1].childId)).toBe(ids['王小明']);
    expect(new Set(events.map((e) => e.key)).size).toBe(events.length);
  });

  it('refuses someone else\'s child without naming anyone', async () => {
    const [reply] = await t.say('zhang', '谈心 李小红 聊了聊');
    expect(reply).toContain('没有找到这个名字');
    expect(reply).not.toMatch(/李小红|李伟|王小明|王小华/);
    expect((await t.say('zhang', '家访 不存在的孩子'))[0]).toContain('没有找到这个名字');
    // Not a command: "电话号码" without a separator goes on to the staff menu.
    expect((await t.say('zhang', '电话号码是多少'))[0]).not.toContain('没有找到这个名字');
    // Families cannot log contacts.
    await t.say('dad', await t.code('王小明', 'father'));
    expect((await t.say('dad', '谈心 王小明 聊了'))[0]).not.toContain('已登记');
  });

  it('asks for the usage when the name is missing', async () => {
    expect((await t.say('li', '谈心'))[0]).toContain('谈心 孩子姓名 内容');
  });
});

describe('POST /api/contacts', () => {
  it('logs a contact for the teacher\'s own child, idempotently with a key', async () => {
    const body = { teacher: 'li', childId: ids['李小红'], kind: 'teacher_call', at: '2026-12-01T10:30:00+08:00', note: '和爸爸通话', key: 'call-1' };
    const res = await post(body);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ child: '李小红', kind: 'teacher_call', at: '2026-12-01T02:30:00.000Z', note: '和爸爸通话' });
    expect(res.body.statuses).toContainEqual({ kind: 'teacher_call', cycle: 'month', period: '2026-12', status: 'done' });
    const again = await post(body);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(res.body.id);
  });

  it('refuses bad input with a 400 and a message', async () => {
    expect((await t.http.post('/api/contacts').send({})).status).toBe(401);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ teacher: 'zhang', childId: ids['李小红'], kind: 'talk' }, 'childId'],
      [{ teacher: 'nobody', childId: ids['李小红'], kind: 'talk' }, 'teacher'],
      [{ teacher: 'li', childId: 'abc', kind: 'talk' }, 'childId'],
      [{ teacher: 'li', childId: ids['李小红'], kind: 'letter' }, 'kind'],
      [{ teacher: 'li', childId: ids['李小红'], kind: 'talk', at: '2027-01-01T00:00:00+08:00' }, 'at'],
      [{ teacher: 'li', childId: ids['李小红'], kind: 'talk', colour: 'red' }, 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await post(body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body.message).toContain(field);
    }
  });
});

describe('the Monday digest', () => {
  it('goes out at 08:00 on Monday with what is due per child; nothing is overdue in the first week', async () => {
    await t.setClock('2026-12-07T07:45:00+08:00');
    expect(await texts('zhang', DIGEST)).toEqual([]);
    await t.setClock('2026-12-07T08:00:00+08:00');
    const [zhang] = await texts('zhang', DIGEST);
    expect(zhang).toContain('王小明：谈心（本周）\n');
    expect(zhang).toContain('王小华：谈心（本周）、电话家长（本月）、家访（本季度）、慰问（本学期）');
    expect(zhang).not.toContain('（已逾期）');
    const [li] = await texts('li', DIGEST);
    expect(li).toContain('李小红：谈心（本周）、家访（本季度）、慰问（本学期）、与家长见面（今年）');
    expect(li).toContain('李小刚：谈心（本周）、电话家长（本月）');
    expect(await texts('zhao', '本周要做的联系')).toEqual(['赵强老师，本周要做的联系：赵小军，本周谈心、本月给家长打电话、本季度家访、本学期慰问、今年和家长见面。做完请发谈心加孩子名字登记。']);
    // Pairing began mid-week: the week before does not count against anyone, so no head-teacher list.
    expect(await texts('zhang', ESCALATION)).toEqual([]);
    // Families get none of this.
    expect((await t.inbox('dad')).filter((m) => m.text.includes('五个一'))).toEqual([]);
  });

  it('a week without a talk is overdue: the teacher is told, and the head teacher of the class for others\' children', async () => {
    await t.setClock('2026-12-09T10:00:00+08:00');
    await t.say('zhang', '谈心 王小华 聊了和同学的相处');
    await t.setClock('2026-12-14T08:05:00+08:00');
    const digests = await texts('zhang', DIGEST);
    expect(digests).toHaveLength(2);
    expect(digests[1]).toContain('王小明：谈心（已逾期）');
    expect(digests[1]).toContain('王小华：谈心（本周）、电话家长（本月）');
    expect((await texts('li', DIGEST))[1]).toContain('李小红：谈心（已逾期）、家访（本季度）');
    // 张丽 heads 三年级1班: 李小红's overdue talk reaches her; her own 王小明 is in her own digest, not here.
    const escalations = await texts('zhang', ESCALATION);
    expect(escalations).toHaveLength(1);
    expect(escalations[0]).toContain('李小红（帮扶老师 李伟）：谈心');
    expect(escalations[0]).not.toContain('王小明');
    expect(escalations[0]).not.toContain('李小刚'); // another class, without a head teacher
    expect(await texts('li', ESCALATION)).toEqual([]);
    expect(await texts('zhao', ESCALATION)).toEqual([]);
  });

  it('sends nothing twice however the clock moves', async () => {
    for (const at of ['2026-12-14T09:00:00+08:00', '2026-12-14T08:05:00+08:00', '2026-12-15T10:00:00+08:00', '2026-12-20T23:00:00+08:00']) await t.setClock(at);
    expect(await texts('zhang', DIGEST)).toHaveLength(2);
    expect(await texts('zhang', ESCALATION)).toHaveLength(1);
    expect(await texts('li', DIGEST)).toHaveLength(2);
  });
});

describe('GET /api/cadences', () => {
  type Counts = { done: number; due: number; overdue: number; children: number };
  type Group = { name: string; children: number; kinds: Record<string, Counts> };

  it('counts done / due / overdue per teacher, class and school, audited', async () => {
    expect((await t.http.get('/api/cadences')).status).toBe(401);
    const res = await board('2026-12-14T09:00:00+08:00');
    expect(res.status).toBe(200);
    expect(res.body.cadences.talk).toMatchObject({ cycle: 'week', period: '2026-W51' });
    expect(res.body.cadences.consolation).toMatchObject({ cycle: 'term', period: '2026-autumn' });
    expect(res.body.totals.children).toBe(5);
    expect(res.body.totals.kinds.talk).toEqual({ done: 0, due: 1, overdue: 4, children: 5 });
    expect(res.body.totals.kinds.teacher_call).toEqual({ done: 2, due: 3, overdue: 0, children: 5 });
    expect(res.body.totals.kinds.meeting).toEqual({ done: 2, due: 3, overdue: 0, children: 5 });
    const by = (rows: Group[]) => Object.fromEntries(rows.map((r) => [r.name, r]));
    const teachers = by(res.body.teachers);
    expect(teachers['张丽']).toMatchObject({ children: 2, kinds: { talk: { done: 0, due: 1, overdue: 1 }, home_visit: { done: 1, due: 1 } } });
    expect(teachers['李伟']).toMatchObject({ children: 2, kinds: { talk: { overdue: 2 }, teacher_call: { done: 1, due: 1 } } });
    expect(teachers['赵强']).toMatchObject({ children: 1, kinds: { talk: { overdue: 1 } } });
    const classes = by(res.body.classes);
    expect(classes['三年级1班']).toMatchObject({ school: '阳光小学', headTeacher: '张丽', children: 3, kinds: { talk: { due: 1, overdue: 2 } } });
    expect(classes['四年级1班']).toMatchObject({ children: 1, headTeacher: null });
    expect(classes['四年级2班']).toMatchObject({ school: '希望小学', children: 1 });
    const schools = by(res.body.schools);
    expect(schools['阳光小学']).toMatchObject({ children: 4, kinds: { talk: { due: 1, overdue: 3 }, teacher_call: { done: 2, due: 2 } } });
    expect(schools['希望小学']).toMatchObject({ children: 1, kinds: { talk: { due: 0, overdue: 1 } } });

    // At an earlier moment: later contacts do not count, and the first week counted against no one.
    const before = await board('2026-12-07T09:00:00+08:00');
    expect(before.body.totals.kinds.talk).toEqual({ done: 0, due: 5, overdue: 0, children: 5 });
    // Before anyone was paired: nothing to count.
    expect((await board('2026-11-30T09:00:00+08:00')).body.totals.children).toBe(0);
    expect((await board('yesterday')).status).toBe(400);

    const audits = await (await import('../src/models/auditLog')).AuditLog.find({ action: 'read.cadences' }).lean();
    expect(audits.length).toBeGreaterThanOrEqual(3);
  });
});

describe('catch-up and settings', () => {
  it('a digest missed on Monday goes out later that week, never the week after', async () => {
    // Down all Monday 21 December: the week's digest comes on Wednesday.
    await t.setClock('2026-12-23T10:00:00+08:00');
    expect(await texts('zhang', DIGEST)).toHaveLength(3);
    await t.setClock('2026-12-24T10:00:00+08:00');
    expect(await texts('zhang', DIGEST)).toHaveLength(3);
    // Down the whole week of 28 December: on Tuesday 5 January only the new week's digest goes out.
    await t.setClock('2027-01-05T10:00:00+08:00');
    const digests = await texts('zhang', DIGEST);
    expect(digests).toHaveLength(4);
    // A new year: the yearly meeting with 王小明's parents is due again (done in 2026, so not overdue).
    expect(digests[3]).toMatch(/王小明：[^\n]*与家长见面（今年）/);
    expect(digests[3]).not.toMatch(/王小明：[^\n]*与家长见面（已逾期）/);
  });

  it('a changed cadence and digest time change the numbers and the digest', async () => {
    const patch = await t.http.patch('/api/settings').set(auth).send({ schedule: { cadences: { talk: 'month', digestTime: '10:00' } } });
    expect(patch.status).toBe(200);
    const now = await board();
    expect(now.body.cadences.talk).toMatchObject({ cycle: 'month', period: '2027-01' });
    // Nobody talked yet in January; December was not a whole month of pairing (from 1 December 10:00), so none is overdue.
    expect(now.body.totals.kinds.talk).toEqual({ done: 0, due: 5, overdue: 0, children: 5 });
    // Monthly talk at 14 December: 王小明, 李小红, 赵小军 (1 Dec) and 王小华 (9 Dec) done; only 李小刚 due.
    expect((await board('2026-12-14T09:00:00+08:00')).body.totals.kinds.talk).toEqual({ done: 4, due: 1, overdue: 0, children: 5 });

    await t.setClock('2027-01-11T09:00:00+08:00');
    expect(await texts('zhang', DIGEST)).toHaveLength(4);
    await t.setClock('2027-01-11T10:00:00+08:00');
    const digests = await texts('zhang', DIGEST);
    expect(digests).toHaveLength(5);
    expect(digests[4]).toContain('王小明：谈心（本月）');
  });
});
