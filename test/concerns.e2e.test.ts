/**
 * Issue 4 end to end through the simulator: raising a concern (menu, free words, voice), the post in the
 * teachers' group, answering (group, 1:1, quote), acknowledging and closing, follow-ups, refusals, the ladder
 * moved by /sim/clock, quiet hours, incidents with the rule's deadlines, and the admin API.
 */
import { AuditLog } from '../src/models/auditLog';
import { ADMIN_TOKEN, onSimulatorOnly, ROSTER_CSV, STAFF_CSV, SimReply, startTestApp, TestApp } from './helpers/testApp';

/** What /sim/inbox returns for a message (SimReply plus the forwarded recording and the mentions). */
type Msg = SimReply & { voice?: string; mentions?: string[] };
const inbox = (t: TestApp, address: string) => t.inbox(address) as Promise<Msg[]>;

/** The brief's school leadership: a principal and a moral-education director beside the fixture staff. */
const STAFF_WITH_LEADERS = [
  STAFF_CSV,
  '阳光小学,王建军,wang,13900003333,校长,,是,2,teachers',
  '阳光小学,周敏,zhou,13900005555,德育主任,,否,3,teachers',
].join('\n');

const PHONE = /1[3-9]\d{9}/;
const VOICE_FORBIDDEN = /https?:|www\.|[#*【】★☆→•·]|\p{Extended_Pictographic}/u;
const MIN = 60_000;

async function startSchool(): Promise<TestApp> {
  const t = await startTestApp();
  const staff = await t.importCsv('staff', STAFF_WITH_LEADERS);
  const roster = await t.importCsv('roster', ROSTER_CSV);
  if (staff.body.errors?.length || roster.body.errors?.length) throw new Error(JSON.stringify([staff.body, roster.body]));
  return t;
}

interface Notice { role: string; name?: string; deadline: string; unreachable: boolean; status: string; sentAt?: string; inTime: boolean }
interface Case {
  number: number; child: string; school: string; class: string; teacher?: string; category: string; urgency: string; incident: boolean;
  status: string; raisedByRole: string; openedAt: string; acknowledgedAt?: string; resolvedAt?: string; resolution?: string;
  deadlines: Record<string, string>; notices: Notice[]; ladder: Array<{ step: string; at: string; to: string[] }>;
  messages: Array<{ at: string; direction: string; text?: string; voice: boolean }>;
}

async function cases(t: TestApp, all = false): Promise<Case[]> {
  const res = await t.http.get(`/api/concerns${all ? '?status=all' : ''}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  expect(res.status).toBe(200);
  return res.body;
}

async function caseOf(t: TestApp, n: number): Promise<Case> {
  const c = (await cases(t, true)).find((x) => x.number === n);
  if (!c) throw new Error(`no case #${n}`);
  return c;
}

/** The case number in a reply: "#12" in text style, "编号12" in voice style. */
function numberIn(text: string): number {
  const m = /#(\d+)|编号(\d+)/.exec(text);
  if (!m) throw new Error(`no case number in: ${text}`);
  return Number(m[1] ?? m[2]);
}

/** Messages someone got that mention case #n (text style) — the ladder's and the routing's. */
async function about(t: TestApp, address: string, n: number, also?: string): Promise<Msg[]> {
  return (await inbox(t, address)).filter((m) => new RegExp(`#${n}(?!\\d)`).test(m.text) && (!also || m.text.includes(also)));
}

async function since(t: TestApp, address: string, count: number): Promise<SimReply[]> {
  return (await t.inbox(address)).slice(count);
}

/** "No phone number in any group message": every message in every teachers' room. */
async function expectNoPhoneInRooms(t: TestApp): Promise<void> {
  const rooms = [...(await t.inbox('teachers')), ...(await t.inbox('hope-teachers'))];
  expect(rooms.length).toBeGreaterThan(0);
  for (const m of rooms) {
    expect(m.room).toBeDefined();
    expect({ text: m.text, phone: PHONE.test(m.text) }).toEqual({ text: m.text, phone: false });
  }
}

const at = (iso: string) => new Date(iso).toISOString();

describe('raising, routing and answering a concern', () => {
  let t: TestApp;
  const n: Record<string, number> = {};
  beforeAll(async () => {
    t = await startSchool();
    await t.setClock('2026-11-02T10:00:00+08:00');
    await t.say('gm', await t.code('王小明', 'guardian'));
    await t.say('dad', await t.code('王小明', 'father'));
    await t.say('mum', await t.code('王小明', 'mother'));
    await t.say('lidad', await t.code('李小红', 'father'));
  });
  afterAll(async () => { await t.stop(); });

  it('by menu 4 then text: a case number and what happens next; the group post mentions the teacher', async () => {
    expect((await t.say('dad', '4'))[0]).toContain('请说说');
    const reply = (await t.say('dad', '孩子说最近作业太多，每天写到很晚'))[0];
    expect(reply).toMatch(/^已收到，编号 #\d+。已转告张丽老师，老师回复后会马上告诉您。$/);
    n.dad = numberIn(reply);

    const posts = await about(t, 'teachers', n.dad);
    expect(posts).toHaveLength(1);
    const post = posts[0];
    expect(post.room).toBe('teachers');
    expect(post.mentions).toEqual(['zhang']);
    expect(post.text).toContain('@张丽');
    for (const part of [`#${n.dad}`, '王小明', '三年级1班', '父亲', '作业太多，每天写到很晚', `#${n.dad} 收到`, `#${n.dad} 结案`]) expect(post.text).toContain(part);
    // The teacher also gets it 1:1; the other school's room nothing.
    expect((await about(t, 'zhang', n.dad)).map((m) => m.room)).toEqual([undefined]);
    expect(await about(t, 'hope-teachers', n.dad)).toEqual([]);

    const c = await caseOf(t, n.dad);
    expect(c).toMatchObject({ child: '王小明', class: '三年级1班', teacher: '张丽', category: 'study', urgency: 'normal', status: 'open', raisedByRole: 'father' });
  });

  it('by free words: 孩子发烧了 from the grandmother (health, voice style, relation 祖母 in the post)', async () => {
    const replies = await t.sayFull('gm', '孩子发烧了');
    expect(replies).toHaveLength(1);
    expect(replies[0].style).toBe('voice');
    expect([...replies[0].text].length).toBeLessThanOrEqual(80);
    expect(replies[0].text).not.toMatch(VOICE_FORBIDDEN);
    expect(replies[0].text).toContain('张丽老师');
    n.gm = numberIn(replies[0].text);
    const post = (await about(t, 'teachers', n.gm))[0];
    expect(post.text).toContain('王小明（三年级1班）的祖母反映（健康）：孩子发烧了');
    expect(await caseOf(t, n.gm)).toMatchObject({ category: 'health', urgency: 'normal', raisedByRole: 'guardian' });
  });

  it('by free words: 他最近不想上学 (study)', async () => {
    n.mum = numberIn((await t.say('mum', '他最近不想上学'))[0]);
    expect(new Set([n.dad, n.gm, n.mum]).size).toBe(3);
    expect(await caseOf(t, n.mum)).toMatchObject({ category: 'study', urgency: 'normal', raisedByRole: 'mother' });
  });

  it('by a voice message: the recording is kept and forwarded to the group and the teacher', async () => {
    const reply = (await t.say('lidad', '', { voice: 'media-li-1' }))[0];
    expect(reply).toContain('李伟老师');
    n.li = numberIn(reply);
    const post = (await about(t, 'teachers', n.li))[0];
    expect(post.voice).toBe('media-li-1');
    expect(post.mentions).toEqual(['li']);
    expect(post.text).toContain('李小红（三年级1班）的父亲反映');
    expect(post.text).toContain('语音消息');
    const toTeacher = await about(t, 'li', n.li);
    expect(toTeacher).toHaveLength(1);
    expect(toTeacher[0].voice).toBe('media-li-1');
    expect((await caseOf(t, n.li)).messages).toEqual([expect.objectContaining({ direction: 'family', voice: true })]);
  });

  it('an answer from the group reaches the grandmother in short voice messages and is logged on the case', async () => {
    const before = (await t.inbox('gm')).length;
    const answer = '明天带他去卫生院看看。您别着急，我下午会再量一次体温，看完医生以后马上告诉您结果。晚上让他早点睡，多喝热水，被子盖好，明天早上出门前再给他量一次体温，要是还烧就先别来上学。';
    const replies = await t.sayFull('zhang', `#${n.gm} ${answer}`, { room: 'teachers' });
    expect(replies).toHaveLength(1);
    expect(replies[0].room).toBe('teachers');
    expect(replies[0].text).toContain(`已把答复转给王小明的`);
    const got = await since(t, 'gm', before);
    expect(got.length).toBeGreaterThan(1);
    for (const m of got) {
      expect(m.style).toBe('voice');
      expect([...m.text].length).toBeLessThanOrEqual(80);
      expect(m.text).not.toMatch(VOICE_FORBIDDEN);
    }
    expect(got.map((m) => m.text).join('')).toContain('多喝热水');
    const c = await caseOf(t, n.gm);
    expect(c.messages.map((m) => [m.direction, m.text])).toEqual([['family', '孩子发烧了'], ['staff', answer]]);
    expect(c.status).toBe('acknowledged');
    expect(c.ladder.map((s) => s.step)).toEqual(['announced', 'acknowledged', 'answered']);
  });

  it('an answer 1:1 reaches the father', async () => {
    const reply = (await t.say('zhang', `#${n.dad} 作业的事我明天和数学老师商量一下`))[0];
    expect(reply).toContain('已把答复转给');
    expect((await t.inbox('dad')).pop()!.text).toBe(`张丽老师答复（#${n.dad}）：作业的事我明天和数学老师商量一下`);
  });

  it('an answer by quoting the bot\'s post in the group reaches the mother', async () => {
    const post = (await about(t, 'teachers', n.mum))[0];
    const replies = await t.sayFull('zhang', '我下课找他聊聊', { room: 'teachers', quotedId: post.id });
    expect(replies[0].text).toContain(`#${n.mum}`);
    expect((await t.inbox('mum')).pop()!.text).toBe(`张丽老师答复（#${n.mum}）：我下课找他聊聊`);
    // Quoting the bot's 1:1 message works too.
    await onSimulatorOnly('WeCom app messages carry no quote', async () => {
      const direct = (await about(t, 'zhang', n.mum))[0];
      await t.say('zhang', '周五我再跟您说', { quotedId: direct.id });
      expect((await t.inbox('mum')).pop()!.text).toContain('周五我再跟您说');
    });
  });

  it('#N 收到 acknowledges and the family is told', async () => {
    const reply = (await t.say('li', `#${n.li} 收到`))[0];
    expect(reply).toContain(`已确认收到 #${n.li}`);
    expect((await t.inbox('lidad')).pop()!.text).toBe(`李伟老师已收到您反映的情况（#${n.li}），正在处理。`);
    const c = await caseOf(t, n.li);
    expect(c.status).toBe('acknowledged');
    expect(c.acknowledgedAt).toBe(at('2026-11-02T10:00:00+08:00'));
    // A second 收到 does not tell the family again.
    const count = (await t.inbox('lidad')).length;
    await t.say('li', `#${n.li} 收到`);
    expect((await t.inbox('lidad')).length).toBe(count);
  });

  it('a follow-up while the case is open goes to the same case, text and voice', async () => {
    const total = (await cases(t, true)).length;
    const reply = (await t.say('dad', '他今天又说头疼'))[0];
    expect(reply).toBe(`已补充到 #${n.dad}，老师会看到。`);
    expect((await t.inbox('zhang')).pop()!.text).toBe(`#${n.dad} 王小明的父亲补充：他今天又说头疼`);

    expect((await t.say('lidad', '', { voice: 'media-li-2' }))[0]).toContain(`#${n.li}`);
    const toLi = (await inbox(t, 'li')).filter((m) => m.voice === 'media-li-2');
    expect(toLi).toHaveLength(1);
    expect(toLi[0].text).toContain(`#${n.li}`);

    expect((await cases(t, true)).length).toBe(total);
    expect((await caseOf(t, n.dad)).messages.filter((m) => m.direction === 'family').map((m) => m.text)).toEqual(['孩子说最近作业太多，每天写到很晚', '他今天又说头疼']);
    expect((await caseOf(t, n.li)).messages.filter((m) => m.direction === 'family').map((m) => m.voice)).toEqual([true, true]);
  });

  it('an emergency while an ordinary case is open is a case of its own, on the urgent ladder', async () => {
    const reply = (await t.say('dad', '孩子放学到现在还找不到了'))[0];
    const num = numberIn(reply);
    expect(num).not.toBe(n.dad);
    expect(reply).toContain('紧急');
    expect(await caseOf(t, num)).toMatchObject({ urgency: 'urgent', category: 'safety' });
    // The guardian is told at once (a parent raised it).
    expect((await t.inbox('gm')).pop()!.text).toBe('王小明家里反映了情况，学校正在处理。');
    // Further words go to the newest open case.
    expect((await t.say('dad', '谢谢老师'))[0]).toContain(`#${num}`);
    expect((await t.say('zhang', `#${num} 结案 孩子在同学家，已经到家了`))[0]).toContain('已结案');
    expect((await t.inbox('gm')).pop()!.text).toContain('已经到家了');
  });

  it('a teacher of another school is refused, in the group and 1:1; an unknown number is told so', async () => {
    const dadBefore = (await t.inbox('dad')).length;
    expect((await t.say('zhao', `#${n.dad} 我来看看`))[0]).toBe(`#${n.dad} 不是您学校的事项，不能答复。`);
    const inRoom = await t.sayFull('zhao', `#${n.dad} 收到`, { room: 'hope-teachers' });
    expect(inRoom[0]).toMatchObject({ room: 'hope-teachers', text: `#${n.dad} 不是您学校的事项，不能答复。` });
    // Quoting the other school's post does not get around it.
    const post = (await about(t, 'teachers', n.dad))[0];
    await onSimulatorOnly('a quote outside the group it was posted in cannot travel over WeCom', async () => {
      expect((await t.say('zhao', '我来处理', { quotedId: post.id }))[0]).toContain('不是您学校');
    }, async () => {
      // Over WeCom he can quote it only inside that group.
      expect((await t.say('zhao', '我来处理', { room: 'teachers', quotedId: post.id }))[0]).toContain('不是您学校');
    });
    expect((await t.inbox('dad')).length).toBe(dadBefore);
    expect((await caseOf(t, n.dad)).messages).toHaveLength(3);

    expect((await t.say('zhang', '#9999 你好'))[0]).toBe('没有找到编号 #9999 的事项。');
    expect((await t.say('zhang', `#${n.dad}`))[0]).toBe(`请在编号后写上答复，例如：#${n.dad} 明天带他去卫生院看看`);
    // Another teacher of the same school may answer.
    expect((await t.say('li', `#${n.dad} 我是李老师，数学作业我会少布置一些`))[0]).toContain('已把答复转给');
    expect((await t.inbox('dad')).pop()!.text).toContain('李伟老师答复');
  });

  it('#N 结案 closes with a note and the family is told; a closed case gets a clear reply; a new message is a new case', async () => {
    expect((await t.say('zhang', `#${n.gm} 结案 已经退烧了，今天正常上课`))[0]).toBe(`#${n.gm} 已结案，已告诉家长。`);
    const told = (await t.inbox('gm')).pop()!;
    expect(told.style).toBe('voice');
    expect(told.text).toContain('事情处理好了');
    expect(told.text).toContain('已经退烧了');
    const c = await caseOf(t, n.gm);
    expect(c).toMatchObject({ status: 'resolved', resolution: '已经退烧了，今天正常上课' });
    expect(c.ladder.map((s) => s.step)).toContain('resolved');
    expect((await cases(t)).map((x) => x.number)).not.toContain(n.gm);

    expect((await t.say('zhang', `#${n.gm} 再观察两天`))[0]).toBe(`#${n.gm} 已经结案了。如有新情况，请让家长重新反映。`);
    expect((await t.say('zhang', `#${n.gm} 收到`))[0]).toContain('已经结案');

    const again = numberIn((await t.say('gm', '孩子又咳嗽了'))[0]);
    expect(again).toBeGreaterThan(n.gm);
    expect((await about(t, 'teachers', again))[0].text).toContain('孩子又咳嗽了');
    n.gm2 = again;
  });

  it('menu 4 then a voice message: the case gets the recording and the menu works again after it', async () => {
    expect((await t.say('li', `#${n.mum} 结案`))[0]).toContain('已结案');
    expect((await t.inbox('mum')).pop()!.text).toBe(`王小明的事（#${n.mum}）已处理完毕。`);
    expect((await t.say('mum', '4'))[0]).toContain('请说说');
    const num = numberIn((await t.say('mum', '', { voice: 'media-mum-1' }))[0]);
    expect((await about(t, 'teachers', num))[0].voice).toBe('media-mum-1');
    await t.say('zhang', `#${num} 结案 已经跟孩子谈过了`);
    // The "what happened?" question was answered by the recording: "1" is the menu again, not a new case.
    expect((await t.say('mum', '1'))[0]).toContain('还没有写');
    expect((await cases(t, true)).map((c) => c.number)).not.toContain(num + 1);
  });

  it('category and urgency come from keyword lists that the settings API changes', async () => {
    await t.say('li', `#${n.li} 结案 已经了解了`);
    const normal = numberIn((await t.say('lidad', '孩子咳嗽好几天了'))[0]);
    expect(await caseOf(t, normal)).toMatchObject({ category: 'health', urgency: 'normal' });
    expect((await about(t, 'teachers', normal))[0].text).not.toContain('紧急');
    await t.say('li', `#${normal} 结案`);

    const defaults = (await t.http.get('/api/settings').set('Authorization', `Bearer ${ADMIN_TOKEN}`)).body.schedule.concerns;
    const patch = async (concerns: Record<string, unknown>) => {
      const res = await t.http.patch('/api/settings').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ schedule: { concerns } });
      expect(res.status).toBe(200);
    };
    await patch({ urgentKeywords: ['咳嗽', '没回家'] });
    const reply = (await t.say('lidad', '孩子咳嗽好几天了'))[0];
    expect(reply).toContain('紧急');
    const urgent = numberIn(reply);
    expect(await caseOf(t, urgent)).toMatchObject({ category: 'health', urgency: 'urgent' });
    expect((await about(t, 'teachers', urgent))[0].text).toContain('【紧急】');
    await t.say('li', `#${urgent} 结案`);
    // A word only the school's list knows still raises the case, as urgent ("放学没回家" is no menu question).
    const home = numberIn((await t.say('lidad', '孩子放学没回家'))[0]);
    expect(await caseOf(t, home)).toMatchObject({ urgency: 'urgent' });
    await t.say('li', `#${home} 结案 在同学家写作业`);
    // 找不到 is no longer on the list.
    const notUrgent = numberIn((await t.say('lidad', '孩子的书找不到了'))[0]);
    expect(await caseOf(t, notUrgent)).toMatchObject({ category: 'safety', urgency: 'normal' });
    await t.say('li', `#${notUrgent} 结案`);

    const before = numberIn((await t.say('lidad', '我很担心孩子'))[0]);
    expect(await caseOf(t, before)).toMatchObject({ category: 'other' });
    await t.say('li', `#${before} 结案`);
    await patch({ urgentKeywords: defaults.urgentKeywords, keywords: { ...defaults.keywords, family: ['担心'] } });
    const family = numberIn((await t.say('lidad', '我很担心孩子'))[0]);
    expect(await caseOf(t, family)).toMatchObject({ category: 'family', urgency: 'normal' });
    await t.say('li', `#${family} 结案`);
    await patch(defaults);
  });

  it('a phone number in the family\'s words never reaches the group', async () => {
    await t.say('zhang', `#${n.gm2} 结案`);
    await t.say('zhang', `#${n.dad} 结案`);
    const num = numberIn((await t.say('dad', '孩子发烧了，请老师打我电话13800138001'))[0]);
    await t.say('zhang', `#${num} 结案`);
    const second = numberIn((await t.say('dad', '孩子发烧了，请老师打我电话 138-0013-8001'))[0]);
    expect(second).not.toBe(num);
    expect((await about(t, 'teachers', num))[0].text).toContain('孩子发烧了');
    await expectNoPhoneInRooms(t);
    expect((await about(t, 'teachers', second))[0].text).not.toMatch(/138.?0013.?8001/);
  });
});

describe('the ladder, moved by /sim/clock', () => {
  let t: TestApp;
  const n: Record<string, number> = {};
  beforeAll(async () => {
    t = await startSchool();
    await t.setClock('2026-11-02T09:00:00+08:00');
    await t.say('gm', await t.code('王小明', 'guardian'));
    await t.say('dad', await t.code('王小明', 'father'));
    await t.say('mum', await t.code('王小明', 'mother'));
    await t.say('lidad', await t.code('李小红', 'father'));
  });
  afterAll(async () => { await t.stop(); });

  it('ordinary: not acknowledged → the teacher at 24 h, the head teacher at 48 h; acknowledged in time → nothing', async () => {
    n.o1 = numberIn((await t.say('lidad', '孩子说在学校被同学欺负'))[0]);
    n.o2 = numberIn((await t.say('mum', '孩子晚上总是哭，很担心'))[0]);
    await t.setClock('2026-11-02T15:00:00+08:00');
    await t.say('zhang', `#${n.o2} 收到`);

    await t.setClock('2026-11-03T08:59:00+08:00');
    expect(await about(t, 'li', n.o1, '提醒')).toEqual([]);
    await t.setClock('2026-11-03T09:00:00+08:00');
    const reminded = await about(t, 'li', n.o1, '提醒');
    expect(reminded).toHaveLength(1);
    expect(reminded[0].text).toContain('24 小时还没有确认');
    expect(reminded[0].at).toBe(at('2026-11-03T09:00:00+08:00'));
    // Two runs at the same moment and a later one: still one reminder.
    await t.setClock('2026-11-03T09:00:00+08:00');
    await t.setClock('2026-11-03T09:01:00+08:00');
    expect(await about(t, 'li', n.o1, '提醒')).toHaveLength(1);

    await t.setClock('2026-11-04T08:59:00+08:00');
    expect(await about(t, 'zhang', n.o1, '无人确认')).toEqual([]);
    await t.setClock('2026-11-04T09:00:00+08:00');
    await t.setClock('2026-11-04T09:00:00+08:00');
    await t.setClock('2026-11-04T10:00:00+08:00');
    const head = await about(t, 'zhang', n.o1, '无人确认');
    expect(head).toHaveLength(1);
    expect(head[0].text).toContain('48 小时无人确认');
    expect(head[0].text).toContain('帮扶老师：李伟');
    expect(head[0].at).toBe(at('2026-11-04T09:00:00+08:00'));
    expect(await about(t, 'li', n.o1, '提醒')).toHaveLength(1);

    const c1 = await caseOf(t, n.o1);
    expect(c1.status).toBe('escalated');
    expect(c1.ladder.map((s) => [s.step, s.at])).toEqual([
      ['announced', at('2026-11-02T09:00:00+08:00')],
      ['remindTeacher', at('2026-11-03T09:00:00+08:00')],
      ['headTeacher', at('2026-11-04T09:00:00+08:00')],
    ]);
    // The acknowledged one climbed nowhere.
    const c2 = await caseOf(t, n.o2);
    expect(c2.ladder.map((s) => s.step)).toEqual(['announced', 'acknowledged']);
    for (const who of ['zhang', 'li', 'wang', 'zhou']) {
      expect((await about(t, who, n.o2)).filter((m) => /提醒|无人确认/.test(m.text))).toEqual([]);
    }
    await t.say('li', `#${n.o1} 结案 已找双方谈过话`);
    await t.say('zhang', `#${n.o2} 结案`);
  });

  it('urgent, raised by the guardian: parents at once; 30 min → head teacher and principal; leadership summary within 2 h', async () => {
    await t.setClock('2026-11-05T10:00:00+08:00');
    const reply = await t.sayFull('gm', '孩子找不到了');
    expect(reply[0].style).toBe('voice');
    expect(reply[0].text).toContain('110');
    n.u1 = numberIn(reply[0].text);
    const opened = at('2026-11-05T10:00:00+08:00');
    for (const parent of ['dad', 'mum']) {
      const told = (await t.inbox(parent)).pop()!;
      expect(told.text).toBe(`王小明的祖母刚刚反映：孩子找不到了。学校已在处理（#${n.u1}），有消息会马上告诉您。`);
      expect(told.at).toBe(opened);
    }
    expect((await about(t, 'teachers', n.u1))[0].text).toMatch(/^@张丽 【紧急】/);
    expect((await about(t, 'zhang', n.u1))[0].text).toContain('【紧急】');

    await t.setClock('2026-11-05T10:29:00+08:00');
    expect(await about(t, 'wang', n.u1)).toEqual([]);
    await t.setClock('2026-11-05T10:30:00+08:00');
    for (const who of ['zhang', 'wang']) {
      const esc = await about(t, who, n.u1, '分钟无人确认');
      expect(esc).toHaveLength(1);
      expect(esc[0].at).toBe(at('2026-11-05T10:30:00+08:00'));
    }
    expect(await about(t, 'zhou', n.u1, '分钟无人确认')).toEqual([]);

    await t.setClock('2026-11-05T11:29:00+08:00');
    expect(await about(t, 'zhou', n.u1)).toEqual([]);
    await t.setClock('2026-11-05T11:30:00+08:00');
    await t.setClock('2026-11-05T11:31:00+08:00');
    for (const who of ['wang', 'zhou']) {
      const summary = await about(t, who, n.u1, '情况汇总');
      expect(summary).toHaveLength(1);
      expect(summary[0].text).toContain('孩子找不到了');
      expect(summary[0].text).toContain('反映人：祖母');
    }
    expect(await about(t, 'wang', n.u1, '分钟无人确认')).toHaveLength(1);

    const c = await caseOf(t, n.u1);
    expect(c).toMatchObject({ urgency: 'urgent', category: 'safety', status: 'escalated' });
    expect(c.deadlines).toEqual({ acknowledge: at('2026-11-05T10:30:00+08:00'), leadership: at('2026-11-05T12:00:00+08:00') });
    const byRole = Object.fromEntries(c.notices.map((x) => [x.role, x]));
    expect(byRole.father).toMatchObject({ deadline: at('2026-11-05T11:00:00+08:00'), status: 'sent', sentAt: opened, inTime: true });
    expect(byRole.mother).toMatchObject({ deadline: at('2026-11-05T11:00:00+08:00'), status: 'sent', sentAt: opened, inTime: true });
    expect(byRole.principal).toMatchObject({ deadline: at('2026-11-05T12:00:00+08:00'), status: 'sent', sentAt: at('2026-11-05T11:30:00+08:00'), inTime: true });
    expect(byRole.moral_director).toMatchObject({ status: 'sent', inTime: true });
    expect(c.ladder.map((s) => [s.step, s.at])).toEqual([
      ['announced', opened],
      ['family', opened],
      ['urgentNoAck', at('2026-11-05T10:30:00+08:00')],
      ['leadershipSummary', at('2026-11-05T11:30:00+08:00')],
    ]);
    expect(c.ladder.find((s) => s.step === 'urgentNoAck')!.to.sort()).toEqual(['张丽', '王建军'].sort());
    expect(c.ladder.find((s) => s.step === 'family')!.to).toEqual(['王建国', '刘芳']);

    // Closing tells the grandmother, and the parents who were promised news.
    const counts = await Promise.all(['gm', 'dad', 'mum'].map(async (a) => (await t.inbox(a)).length));
    await t.say('zhang', `#${n.u1} 结案 孩子在同学家，已经接回来了`);
    for (const [i, who] of ['gm', 'dad', 'mum'].entries()) {
      const got = await since(t, who, counts[i]);
      expect(got.map((m) => m.text).join('')).toContain('已经接回来了');
    }
  });

  it('urgent, raised by a parent: the guardian at once; acknowledged in time → no escalation', async () => {
    await t.setClock('2026-11-05T14:00:00+08:00');
    const gmBefore = (await t.inbox('gm')).length;
    n.u2 = numberIn((await t.say('dad', '老师，孩子在路上被人打了，受伤流血了'))[0]);
    const told = await since(t, 'gm', gmBefore);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ style: 'voice', text: '王小明家里反映了情况，学校正在处理。', at: at('2026-11-05T14:00:00+08:00') });
    expect((await caseOf(t, n.u2)).notices.map((x) => [x.role, x.deadline, x.inTime])).toEqual([['guardian', at('2026-11-05T14:30:00+08:00'), true]]);

    await t.setClock('2026-11-05T14:20:00+08:00');
    await t.say('zhang', `#${n.u2} 收到`);
    await t.setClock('2026-11-05T14:45:00+08:00');
    for (const who of ['zhang', 'wang']) expect(await about(t, who, n.u2, '分钟无人确认')).toEqual([]);
    expect((await caseOf(t, n.u2)).ladder.map((s) => s.step)).toEqual(['announced', 'family', 'acknowledged']);
    await t.say('zhang', `#${n.u2} 结案 已报警并送医检查，无大碍`);
  });

  it('emergencies ignore quiet hours; an ordinary case waits until 07:30', async () => {
    await t.setClock('2026-11-05T23:00:00+08:00');
    n.u3 = numberIn((await t.say('lidad', '孩子发高烧了，一直说胡话'))[0]);
    n.o3 = numberIn((await t.say('mum', '孩子不想上学了'))[0]);
    const night = at('2026-11-05T23:00:00+08:00');
    expect((await about(t, 'li', n.u3)).map((m) => m.at)).toEqual([night]);
    expect((await about(t, 'teachers', n.u3)).map((m) => m.at)).toEqual([night]);
    expect(await about(t, 'zhang', n.o3)).toEqual([]);
    expect(await about(t, 'teachers', n.o3)).toEqual([]);

    await t.setClock('2026-11-05T23:30:00+08:00');
    for (const who of ['zhang', 'wang']) {
      expect((await about(t, who, n.u3, '分钟无人确认')).map((m) => m.at)).toEqual([at('2026-11-05T23:30:00+08:00')]);
    }
    await t.setClock('2026-11-06T07:29:00+08:00');
    expect(await about(t, 'zhang', n.o3)).toEqual([]);
    await t.setClock('2026-11-06T07:31:00+08:00');
    expect((await about(t, 'zhang', n.o3)).map((m) => m.at)).toEqual([at('2026-11-06T07:31:00+08:00')]);
    expect(await about(t, 'teachers', n.o3)).toHaveLength(1);
  });

  it('GET /api/concerns: needs the token; open cases with deadlines and history; ?status=all adds closed ones; audited', async () => {
    expect((await t.http.get('/api/concerns')).status).toBe(401);
    expect((await t.http.get('/api/concerns').set('Authorization', 'Bearer wrong')).status).toBe(401);
    const audits = await AuditLog.countDocuments({ action: 'read.concerns' });

    const open = await cases(t);
    expect(open.map((c) => c.number).sort((a, b) => a - b)).toEqual([n.u3, n.o3].sort((a, b) => a - b));
    const o3 = open.find((c) => c.number === n.o3)!;
    expect(o3.deadlines).toEqual({ acknowledge: at('2026-11-06T23:00:00+08:00'), headTeacher: at('2026-11-07T23:00:00+08:00') });
    expect(o3.messages).toEqual([{ at: at('2026-11-05T23:00:00+08:00'), direction: 'family', text: '孩子不想上学了', voice: false }]);
    expect(o3).not.toHaveProperty('raisedBy');
    const u3 = open.find((c) => c.number === n.u3)!;
    expect(u3.deadlines.acknowledge).toBe(at('2026-11-05T23:30:00+08:00'));
    expect(u3.ladder.every((s) => !Number.isNaN(Date.parse(s.at)))).toBe(true);

    const all = await cases(t, true);
    const o1 = all.find((c) => c.number === n.o1)!;
    expect(o1).toMatchObject({ status: 'resolved', resolution: '已找双方谈过话' });
    expect(all.length).toBe(6);
    expect(await AuditLog.countDocuments({ action: 'read.concerns' })).toBe(audits + 2);
    // Nothing in the answer reveals a phone number or an address.
    expect(JSON.stringify(all)).not.toMatch(PHONE);
    expect(JSON.stringify(all)).not.toMatch(/lidad|"gm"|"mum"/);
  });

  it('no phone number in any group message', async () => {
    await expectNoPhoneInRooms(t);
  });
});

describe('incidents reported by the school, and unreachable family', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startSchool();
    await t.setClock('2026-11-02T10:00:00+08:00');
    await t.say('gm', await t.code('王小明', 'guardian'));
    await t.say('gm', await t.code('王小华', 'guardian'));
    await t.say('dad', await t.code('王小明', 'father'));
    await t.say('mum', await t.code('王小明', 'mother'));
    await t.say('lidad', await t.code('李小红', 'father'));
  });
  afterAll(async () => { await t.stop(); });

  it('紧急 王小明 课间摔伤，已送卫生院 → guardian, parents and leadership at once, notices with deadlines and delivery times', async () => {
    const replies = await t.sayFull('li', '紧急 王小明 课间摔伤，已送卫生院', { room: 'teachers' });
    expect(replies).toHaveLength(1);
    expect(replies[0].room).toBe('teachers');
    const num = numberIn(replies[0].text);
    expect(replies[0].text).toBe(`已记录 #${num}。已通知：王奶奶、王建国、刘芳；学校领导 2 人。`);
    const now = at('2026-11-02T10:00:00+08:00');

    const gm = (await t.inbox('gm')).pop()!;
    expect(gm).toMatchObject({ style: 'voice', text: '学校通知，王小明：课间摔伤，已送卫生院。老师在处理。', at: now });
    for (const p of ['dad', 'mum']) expect((await t.inbox(p)).pop()).toMatchObject({ text: expect.stringContaining('课间摔伤，已送卫生院'), at: now });
    for (const l of ['wang', 'zhou']) expect((await about(t, l, num, '突发情况'))[0].at).toBe(now);
    expect((await about(t, 'zhang', num))[0].text).toContain('李伟报告');

    const c = await caseOf(t, num);
    expect(c).toMatchObject({ incident: true, urgency: 'urgent', category: 'safety', raisedByRole: 'staff', status: 'acknowledged' });
    const mins = (iso: string) => (Date.parse(iso) - Date.parse(now)) / MIN;
    expect(c.notices.map((x) => [x.role, x.name, mins(x.deadline), x.status, x.sentAt, x.inTime])).toEqual([
      ['guardian', '王奶奶', 30, 'sent', now, true],
      ['father', '王建国', 60, 'sent', now, true],
      ['mother', '刘芳', 60, 'sent', now, true],
      ['principal', '王建军', 120, 'sent', now, true],
      ['moral_director', '周敏', 120, 'sent', now, true],
    ]);
    expect(c.ladder.map((s) => [s.step, s.at])).toEqual([['incidentNotices', now]]);

    // The teacher's news and the close reach the family that was told.
    await t.setClock('2026-11-02T11:00:00+08:00');
    expect((await t.say('zhang', `#${num} 医生看过了，只是擦伤，已回教室`))[0]).toContain('已把答复转给');
    for (const who of ['gm', 'dad', 'mum']) expect((await t.inbox(who)).pop()!.text).toContain('只是擦伤');
    expect((await t.say('zhang', `#${num} 结案 已回家休息`))[0]).toContain('已结案');
    for (const who of ['gm', 'dad', 'mum']) expect((await t.inbox(who)).pop()!.text).toContain('已回家休息');
    // The ladder later: no "not delivered" alarm, no second round of notices.
    await t.setClock('2026-11-02T13:00:00+08:00');
    expect((await t.inbox('zhang')).filter((m) => m.text.includes('没有在时限内送达'))).toEqual([]);
    expect(await about(t, 'wang', num)).toHaveLength(1);
  });

  it('a long report reaches the guardian in short pieces and still counts as delivered in time', async () => {
    await t.setClock('2026-11-03T10:00:00+08:00');
    const what = '上体育课时从单杠上摔下来，左手腕肿了，校医检查后怀疑骨折，班主任已陪同送往镇卫生院拍片。请家里人不要着急，片子结果出来以后我们马上告诉您，有需要的话请家里人来一趟卫生院';
    const num = numberIn((await t.say('zhang', `紧急 王小明 ${what}`))[0]);
    const pieces = (await t.inbox('gm')).filter((m) => m.at === at('2026-11-03T10:00:00+08:00'));
    expect(pieces.length).toBeGreaterThan(1);
    for (const p of pieces) expect([...p.text].length).toBeLessThanOrEqual(80);
    const c = await caseOf(t, num);
    expect(c.notices.find((x) => x.role === 'guardian')).toMatchObject({ status: 'sent', sentAt: at('2026-11-03T10:00:00+08:00'), inTime: true });
    await t.setClock('2026-11-03T11:30:00+08:00');
    expect((await t.inbox('zhang')).filter((m) => m.text.includes('没有在时限内送达'))).toEqual([]);
    await t.say('zhang', `#${num} 结案 只是扭伤`);
  });

  it('an unbound family member is reported back to the teacher as unreachable', async () => {
    await t.setClock('2026-11-04T10:00:00+08:00');
    const replies = await t.say('li', '紧急：李小红，发烧39度，已送医院');
    const num = numberIn(replies[0]);
    expect(replies[0]).toContain('已通知：李强');
    expect(replies[1]).toBe('陈梅没有绑定，收不到消息，请按联系卡上的电话马上通知。');
    expect((await t.inbox('lidad')).pop()!.text).toContain('发烧39度');
    const c = await caseOf(t, num);
    expect(c.notices.find((x) => x.role === 'mother')).toMatchObject({ name: '陈梅', unreachable: true, status: 'unreachable', inTime: false });
    expect(c.notices.find((x) => x.role === 'father')).toMatchObject({ status: 'sent', inTime: true });
    await t.say('li', `#${num} 结案`);
  });

  it('an urgent concern about a child whose parents are not bound: the teacher is told at once to phone them', async () => {
    await t.setClock('2026-11-04T15:00:00+08:00');
    const zhangBefore = (await t.inbox('zhang')).length;
    // The grandmother holds two children: 小华 names one.
    const num = numberIn((await t.say('gm', '小华放学找不到了'))[0]);
    const c = await caseOf(t, num);
    expect(c).toMatchObject({ child: '王小华', urgency: 'urgent' });
    expect(c.notices.map((x) => [x.role, x.unreachable])).toEqual([['father', true], ['mother', true]]);
    const told = (await since(t, 'zhang', zhangBefore)).filter((m) => m.text.includes('没有绑定'));
    expect(told).toHaveLength(1);
    expect(told[0].text).toContain(`#${num}`);
    expect(told[0].text).toContain('王建国');
    expect(told[0].text).toContain('刘芳');
    expect(told[0].at).toBe(at('2026-11-04T15:00:00+08:00'));
    await t.setClock('2026-11-04T16:10:00+08:00');
    expect((await since(t, 'zhang', zhangBefore)).filter((m) => m.text.includes('没有绑定') || m.text.includes('没有在时限内'))).toHaveLength(1);
    await t.say('zhang', `#${num} 结案 孩子在外婆家`);
  });

  it('a voice message from a guardian of two children asks which child, then raises the case with the recording', async () => {
    const ask = (await t.say('gm', '', { voice: 'media-gm-1' }))[0];
    expect(ask).toContain('王小明');
    expect(ask).toContain('王小华');
    const digit = /问王小华回(\d)/.exec(ask)![1];
    const num = numberIn((await t.say('gm', digit))[0]);
    expect(await caseOf(t, num)).toMatchObject({ child: '王小华' });
    expect((await about(t, 'teachers', num))[0].voice).toBe('media-gm-1');
    await t.say('zhang', `#${num} 结案`);
  });

  it('an incident at night reaches everyone at once', async () => {
    await t.setClock('2026-11-04T23:00:00+08:00');
    const num = numberIn((await t.say('zhang', '紧急 王小明 宿舍里发高烧，已送卫生院'))[0]);
    for (const who of ['gm', 'dad', 'mum']) expect((await t.inbox(who)).pop()!.at).toBe(at('2026-11-04T23:00:00+08:00'));
    expect((await about(t, 'wang', num))[0].at).toBe(at('2026-11-04T23:00:00+08:00'));
  });

  it('the name may run into the words: 紧急 王小明课间摔伤', async () => {
    await t.setClock('2026-11-05T09:00:00+08:00');
    const num = numberIn((await t.say('zhang', '紧急 王小明课间摔伤'))[0]);
    const c = await caseOf(t, num);
    expect(c).toMatchObject({ child: '王小明', incident: true });
    expect(c.messages[0].text).toBe('课间摔伤');
    expect((await t.inbox('dad')).pop()!.text).toContain('王小明：课间摔伤');
    await t.say('zhang', `#${num} 结案`);
  });

  it('a teacher of another school cannot report about this school\'s child; a bare 紧急 gets the usage', async () => {
    await t.setClock('2026-11-05T10:00:00+08:00');
    expect((await t.say('zhao', '紧急 王小明 摔伤了'))[0]).toContain('本校没有找到学生“王小明”');
    expect((await t.say('zhang', '紧急'))[0]).toContain('紧急 王小明 课间摔伤');
    expect((await t.say('zhang', '紧急 王小明'))[0]).toContain('紧急 王小明 课间摔伤');
    expect((await t.say('zhang', '紧急 张三 摔伤了'))[0]).toContain('本校没有找到学生“张三”');
  });

  it('no phone number in any group message', async () => {
    await expectNoPhoneInRooms(t);
  });
});

describe('a family member who names another pupil opens no case (issue 10)', () => {
  let t: TestApp;
  /** Everyone a case or its ladder could reach: the other child's family, the staff, the group. */
  const WATCHED = ['gm', 'dad', 'zhang', 'li', 'wang', 'zhou', 'teachers'];
  const sizes = async () => Promise.all(WATCHED.map(async (a) => (await t.inbox(a)).length));

  beforeAll(async () => {
    t = await startSchool();
    await t.setClock('2026-11-09T10:00:00+08:00');
    await t.say('lidad', await t.code('李小红', 'father'));
    await t.say('gm', await t.code('王小明', 'guardian'));
    await t.say('dad', await t.code('王小明', 'father'));
    await t.say('dad', await t.code('王小华', 'father'));
  });
  afterAll(async () => { await t.stop(); });

  it('王小明发烧了 from 李小红\'s father: no case; he is told he can report only about 李小红', async () => {
    const before = await sizes();
    const reply = await t.say('lidad', '王小明发烧了');
    expect(reply).toHaveLength(1);
    expect(reply[0]).toContain('只能');
    expect(reply[0]).toContain('李小红');
    expect(reply[0]).not.toMatch(/#\d+/);
    expect(await cases(t, true)).toEqual([]);
    expect(await sizes()).toEqual(before);
  });

  it('an urgent one about another pupil (王小明不想活了) is no case either: nobody is told, no ladder', async () => {
    const before = await sizes();
    const reply = await t.say('lidad', '王小明不想活了');
    expect(reply[0]).toContain('李小红');
    expect(reply[0]).not.toMatch(/#\d+/);
    expect(await cases(t, true)).toEqual([]);
    await t.setClock('2026-11-09T13:00:00+08:00');
    expect(await sizes()).toEqual(before);
  });

  it('after 4 (what happened?), the words are checked too', async () => {
    await t.say('lidad', '4');
    const reply = await t.say('lidad', '王小明在学校被打了');
    expect(reply[0]).toContain('李小红');
    expect(await cases(t, true)).toEqual([]);
  });

  it('a parent of two children is asked which of theirs it is about', async () => {
    const reply = await t.say('dad', '李小红发烧了');
    expect(reply[0]).toContain('王小明');
    expect(reply[0]).toContain('王小华');
    expect(reply[0]).not.toMatch(/#\d+/);
    expect(await cases(t, true)).toEqual([]);
  });

  it('a grandmother in voice style hears the short version, with her child\'s name and the digit', async () => {
    const reply = await t.sayFull('gm', '李小红发烧了');
    expect(reply[0].style).toBe('voice');
    expect(reply[0].text).toContain('王小明');
    expect(reply[0].text).toContain('回1');
    expect(reply[0].text).not.toContain('\n');
    expect(await cases(t, true)).toEqual([]);
  });

  it('choosing their own child by digit makes it that child\'s case; naming their own child works as before', async () => {
    await t.say('lidad', '王小明把我家孩子打伤了');
    const chosen = numberIn((await t.say('lidad', '1'))[0]);
    expect(await caseOf(t, chosen)).toMatchObject({ child: '李小红', messages: [expect.objectContaining({ text: '王小明把我家孩子打伤了' })] });
    const own = numberIn((await t.say('dad', '小华发烧了'))[0]);
    expect(await caseOf(t, own)).toMatchObject({ child: '王小华', category: 'health' });
  });
});
