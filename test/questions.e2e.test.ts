/** Points 7 and 8 of the foundation issue through the simulator: the menu, free words, answers, voice style and language. */
import { Child } from '../src/models/child';
import { ProgressNote } from '../src/models/progressNote';
import { School } from '../src/models/school';
import { Staff } from '../src/models/staff';
import { startWithSchool, TestApp } from './helpers/testApp';

let t: TestApp;
beforeAll(async () => {
  t = await startWithSchool();
  // Daytime in Shanghai: pushes to teachers are not held by quiet hours.
  await t.setClock('2026-11-02T10:00:00+08:00');
  await t.say('mum', await t.code('李小红', 'mother'));
  await t.say('grandma', await t.code('王小明', 'guardian'));
});
afterAll(async () => { await t.stop(); });

const VOICE_FORBIDDEN = /https?:|www\.|[#*【】★☆→•·✓✔️🙂😀]|\p{Extended_Pictographic}/u;

describe('someone not bound', () => {
  it('gets only how to register, whatever they ask', async () => {
    for (const text of ['1', '王小明最近怎么样', '老师电话', '你好']) {
      const replies = await t.say('unknown-person', text);
      expect(replies).toHaveLength(1);
      expect(replies[0]).toContain('绑定码');
      expect(replies[0]).not.toMatch(/王小明|李小红|张丽|李伟|1390000/);
    }
  });
});

describe('the menu and free words', () => {
  it('1 / 孩子最近怎么样: no note yet, then the latest note', async () => {
    expect((await t.say('mum', '1'))[0]).toContain('还没有写');
    const child = await Child.findOne({ name: '李小红' });
    const teacher = await Staff.findOne({ wecomUserId: 'li' });
    await ProgressNote.create({ orgId: 'default', childId: child!._id, teacherId: teacher!._id, period: '2026-09', status: 'sent', study: '九月的记录' });
    await ProgressNote.create({ orgId: 'default', childId: child!._id, teacherId: teacher!._id, period: '2026-10', status: 'sent', study: '认真完成作业。', mood: '很开心。' });
    await ProgressNote.create({ orgId: 'default', childId: child!._id, teacherId: teacher!._id, period: '2026-11', status: 'draft', study: '草稿不给家长看' });
    const replies = await t.say('mum', '孩子最近怎么样');
    expect(replies[0]).toContain('2026年10月');
    expect(replies[0]).toContain('学习：认真完成作业。');
    expect(replies[0]).toContain('心情：很开心。');
    expect(replies[0]).not.toContain('草稿');
    expect((await t.say('mum', '1'))[0]).toContain('认真完成作业');
  });

  it('2 / 老师是谁 / 老师电话: the teacher, phone only where the school allows it', async () => {
    for (const text of ['2', '老师是谁', '老师电话']) {
      const reply = (await t.say('mum', text))[0];
      expect(reply).toContain('李小红的帮扶老师是李伟');
      expect(reply).not.toContain('13900002222');
    }
    await School.updateOne({ name: '阳光小学' }, { $set: { showTeacherPhone: true } });
    expect((await t.say('mum', '老师电话'))[0]).toContain('13900002222');
    await School.updateOne({ name: '阳光小学' }, { $set: { showTeacherPhone: false } });
  });

  it('3 / 亲情电话: not set, the school default, then the child\'s own slot', async () => {
    expect((await t.say('mum', '3'))[0]).toContain('还没定');
    await School.updateOne({ name: '阳光小学' }, { $set: { familyCall: { weekday: 6, time: '19:00' } } });
    expect((await t.say('mum', '亲情电话什么时候'))[0]).toContain('每周六 19:00');
    await Child.updateOne({ name: '李小红' }, { $set: { familyCall: { weekday: 3, time: '20:30' } } });
    expect((await t.say('mum', '3'))[0]).toContain('每周三 20:30');
  });

  it('0 / 帮助 gives help with the menu; something not understood gets the menu', async () => {
    expect((await t.say('mum', '0'))[0]).toContain('1 孩子近况');
    expect((await t.say('mum', '帮助'))[0]).toContain('语音模式');
    const replies = await t.say('mum', '今天天气不错');
    expect(replies[0]).toContain('没看懂');
    expect(replies[0]).toContain('4 反映情况');
  });

  it('4: asks what happened, makes a numbered case for the pairing teacher, relays the answer', async () => {
    expect((await t.say('mum', '4'))[0]).toContain('请说说');
    const received = (await t.say('mum', '孩子说最近在学校被同学欺负'))[0];
    const number = /#(\d+)/.exec(received)![1];
    expect(received).toContain('李伟老师');
    const toTeacher = (await t.inbox('li')).pop()!;
    expect(toTeacher.text).toContain(`#${number}`);
    expect(toTeacher.text).toContain('被同学欺负');
    expect(toTeacher.text).not.toMatch(/1380013/);

    expect((await t.say('zhao', `#${number} 我来看看`))[0]).toContain('不是您学校');
    expect((await t.say('li', `#${number} 明天我找班主任了解一下`))[0]).toContain('已把答复转给');
    expect((await t.inbox('mum')).pop()!.text).toContain('明天我找班主任了解一下');
    expect((await t.say('li', '#9999 你好'))[0]).toContain('没有找到');
  });

  it('a push to the teacher at night waits for the end of quiet hours; the reply to the family does not', async () => {
    await t.setClock('2026-11-02T23:00:00+08:00');
    const before = (await t.inbox('li')).length;
    const reply = await t.say('mum', '孩子说晚上睡不着，很担心');
    expect(reply[0]).toMatch(/#\d+/);
    expect((await t.inbox('li')).length).toBe(before);
    await t.setClock('2026-11-03T07:29:00+08:00');
    expect((await t.inbox('li')).length).toBe(before);
    await t.setClock('2026-11-03T07:31:00+08:00');
    expect((await t.inbox('li')).pop()!.text).toContain('睡不着');
    await t.setClock('2026-11-03T10:00:00+08:00');
  });

  it('free words describing a problem go to the open case, and become a new case once it is closed', async () => {
    const follow = (await t.say('mum', '孩子发烧了'))[0];
    expect(follow).toContain('已补充到');
    const n = /#(\d+)/.exec(follow)![1];
    expect((await t.say('li', `#${n} 结案 已经带去看过医生了`))[0]).toContain('已结案');
    expect((await t.inbox('mum')).pop()!.text).toContain('已处理完毕');
    expect((await t.say('mum', '孩子发烧了'))[0]).toMatch(/已收到，编号 #\d+/);
  });
});

describe('voice style for guardians', () => {
  it('is the default for an old or low-literacy guardian: short, no symbols, answered by digit', async () => {
    const replies = await t.sayFull('grandma', '0');
    for (const r of replies) {
      expect(r.style).toBe('voice');
      expect([...r.text].length).toBeLessThanOrEqual(80);
      expect(r.text).not.toMatch(VOICE_FORBIDDEN);
    }
    expect(replies[0].text).toContain('回复1');
  });

  it('shortens a long progress note to fit', async () => {
    const child = await Child.findOne({ name: '王小明' });
    const teacher = await Staff.findOne({ wecomUserId: 'zhang' });
    await ProgressNote.create({
      orgId: 'default', childId: child!._id, teacherId: teacher!._id, period: '2026-10', status: 'sent',
      study: '这个月数学进步很大，单元测验考了九十二分。', life: '每天按时吃饭睡觉，和同学一起打扫教室。', mood: '比上个月开朗，愿意在课上发言了。', health: '身体健康。',
    });
    const reply = (await t.sayFull('grandma', '1'))[0];
    expect(reply.text).toContain('王小明');
    expect(reply.text).toContain('数学进步很大');
    expect([...reply.text].length).toBeLessThanOrEqual(80);
  });

  it('a long answer from the teacher reaches her in several short messages', async () => {
    const received = (await t.say('grandma', '孩子咳嗽两天了'))[0];
    const number = /编号(\d+)/.exec(received)![1];
    const toTeacher = (await t.inbox('zhang')).pop()!;
    expect(toTeacher.text).toContain('王小明（三年级1班）的祖母反映');
    const answer = '我今天下午已经带他去镇卫生院看过了，医生说是普通感冒，开了药。这几天我会在学校看着他按时吃药，多喝水，晚上早点睡。周五放学我再给您打个电话，说说他的情况，您别太担心，有事随时找我。';
    await t.say('zhang', `#${number} ${answer}`);
    const inbox = (await t.inbox('grandma')).filter((m) => m.text.includes('卫生院') || m.text.includes('随时找我'));
    expect(inbox.length).toBeGreaterThan(1);
    for (const m of inbox) expect([...m.text].length).toBeLessThanOrEqual(80);
    expect(inbox.map((m) => m.text).join('')).toContain('有事随时找我');
  });

  it('anyone can switch with 文字模式 / 语音模式', async () => {
    await t.say('grandma', '文字模式');
    const text = await t.sayFull('grandma', '0');
    expect(text[0].style).toBe('text');
    expect(text[0].text).toContain('1 孩子近况');
    await t.say('grandma', '语音模式');
    expect((await t.sayFull('grandma', '2'))[0].style).toBe('voice');
    // A parent gets text by default and may choose voice.
    expect((await t.sayFull('mum', '2'))[0].style).toBe('text');
    expect((await t.sayFull('mum', '语音模式'))[0].style).toBe('voice');
    await t.say('mum', '文字模式');
  });
});

describe('language', () => {
  it('English on request, Chinese back', async () => {
    expect((await t.say('mum', 'English'))[0]).toBe('Switched to English.');
    expect((await t.say('mum', '2'))[0]).toContain('The proxy-parent teacher of 李小红 is 李伟');
    expect((await t.say('mum', 'hello'))[0]).toContain('1 How is my child');
    expect((await t.say('mum', '中文'))[0]).toBe('已切换为中文。');
  });
});
