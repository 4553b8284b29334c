/**
 * The `wechaty` channel on wechaty-puppet-mock, through the real bot: mock contacts talk to the bot's account, the
 * bot answers with say(), and the tests read what the mock world received (its message cache).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileBox } from 'file-box';
import { types } from 'wechaty';
import { PuppetMock, mock } from 'wechaty-puppet-mock';
import { PermanentSendError, RetryableSendError } from '../src/bot/channel';
import { enqueue } from '../src/bot/outbox';
import type { WechatyChannel } from '../src/bot/wechatyChannel';
import { wechatyPlugin, loadWechatyConfig } from '../src/bot/wechatyConfig';
import { ConfigError } from '../src/config';
import { createLogger } from '../src/log';
import { Concern } from '../src/models/concern';
import { countMessages, latestMessage, message } from './helpers/messages';
import { ADMIN_TOKEN, startWithSchool, TestApp } from './helpers/testApp';

const ROOM = 'teachers@chatroom';
const BOT = 'liushou-bot';

const mocker = new mock.Mocker();
const puppet = new PuppetMock({ mocker });
const outcomes = new Map<string, string[]>();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wechaty-test-'));
const sendText = jest.spyOn(puppet, 'messageSendText');

let t: TestApp;
let channel: WechatyChannel;
let me: mock.ContactMock, zhang: mock.ContactMock, li: mock.ContactMock, dad: mock.ContactMock, grandma: mock.ContactMock;
let room: mock.RoomMock;

/** Runs `say` (a mock contact speaking), waits until the channel has handled that message, then delivers the outbox. */
async function said(say: () => void): Promise<{ id: string; outcome: string }> {
  let id: string | undefined;
  const grab = (p: { messageId: string }): void => { id ??= p.messageId; };
  puppet.on('message', grab);
  say();
  puppet.off('message', grab);
  if (!id) throw new Error('the mock emitted no message');
  return { id, outcome: await processed(id, 1) };
}

async function processed(id: string, times: number): Promise<string> {
  for (let i = 0; i < 500 && (outcomes.get(id)?.length ?? 0) < times; i++) await new Promise((r) => setTimeout(r, 10));
  const list = outcomes.get(id) ?? [];
  if (list.length < times) throw new Error(`message ${id} was not processed ${times} time(s)`);
  await t.app.context.delivery.deliverDue();
  return list[times - 1];
}

/** What the bot's account said to a contact (1:1) or in a room, oldest first. */
function fromBot(to: string): Array<{ id: string; text?: string; type: number }> {
  return [...mocker.cacheMessagePayload.values()]
    .filter((p) => p.talkerId === BOT && ('roomId' in p && p.roomId ? p.roomId === to : p.listenerId === to))
    .map((p) => ({ id: p.id, text: p.text, type: p.type }));
}

const texts = (to: string): string[] => fromBot(to).filter((m) => m.type === types.Message.Text).map((m) => m.text ?? '');

beforeAll(async () => {
  const plugin = wechatyPlugin({ WECHATY_PUPPET: 'wechaty-puppet-mock' }, {
    orgId: 'default', dataDir, log: createLogger('silent'), puppet,
    onProcessed: (id, outcome) => outcomes.set(id, [...(outcomes.get(id) ?? []), outcome]),
  })!;
  channel = plugin.channel as WechatyChannel;
  t = await startWithSchool({ DATA_DIR: dataDir }, { channels: [plugin], defaultChannel: 'wechaty' });
  await t.setClock('2026-11-10T10:00:00+08:00');

  // Contact ids are the addresses the bot knows: staff by their imported account, families by what they bind.
  me = mocker.createContact({ id: BOT, name: '留守助手' });
  zhang = mocker.createContact({ id: 'zhang', name: '张丽' });
  li = mocker.createContact({ id: 'li', name: '李伟' });
  dad = mocker.createContact({ id: 'wx-dad', name: '王建国' });
  grandma = mocker.createContact({ id: 'wx-grandma', name: '王奶奶' });
  room = mocker.createRoom({ id: ROOM, topic: '阳光小学教师群', memberIdList: [BOT, 'zhang', 'li'] });
  mocker.login(me);
  for (let i = 0; i < 200 && !channel.wechaty.isLoggedIn; i++) await new Promise((r) => setTimeout(r, 10));
  expect(channel.wechaty.isLoggedIn).toBe(true);
  // The school's teachers' group is this WeChat room.
  const res = await t.http.patch(`/api/schools/${encodeURIComponent('阳光小学')}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ teacherRoom: ROOM });
  expect(res.status).toBe(200);
});

afterAll(async () => {
  await t?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('wechaty channel on the mock puppet', () => {
  it('a parent binds by code 1:1 and asks "1": the answers are said to that contact', async () => {
    const code = await t.code('王小明', 'father');
    expect((await said(() => dad.say(code).to(me))).outcome).toBe('handled');
    expect(texts('wx-dad').join('\n')).toContain('绑定成功');
    const before = texts('wx-dad').length;
    await said(() => dad.say('1').to(me));
    const answers = texts('wx-dad').slice(before);
    expect(answers).toHaveLength(1);
    expect(answers[0]).toContain('王小明');
    const sent = await latestMessage({ to: 'wx-dad', kind: 'reply' });
    expect(sent).toMatchObject({ status: 'sent', route: 'wechaty', channel: 'wechaty' });
    // The bot's own messages come back as message events too, and are not answered.
    expect(await processed(fromBot('wx-dad')[0].id, 1)).toBe('ignored');
  });

  it('a quoted reply is read without the quote', async () => {
    const before = texts('wx-dad').length;
    await said(() => dad.say('「留守助手：请回复数字：1 孩子近况」\n- - - - - - - - - - - - - - -\n2').to(me));
    expect(texts('wx-dad').slice(before).join('\n')).toContain('帮扶老师是张丽');
  });

  it('a repeated message id is processed once', async () => {
    const code = await t.code('王小明', 'mother');
    const mum = mocker.createContact({ id: 'wx-mum', name: '刘芳' });
    const { id } = await said(() => mum.say(code).to(me));
    const first = texts('wx-mum');
    expect(first.join('\n')).toContain('绑定成功');
    // The puppet delivers the same message again (e.g. after a reconnect).
    puppet.emit('message', { messageId: id });
    await processed(id, 2);
    expect(outcomes.get(id)).toEqual(['handled', 'handled']);
    expect(texts('wx-mum')).toEqual(first);
  });

  it('a teacher who @-mentions the bot in the room is answered in the room', async () => {
    const before = texts(ROOM).length;
    const { outcome } = await said(() => zhang.say('@留守助手 你好', [me]).to(room));
    expect(outcome).toBe('handled');
    const replies = texts(ROOM).slice(before);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain('张丽老师您好');
    expect(texts('zhang')).toEqual([]);
  });

  it('a room message that neither mentions the bot nor starts with # is ignored', async () => {
    const before = texts(ROOM).length;
    const { id, outcome } = await said(() => li.say('大家好，明天开会').to(room));
    expect(outcome).toBe('ignored');
    expect(texts(ROOM)).toHaveLength(before);
    expect(await countMessages({ inReplyTo: id })).toBe(0);
  });

  it('a voice message in becomes a case: kept under DATA_DIR/media, forwarded as voice to the room (@teacher) and the teacher; #N in the room answers it', async () => {
    const code = await t.code('王小明', 'guardian');
    await said(() => grandma.say(code).to(me));
    const recording = Buffer.from('#!SILK_V3 fake recording of 王奶奶');
    sendText.mockClear();
    const roomBefore = fromBot(ROOM).length;
    const { id, outcome } = await said(() => grandma.say(FileBox.fromBase64(recording.toString('base64'), 'voice.sil')).to(me));
    expect(outcome).toBe('handled');

    // In: the InboundMessage carried voice.mediaId, the file kept under DATA_DIR/media.
    const concern = await Concern.findOne({ raisedBy: 'wx-grandma' }).lean();
    const mediaId = concern!.messages[0].voiceMediaId!;
    expect(mediaId).toMatch(/^wechaty-.+\.sil$/);
    expect(mediaId).toContain(id);
    expect(fs.readFileSync(path.join(dataDir, 'media', mediaId))).toEqual(recording);

    // Out: the room gets the case text mentioning the pairing teacher, then the recording as a file.
    const inRoom = fromBot(ROOM).slice(roomBefore);
    expect(inRoom.map((m) => m.type)).toEqual([types.Message.Text, types.Message.Audio]);
    expect(inRoom[0].text).toContain(`#${concern!.number}`);
    expect(inRoom[0].text).toContain('@张丽');
    expect(inRoom[0].text!.match(/@张丽/g)).toHaveLength(1);
    // Wechaty passes the ids to notify as a third argument (PuppetMock's own signature omits it).
    const roomCall = (sendText.mock.calls as unknown as Array<[string, string, string[]?]>).find(([to]) => to === ROOM);
    expect(roomCall?.[2]).toEqual(['zhang']);
    const box = mocker.cacheFileBoxPayload.get(inRoom[1].id) as { base64?: string; name: string };
    expect(Buffer.from(box.base64!, 'base64')).toEqual(recording);
    // And the teacher 1:1: text and the recording.
    expect(fromBot('zhang').map((m) => m.type)).toEqual([types.Message.Text, types.Message.Audio]);

    // The teacher answers in the room without mentioning the bot: "#N …" is for the bot.
    const answered = await said(() => zhang.say(`#${concern!.number} 明天我去家访`).to(room));
    expect(answered.outcome).toBe('handled');
    expect(texts(ROOM).at(-1)).toContain('已把答复转给王小明');
    expect(texts('wx-grandma').at(-1)).toContain('明天我去家访');
  });

  it('a send to an unknown contact is a PermanentSendError and the outbox marks it failed', async () => {
    await expect(channel.send({ key: 'x1', to: 'wx-nobody', text: '你好', style: 'text' })).rejects.toBeInstanceOf(PermanentSendError);
    await expect(channel.send({ key: 'x2', to: 'nobody', room: 'nothere@chatroom', text: '你好', style: 'text' })).rejects.toBeInstanceOf(PermanentSendError);
    await enqueue({ orgId: 'default', key: 'wechaty-test:nobody', to: 'wx-nobody', text: '你好', style: 'text', kind: 'test', channel: 'wechaty', dueAt: new Date('2026-11-10T02:00:00Z') });
    await t.app.context.delivery.deliverDue();
    const doc = await message({ key: 'wechaty-test:nobody' });
    expect(doc).toMatchObject({ status: 'failed', attempts: 1 });
    expect(doc!.lastError).toContain('wx-nobody');
  });

  it('a transient puppet error is retryable; so is every send while logged out', async () => {
    jest.spyOn(puppet, 'contactPayload').mockRejectedValueOnce(new Error('14 UNAVAILABLE: Connection dropped'));
    await expect(channel.send({ key: 'x4', to: 'wx-dad', text: '你好', style: 'text' })).rejects.toBeInstanceOf(RetryableSendError);
    await puppet.logout();
    for (let i = 0; i < 200 && channel.wechaty.isLoggedIn; i++) await new Promise((r) => setTimeout(r, 10));
    await expect(channel.send({ key: 'x3', to: 'wx-dad', text: '你好', style: 'text' })).rejects.toBeInstanceOf(RetryableSendError);
  });
});

describe('wechaty configuration', () => {
  it('is off without WECHATY_PUPPET and names the variable when a value is wrong', () => {
    expect(loadWechatyConfig({})).toBeUndefined();
    expect(wechatyPlugin({ WECHATY_PUPPET: '' }, { orgId: 'default', dataDir, log: createLogger('silent') })).toBeUndefined();
    expect(() => loadWechatyConfig({ WECHATY_PUPPET: 'wechaty-puppet-service' })).toThrow(ConfigError);
    expect(() => loadWechatyConfig({ WECHATY_PUPPET: 'wechaty-puppet-service' })).toThrow(/WECHATY_PUPPET_SERVICE_TOKEN/);
    expect(() => loadWechatyConfig({ WECHATY_PUPPET: 'left-pad' })).toThrow(/WECHATY_PUPPET:/);
    expect(() => loadWechatyConfig({ WECHATY_PUPPET: 'wechaty-puppet-mock', WECHATY_NAME: '../x' })).toThrow(/WECHATY_NAME/);
    expect(loadWechatyConfig({ WECHATY_PUPPET: 'wechaty-puppet-service', WECHATY_PUPPET_SERVICE_TOKEN: 'puppet_workpro_0123456789' }))
      .toMatchObject({ WECHATY_PUPPET_SERVICE_TOKEN: 'puppet_workpro_0123456789' });
  });
});
