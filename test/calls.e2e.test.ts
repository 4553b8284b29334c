/**
 * Family calls and letters (issue 3, points 3 and 4) end to end through the simulator, moving /sim/clock from
 * March 2026 to January 2027. The tests run in order: each step builds on the state the earlier ones left.
 *
 * Calendar used: Sat 2026-03-07, 03-14, 03-21, 03-28, 04-04 are Saturdays; Fri 2026-03-06; Sun 2026-03-15.
 */
import { Child } from '../src/models/child';
import { ContactEvent } from '../src/models/contactEvent';
import { parseCallAnswer, parseTime, parseWeekday } from '../src/handlers/familyCall';
import { startWithSchool, TestApp } from './helpers/testApp';

let t: TestApp;
const at = (local: string) => t.setClock(`${local}+08:00`);
/** Texts delivered to an address that contain every one of `parts`. */
async function got(address: string, ...parts: string[]): Promise<string[]> {
  return (await t.inbox(address)).map((m) => m.text).filter((x) => parts.every((p) => x.includes(p)));
}
async function childId(name: string): Promise<string> {
  return String((await Child.findOne({ name }).lean())!._id);
}
async function callEvent(child: string, date: string) {
  return ContactEvent.findOne({ kind: 'family_call', key: `familyCall:${await childId(child)}:${date}` }).lean();
}

beforeAll(async () => {
  t = await startWithSchool();
  await at('2026-03-02T10:00:00');
  // 王建国 (dad) holds both 王小明 and 王小华; 刘芳 (mum) only 王小明; 王奶奶 is 王小明's guardian (voice style).
  await t.say('dad', await t.code('王小明', 'father'));
  await t.say('dad', await t.code('王小华', 'father'));
  await t.say('mum', await t.code('王小明', 'mother'));
  await t.say('grandma', await t.code('王小明', 'guardian'));
  await t.say('lq', await t.code('李小红', 'father'));
}, 30_000);
afterAll(async () => { await t.stop(); });

describe('reading what parents write', () => {
  it('weekdays, times and answers', () => {
    expect(['周六', '星期六', '礼拜天', '周6', '周日', 'Saturday'].map(parseWeekday)).toEqual([6, 6, 0, 6, 0, 6]);
    expect(parseWeekday('周八')).toBeUndefined();
    expect(['19:00', '19：00', '晚上7点', '19点', '7:30pm', '7pm', '晚上七点半', '下午3点15分', '早上7点', '中午12点', '晚上十点'].map(parseTime))
      .toEqual(['19:00', '19:00', '19:00', '19:00', '19:30', '19:00', '19:30', '15:15', '07:00', '12:00', '22:00']);
    for (const bad of ['25:00', '19:75', '晚上', 'abc', '7']) expect(parseTime(bad)).toBeUndefined();
    expect(['1', '已通话', '打了', '2', '没打成', '3', '好的'].map(parseCallAnswer)).toEqual(['done', 'done', 'done', 'missed', 'missed', undefined, undefined]);
  });
});

describe('setting the weekly slot', () => {
  it('a guardian cannot set it; nothing changes', async () => {
    const reply = await t.say('grandma', '通话时间 周六 19:00');
    expect(reply[0]).toContain('爸爸妈妈');
    expect((await Child.findOne({ name: '王小明' }).lean())!.familyCall).toBeUndefined();
  });

  it('by message: a parent of two children is asked which one, then it is confirmed', async () => {
    const ask = await t.say('dad', '通话时间 周六 19:00');
    expect(ask[0]).toContain('哪个孩子');
    expect(ask[0]).toContain('1 王小华');
    const done = await t.say('dad', '1');
    expect(done[0]).toContain('王小华的亲情电话时间定为：每周六 19:00');
    expect((await Child.findOne({ name: '王小华' }).lean())!.familyCall).toEqual({ weekday: 6, time: '19:00' });
  });

  it('by message naming the child, with 星期六 晚上7点', async () => {
    const done = await t.say('dad', '通话时间 王小明 星期六 晚上7点');
    expect(done[0]).toContain('王小明的亲情电话时间定为：每周六 19:00');
    expect((await Child.findOne({ name: '王小明' }).lean())!.familyCall).toEqual({ weekday: 6, time: '19:00' });
  });

  it('bad input gets a clear answer and changes nothing', async () => {
    const reply = await t.say('dad', '通话时间 王小明 周八 25:00');
    expect(reply[0]).toContain('没看懂');
    expect(reply[0]).toContain('通话时间 周六 19:00');
    expect((await Child.findOne({ name: '王小明' }).lean())!.familyCall).toEqual({ weekday: 6, time: '19:00' });
    // Asking about the slot is still the menu's question, not a bad setting.
    expect((await t.say('dad', '王小明通话时间是几点？'))[0]).toContain('王小明的亲情电话时间：每周六 19:00');
  });

  it('by the guided dialog: weekday by digit, then the time, with bad answers re-asked', async () => {
    expect((await t.say('lq', '通话时间'))[0]).toContain('每周哪一天');
    expect((await t.say('lq', '9'))[0]).toContain('1到7');
    expect((await t.say('lq', '5'))[0]).toContain('每周五几点');
    expect((await t.say('lq', '随便'))[0]).toContain('没看懂');
    expect((await t.say('lq', '22:00'))[0]).toContain('李小红的亲情电话时间定为：每周五 22:00');
    expect((await Child.findOne({ name: '李小红' }).lean())!.familyCall).toEqual({ weekday: 5, time: '22:00' });
    // The menu's "3" shows the new slot.
    expect((await t.say('lq', '3'))[0]).toContain('每周五 22:00');
  });
});

describe('week 1: reminders, the after-call question, quiet hours', () => {
  it('a 22:00 slot: reminded at 20:00; its question (23:00) waits for the end of quiet hours at 07:30', async () => {
    await at('2026-03-06T19:59:00');
    expect(await got('lq', '亲情电话提醒')).toHaveLength(0);
    await at('2026-03-06T20:00:00');
    expect(await got('lq', '亲情电话提醒', '李小红', '今天', '22:00')).toHaveLength(1);
    await at('2026-03-06T23:00:00');
    await at('2026-03-07T07:29:00');
    expect(await got('lq', '打了吗')).toHaveLength(0);
    await at('2026-03-07T07:30:00');
    expect(await got('lq', '李小红这周的亲情电话', '打了吗')).toHaveLength(1);
    expect((await t.say('lq', '1'))[0]).toContain('通过电话');
    expect((await callEvent('李小红', '2026-03-06'))?.outcome).toBe('done');
  });

  it('2 h before: parents reminded per child, the guardian asked in voice style to have the child ready; once', async () => {
    await at('2026-03-07T16:59:00');
    expect(await got('dad', '亲情电话提醒')).toHaveLength(0);
    await at('2026-03-07T17:00:00');
    await at('2026-03-07T17:00:00');
    await at('2026-03-07T17:30:00');
    expect(await got('dad', '亲情电话提醒', '王小明', '今天', '19:00')).toHaveLength(1);
    expect(await got('dad', '亲情电话提醒', '王小华')).toHaveLength(1);
    expect(await got('mum', '亲情电话提醒', '王小明')).toHaveLength(1);
    const ready = (await t.inbox('grandma')).filter((m) => m.text.includes('接'));
    expect(ready).toHaveLength(1);
    expect(ready[0].style).toBe('voice');
    expect(ready[0].text).toContain('王小明');
    expect([...ready[0].text].length).toBeLessThanOrEqual(80);
    expect(ready[0].text).not.toMatch(/[\n#*【】•→]/);
  });

  it('after the slot: asked 1/2; a parent of two answers in turn; both answers are logged; the menu works again', async () => {
    await at('2026-03-07T19:59:00');
    expect(await got('dad', '打了吗')).toHaveLength(0);
    await at('2026-03-07T20:00:00');
    await at('2026-03-07T20:01:00');
    const asked = await got('dad', '打了吗');
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('王小华');
    expect(asked[0]).toContain('1 已通话');
    const first = await t.say('dad', '2');
    expect(first[0]).toContain('王小华这周没打成');
    expect(first[1]).toContain('王小明这周的亲情电话');
    expect((await t.say('dad', '1'))[0]).toContain('王小明这周通过电话了');
    expect(await callEvent('王小华', '2026-03-07')).toMatchObject({ outcome: 'missed', answered: true, withWhom: 'father' });
    expect(await callEvent('王小明', '2026-03-07')).toMatchObject({ outcome: 'done', answered: true });
    // Mum says it did not happen: one of the parents did call, so "done" stays.
    expect((await got('mum', '王小明这周的亲情电话', '打了吗'))).toHaveLength(1);
    await t.say('mum', '2');
    expect((await callEvent('王小明', '2026-03-07'))?.outcome).toBe('done');
    expect(await ContactEvent.countDocuments({ kind: 'family_call' })).toBe(3);
    // No question open: "1" is the menu's "how is my child" again.
    expect((await t.say('dad', '1'))[0]).toContain('想问哪一个');
    expect((await t.say('mum', '1'))[0]).toContain('成长记录');
    // Repeated clock moves ask nothing again (the pushed question and the in-turn one, answered in replies).
    await at('2026-03-07T21:00:00');
    expect(await got('dad', '打了吗')).toHaveLength(2);
  });
});

describe('letters on the 10th', () => {
  it('each bound parent gets one reminder naming their children, once; guardians none', async () => {
    await at('2026-03-10T18:59:00');
    expect(await got('dad', '亲情书信')).toHaveLength(0);
    await at('2026-03-10T19:00:00');
    await at('2026-03-10T20:00:00');
    expect(await got('dad', '亲情书信', '王小华、王小明')).toHaveLength(1);
    expect(await got('dad', '亲情书信')).toHaveLength(1);
    expect(await got('mum', '亲情书信', '王小明')).toHaveLength(1);
    expect(await got('lq', '亲情书信', '李小红')).toHaveLength(1);
    expect(await got('grandma', '写')).toHaveLength(0);
  });
});

describe('weeks 2–3: a reminder moved before quiet hours, missed calls told to the teacher once', () => {
  it('week 2: dad is asked about 王小华 and does not answer; mum confirms 王小明\'s call', async () => {
    // 李小红's slot moves to Sunday 07:00 (used below).
    expect((await t.say('lq', '通话时间 周日 早上7点'))[0]).toContain('每周日 07:00');
    await at('2026-03-14T20:00:00');
    expect(await got('dad', '王小华这周的亲情电话')).toHaveLength(2);
    await t.say('mum', '1');
    expect((await callEvent('王小明', '2026-03-14'))?.outcome).toBe('done');
    expect(await callEvent('王小华', '2026-03-14')).toBeNull();
  });

  it('a 07:00 slot is reminded the evening before, before quiet hours, not held until after the call', async () => {
    const before = (await got('lq', '亲情电话提醒')).length;
    await at('2026-03-14T20:59:00');
    expect(await got('lq', '亲情电话提醒')).toHaveLength(before);
    await at('2026-03-14T21:00:00');
    expect(await got('lq', '亲情电话提醒', '明天', '07:00')).toHaveLength(1);
    await at('2026-03-15T05:00:00');
    await at('2026-03-15T07:45:00');
    expect(await got('lq', '亲情电话提醒')).toHaveLength(before + 1);
    const asked = (await got('lq', '打了吗')).length;
    await at('2026-03-15T08:00:00');
    expect(await got('lq', '打了吗')).toHaveLength(asked + 1);
    await t.say('lq', '1');
    expect((await callEvent('李小红', '2026-03-15'))?.outcome).toBe('done');
  });

  it('week 1 answered 2 + week 2 unanswered → the pairing teacher is told when week 3 is checked, once per streak', async () => {
    // The question is open for a day only: on Monday "1" is the menu again.
    await at('2026-03-16T10:00:00');
    expect((await t.say('dad', '1'))[0]).toContain('想问哪一个');
    expect(await got('zhang', '连续')).toHaveLength(0);
    // Week 3. Mum is in the middle of another dialog at 20:00: her question waits until it has expired.
    await at('2026-03-21T19:55:00');
    expect((await t.say('mum', '通话时间'))[0]).toContain('想改到每周哪一天');
    const mumAsked = (await got('mum', '王小明这周的亲情电话')).length;
    // Making the check settles week 2 as missed (unanswered): two in a row.
    await at('2026-03-21T20:00:00');
    expect(await got('mum', '王小明这周的亲情电话')).toHaveLength(mumAsked);
    expect(await callEvent('王小华', '2026-03-14')).toMatchObject({ outcome: 'missed', answered: false });
    expect(await got('zhang', '王小华已经连续2周')).toHaveLength(1);
    // A third missed week is the same streak: not told again; repeated clock moves neither.
    expect((await t.say('dad', '2'))[0]).toContain('王小华这周没打成');
    await at('2026-03-21T20:30:00');
    await at('2026-03-21T20:30:00');
    expect(await got('mum', '王小明这周的亲情电话')).toHaveLength(mumAsked + 1);
    expect(await got('zhang', '王小华已经连续')).toHaveLength(1);
    expect(await got('zhang', '王小明已经连续')).toHaveLength(0);
    expect(await got('li', '连续')).toHaveLength(0);
  });
});

describe('catch-up after a gap', () => {
  it('a reminder missed while down is sent while the call is still ahead; a stale one is skipped, the question is not', async () => {
    // Down from Saturday 20:30 until 18:30 a week later: the 17:00 reminder is caught up before the 19:00 call.
    const reminded = (await got('dad', '亲情电话提醒', '王小明')).length;
    await at('2026-03-28T18:30:00');
    expect(await got('dad', '亲情电话提醒', '王小明')).toHaveLength(reminded + 1);
    // Down again from Friday until after the next call: no reminder for a call that already happened …
    await at('2026-04-03T10:00:00');
    const before = (await got('dad', '亲情电话提醒')).length;
    await at('2026-04-04T20:30:00');
    expect(await got('dad', '亲情电话提醒')).toHaveLength(before);
    // … but the after-call question still comes (it is within its day).
    expect(await got('dad', '王小华这周的亲情电话')).toHaveLength(4);
  });

  it('the Qingming letter reminder (due 03-29 16:30) was caught up during the gap: festival still ahead', async () => {
    expect(await got('zhang', '清明节（4月5日）快到了', '王小华、王小明')).toHaveLength(1);
    expect(await got('li', '清明节（4月5日）快到了', '李小红')).toHaveLength(1);
  });
});

describe('birthdays and festivals', () => {
  it('the day before a birthday at 19:00: parents reminded to call, the teacher told; once', async () => {
    await at('2026-05-11T18:59:00');
    expect(await got('dad', '生日')).toHaveLength(0);
    await at('2026-05-11T19:00:00');
    await at('2026-05-11T19:10:00');
    expect(await got('dad', '5月12日是王小明的10岁生日')).toHaveLength(1);
    expect(await got('mum', '5月12日是王小明的10岁生日')).toHaveLength(1);
    expect(await got('zhang', '5月12日是您帮扶的王小明的10岁生日')).toHaveLength(1);
    expect(await got('li', '生日')).toHaveLength(0);
    expect(await got('grandma', '生日')).toHaveLength(0);
  });

  it('Dragon Boat 2026 (06-19): teachers reminded 7 days before at 16:30, naming the festival and its date', async () => {
    await at('2026-06-12T16:29:00');
    expect(await got('zhang', '端午节')).toHaveLength(0);
    await at('2026-06-12T16:30:00');
    await at('2026-06-13T09:00:00');
    expect(await got('zhang', '端午节（6月19日）快到了', '王小华、王小明')).toHaveLength(1);
    expect(await got('li', '端午节（6月19日）快到了', '李小红')).toHaveLength(1);
    expect(await got('dad', '端午')).toHaveLength(0);
  });

  it('Double Ninth 2026 (10-18): a letter to the grandparents', async () => {
    await at('2026-10-11T16:30:00');
    expect(await got('zhang', '重阳节（10月18日）', '爷爷奶奶')).toHaveLength(1);
  });

  it('Spring Festival 2027 (02-06): reminded on 01-30, a different year', async () => {
    await at('2027-01-30T16:29:00');
    expect(await got('zhang', '春节')).toHaveLength(0);
    await at('2027-01-30T16:30:00');
    await at('2027-01-30T17:00:00');
    expect(await got('zhang', '春节（2月6日）快到了')).toHaveLength(1);
    expect(await got('li', '春节（2月6日）快到了')).toHaveLength(1);
  });
});
