/**
 * `wecom-aibot` on the long connection (@wecom/aibot-node-sdk), with a stub standing in for the SDK's WSClient —
 * the real WebSocket (wss://openws.work.weixin.qq.com) cannot be reached from the tests. Checked: the SDK event →
 * InboundMessage mapping, the OutboundMessage → replyStream / sendMessage mapping, error classification, the
 * settings, and the whole bot with a case posted to and answered from the group over the (stubbed) connection.
 */
import { EventEmitter } from 'node:events';
import { InboundMessage, PermanentSendError, RetryableSendError } from '../src/bot/channel';
import type { WeComAibotChannel } from '../src/bot/wecom/aibotChannel';
import { WeComAibotLongConnection } from '../src/bot/wecom/aibotLongConnection';
import { normalizeForMatch, stripMentions, toMarkdown } from '../src/bot/wecom/aibotProtocol';
import { createSdkConnection } from '../src/bot/wecom/aibotSdk';
import type { AibotAck, AibotConnection, AibotFrame, AibotSendBody } from '../src/bot/wecom/aibotSdk';
import { isWeComConfigured, loadWeComConfig } from '../src/bot/wecom/config';
import { AIBOT_CALLBACK_PATH, wecomPlugins } from '../src/bot/wecom';
import { ConfigError } from '../src/config';
import { translator } from '../src/locales';
import { startWithSchool, TestApp } from './helpers/testApp';
import { newAibotMsgId } from './fakeWecom/aibot';
import { randomAesKey } from './fakeWecom/server';

const CHAT = 'wrkSFfCgAAteachers01';

/** The part of the SDK's WSClient the channel uses, recording every call. */
class StubConnection extends EventEmitter implements AibotConnection {
  isConnected = true;
  connects = 0;
  disconnects = 0;
  readonly streams: Array<{ reqId: string; streamId: string; content: string; finish?: boolean }> = [];
  readonly sends: Array<{ chatid: string; body: AibotSendBody }> = [];
  replyAnswer: () => Promise<AibotAck> = async () => ({ errcode: 0 });
  sendAnswer: () => Promise<AibotAck> = async () => ({ errcode: 0 });
  private seq = 0;

  connect(): this { this.connects++; return this; }
  disconnect(): void { this.disconnects++; }
  replyStream(frame: { headers: { req_id: string } }, streamId: string, content: string, finish?: boolean): Promise<AibotAck> {
    this.streams.push({ reqId: frame.headers.req_id, streamId, content, finish });
    return this.replyAnswer();
  }
  sendMessage(chatid: string, body: AibotSendBody): Promise<AibotAck> {
    this.sends.push({ chatid, body });
    return this.sendAnswer();
  }

  /** WeCom pushes an aibot_msg_callback frame (body as in D100719). */
  push(body: Record<string, unknown>, cmd = 'aibot_msg_callback'): AibotFrame {
    const frame = { cmd, headers: { req_id: `req_${++this.seq}` }, body } as unknown as AibotFrame;
    this.emit(cmd === 'aibot_event_callback' ? 'event' : 'message', frame);
    return frame;
  }
}

function groupText(from: string, content: string, extra: Record<string, unknown> = {}) {
  return { msgid: newAibotMsgId(), aibotid: 'AIBOTID', chatid: CHAT, chattype: 'group', from: { userid: from }, msgtype: 'text', text: { content }, ...extra };
}

describe('settings', () => {
  const base = { WECOM_API_BASE: 'https://qyapi.weixin.qq.com' };

  it('long connection: BotID + Secret, rooms by name', () => {
    const cfg = loadWeComConfig({ ...base, WECOM_AIBOT_BOT_ID: 'aib-123', WECOM_AIBOT_SECRET: 'secret-secret-1', WECOM_AIBOT_ROOMS: `teachers=${CHAT}, hope-teachers=wrkOther01` });
    expect(cfg.aibot).toEqual({ mode: 'long-connection', botId: 'aib-123', secret: 'secret-secret-1', rooms: { teachers: CHAT, 'hope-teachers': 'wrkOther01' }, webhooks: {} });
    expect(isWeComConfigured(cfg)).toBe(true);
    expect(cfg.app).toBeUndefined();
  });

  it('callback: Token + EncodingAESKey; a webhook as a bare key (on WECOM_API_BASE) or a whole address', () => {
    const key = randomAesKey();
    const cfg = loadWeComConfig({
      WECOM_API_BASE: 'http://127.0.0.1:9', WECOM_AIBOT_TOKEN: 'Tok1', WECOM_AIBOT_AES_KEY: key,
      WECOM_AIBOT_ROOM_WEBHOOKS: 'teachers=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa;hope-teachers=https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-12345678',
    });
    expect(cfg.aibot).toEqual({
      mode: 'callback', token: 'Tok1', encodingAESKey: key, rooms: {},
      webhooks: {
        teachers: 'http://127.0.0.1:9/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa',
        'hope-teachers': 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-12345678',
      },
    });
  });

  it('refuses both modes at once, a half-set mode, room lists without a bot, and a malformed webhook (without echoing it)', () => {
    const both = { WECOM_AIBOT_BOT_ID: 'aib-1', WECOM_AIBOT_SECRET: 'secret-secret-1', WECOM_AIBOT_TOKEN: 'Tok1', WECOM_AIBOT_AES_KEY: randomAesKey() };
    expect(() => loadWeComConfig(both)).toThrow(/not both/);
    expect(() => loadWeComConfig({ WECOM_AIBOT_BOT_ID: 'aib-1' })).toThrow(/WECOM_AIBOT_SECRET: required/);
    expect(() => loadWeComConfig({ WECOM_AIBOT_TOKEN: 'Tok1' })).toThrow(ConfigError);
    expect(() => loadWeComConfig({ WECOM_AIBOT_ROOMS: `teachers=${CHAT}` })).toThrow(/needs the AI bot/);
    const bad = () => loadWeComConfig({ WECOM_AIBOT_TOKEN: 'Tok1', WECOM_AIBOT_AES_KEY: randomAesKey(), WECOM_AIBOT_ROOM_WEBHOOKS: 'teachers=s3cr3t!!' });
    expect(bad).toThrow(/room "teachers": expected the webhook key/);
    expect(bad).not.toThrow(/s3cr3t/);
    expect(() => loadWeComConfig({ ...both, WECOM_AIBOT_TOKEN: '', WECOM_AIBOT_AES_KEY: '', WECOM_AIBOT_ROOMS: `a=${CHAT},b=${CHAT}` })).toThrow(/two rooms/);
  });

  it('wecomPlugins: the long connection is built from BotID + Secret and mounts nothing; callback mode mounts its URL', () => {
    const made: unknown[] = [];
    const stub = new StubConnection();
    const [p] = wecomPlugins({ WECOM_AIBOT_BOT_ID: 'aib-1', WECOM_AIBOT_SECRET: 'secret-secret-1' }, {
      orgId: 'default', aibotConnection: (o) => { made.push(o); return stub; },
    });
    expect(made).toEqual([expect.objectContaining({ botId: 'aib-1', secret: 'secret-secret-1' })]);
    expect(p.channel.name).toBe('wecom-aibot');
    expect((p.channel as WeComAibotChannel).mode).toBe('long-connection');
    expect(p.mount).toBeUndefined();
    const [q] = wecomPlugins({ WECOM_AIBOT_TOKEN: 'Tok1', WECOM_AIBOT_AES_KEY: randomAesKey() }, { orgId: 'default' });
    const used: string[] = [];
    q.mount!({ use: (path: string) => { used.push(path); } } as never);
    expect(used).toEqual([AIBOT_CALLBACK_PATH]);
  });
});

describe('the real SDK client, never connected', () => {
  it('has what the channel calls, and a send while not connected is retried later (no network touched)', async () => {
    const conn = createSdkConnection({ botId: 'aib-1', secret: 'secret-secret-1' });
    for (const m of ['on', 'connect', 'disconnect', 'replyStream', 'sendMessage'] as const) expect(typeof conn[m]).toBe('function');
    expect(conn.isConnected).toBe(false);
    const channel = new WeComAibotLongConnection({ orgId: 'default', connection: conn, rooms: { teachers: CHAT } });
    await expect(channel.send({ key: 'concern:1:room', to: 'teachers', room: 'teachers', text: 'x', style: 'text' }))
      .rejects.toThrow(RetryableSendError);
    await expect(channel.send({ key: 'concern:1:room', to: 'teachers', room: 'teachers', text: 'x', style: 'text' }))
      .rejects.toThrow(/not connected/);
  });
});

describe('text helpers', () => {
  it('drops the leading @-mentions (and one at the end), keeps the ones inside', () => {
    expect(stripMentions('@教师助手\u2005#27 明天带他去卫生院')).toBe('#27 明天带他去卫生院');
    expect(stripMentions('@RobotA hello robot')).toBe('hello robot');
    expect(stripMentions('@教师助手\u2005@李伟\u2005#27 收到')).toBe('#27 收到');
    expect(stripMentions('#27 收到 @教师助手')).toBe('#27 收到');
    expect(stripMentions('#27 请 @李伟 明天去家访')).toBe('#27 请 @李伟 明天去家访');
    expect(stripMentions('@教师助手')).toBe('');
    expect(stripMentions('\u200b#27 收到')).toBe('#27 收到');
  });

  it('markdown: line starts that would become structure are guarded, "#27" is not; mentions as <@userid>', () => {
    expect(toMarkdown('#27 王小明\n# 不是标题\n> 也不是引用\n1. 也不是列表', ['zhang'])).toBe('#27 王小明\n\u200b# 不是标题\n\u200b> 也不是引用\n\u200b1. 也不是列表\n<@zhang>');
    expect(normalizeForMatch('@张丽 #3 王小明\n<@zhang>')).toBe(normalizeForMatch('@张丽\u2005#3 王小明'));
  });
});

describe('the SDK mapping (stub connection)', () => {
  let stub: StubConnection;
  let channel: WeComAibotChannel;
  let got: InboundMessage[];
  let nowMs: number;
  const quotes: Array<[string, string]> = [];

  beforeEach(async () => {
    stub = new StubConnection();
    nowMs = Date.UTC(2026, 8, 8, 2, 0, 0);
    got = [];
    quotes.length = 0;
    channel = new WeComAibotLongConnection({
      orgId: 'default', connection: stub, rooms: { teachers: CHAT }, now: () => nowMs,
      resolveQuote: async (room, text) => { quotes.push([room, text]); return text.includes('#7') ? 'wecom-aibot:concern:7:room' : undefined; },
    });
    await channel.start(async (m) => { got.push(m); });
  });

  it('connects on start and disconnects on stop', async () => {
    expect(stub.connects).toBe(1);
    await channel.stop();
    expect(stub.disconnects).toBe(1);
  });

  it('a group @-mention → a room message (room by name, @Bot dropped, msgid as platformId); a quote → quotedId', async () => {
    const body = groupText('zhang', '@教师助手\u2005好的，周五家访', { quote: { msgtype: 'text', text: { content: '@张丽 #7 王小明（三年级1班）…' } } });
    stub.push(body);
    await channel.idle();
    expect(got).toEqual([expect.objectContaining({
      channel: 'wecom-aibot', orgId: 'default', from: 'zhang', room: 'teachers', text: '好的，周五家访', platformId: body.msgid,
      mentions: [], quotedId: 'wecom-aibot:concern:7:room',
    })]);
    expect(quotes).toEqual([['teachers', '@张丽 #7 王小明（三年级1班）…']]);
  });

  it('图文混排 in a group gives its text parts; a 1:1 voice its transcript; a chat id without a name is its own room', async () => {
    stub.push({ ...groupText('li', ''), msgtype: 'mixed', text: undefined, chatid: 'wrkUnnamed01', mixed: { msg_item: [{ msgtype: 'text', text: { content: '@教师助手\u2005#3 收到' } }, { msgtype: 'image', image: { url: 'https://x' } }] } });
    stub.push({ msgid: newAibotMsgId(), aibotid: 'A', chattype: 'single', from: { userid: 'li' }, msgtype: 'voice', voice: { content: '三号的情况我知道了' } });
    await channel.idle();
    expect(got.map((m) => [m.from, m.room, m.text])).toEqual([['li', 'wrkUnnamed01', '#3 收到'], ['li', undefined, '三号的情况我知道了']]);
    expect(await channel.reach('wrkUnnamed01')).toBe('open');
  });

  it('events, images and frames without req_id do not reach the bot', async () => {
    stub.push({ msgid: newAibotMsgId(), create_time: 1, aibotid: 'A', chattype: 'single', from: { userid: 'zhang' }, msgtype: 'event', event: { eventtype: 'enter_chat' } }, 'aibot_event_callback');
    stub.push({ msgid: newAibotMsgId(), aibotid: 'A', chattype: 'single', from: { userid: 'zhang' }, msgtype: 'image', image: { url: 'https://x', aeskey: 'k' } });
    stub.emit('message', { headers: {}, body: groupText('zhang', '@b hi') });
    stub.emit('message', { headers: { req_id: 'r' }, body: { msgtype: 'text' } });
    await channel.idle();
    expect(got).toEqual([]);
  });

  it('the reply to a message is a finished stream on its req_id; a second part is posted to the chat', async () => {
    const frame = stub.push(groupText('zhang', '@教师助手\u2005你好'));
    await channel.idle();
    const key = `reply:wecom-aibot:${got[0].platformId}`;
    const replyTo = { channel: 'wecom-aibot', platformId: got[0].platformId };
    const res = await channel.send({ key: `${key}:0`, to: 'zhang', room: 'teachers', text: '# 菜单\n1. 查看', style: 'text', replyTo });
    expect(res).toEqual({ route: 'wecom-aibot', platformMsgId: `wecom-aibot:${key}:0` });
    expect(stub.streams).toEqual([{ reqId: frame.headers.req_id, streamId: expect.stringMatching(/^stream_/), content: '\u200b# 菜单\n\u200b1. 查看', finish: true }]);
    await channel.send({ key: `${key}:1`, to: 'zhang', room: 'teachers', text: '第二段', style: 'text', replyTo });
    expect(stub.sends).toEqual([{ chatid: CHAT, body: { msgtype: 'markdown', markdown: { content: '第二段' } } }]);
  });

  it('after the stream window (~6 min) or a refused stream, the reply is posted instead', async () => {
    stub.push(groupText('zhang', '@b 一'));
    stub.push(groupText('zhang', '@b 二'));
    await channel.idle();
    nowMs += 7 * 60_000;
    await channel.send({ key: `reply:wecom-aibot:${got[0].platformId}:0`, to: 'zhang', room: 'teachers', text: '晚了', style: 'text', replyTo: { channel: 'wecom-aibot', platformId: got[0].platformId } });
    expect(stub.streams).toEqual([]);
    nowMs -= 7 * 60_000;
    stub.replyAnswer = async () => { throw { headers: { req_id: 'x' }, errcode: 846604, errmsg: 'stream expired' }; };
    await channel.send({ key: `reply:wecom-aibot:${got[1].platformId}:0`, to: 'zhang', room: 'teachers', text: '被拒', style: 'text', replyTo: { channel: 'wecom-aibot', platformId: got[1].platformId } });
    expect(stub.streams).toHaveLength(1);
    expect(stub.sends.map((s) => [s.chatid, s.body.markdown.content])).toEqual([[CHAT, '晚了'], [CHAT, '被拒']]);
  });

  it('a room post: markdown to the chat id, mentions as <@userid>, phones masked; 1:1 to the userid, unmasked', async () => {
    stub.sendAnswer = async () => ({ errcode: 0, headers: { req_id: 'x' }, body: { msgid: 'wecom-msg-1' } });
    const res = await channel.send({ key: 'concern:7:room', to: 'teachers', room: 'teachers', text: '@张丽 #7 王小明 电话13800138001', style: 'text', mentions: ['zhang'] });
    expect(res.platformMsgId).toBe('wecom-msg-1');
    await channel.send({ key: 'concern:7:teacher', to: 'zhang', text: '#7 电话13800138001', style: 'text' });
    expect(stub.sends).toEqual([
      { chatid: CHAT, body: { msgtype: 'markdown', markdown: { content: '@张丽 #7 王小明 电话138****8001\n<@zhang>' } } },
      { chatid: 'zhang', body: { msgtype: 'markdown', markdown: { content: '#7 电话13800138001' } } },
    ]);
    expect(await channel.reach('teachers')).toBe('open');
    expect(channel.servesRoom('anything')).toBe(true);
  });

  it('SDK failures: not connected / no ack → retry later; WeCom\'s errcode classified (45009 retry, others permanent)', async () => {
    const msg = { key: 'concern:8:room', to: 'teachers', room: 'teachers', text: 'x', style: 'text' as const };
    stub.sendAnswer = async () => { throw new Error('WebSocket not connected, unable to send data'); };
    await expect(channel.send(msg)).rejects.toBeInstanceOf(RetryableSendError);
    stub.sendAnswer = async () => { throw { headers: { req_id: 'x' }, errcode: 45009, errmsg: 'api freq out of limit' }; };
    await expect(channel.send(msg)).rejects.toBeInstanceOf(RetryableSendError);
    stub.sendAnswer = async () => { throw { headers: { req_id: 'x' }, errcode: 40008, errmsg: 'invalid message type' }; };
    const err = await channel.send(msg).catch((e) => e);
    expect(err).toBeInstanceOf(PermanentSendError);
    expect(err).not.toBeInstanceOf(RetryableSendError);
    await expect(channel.send({ ...msg, text: ' ', voice: { mediaId: 'm' } })).rejects.toThrow(/voice/);
  });
});

describe('the whole bot over the (stubbed) long connection', () => {
  let t: TestApp;
  let stub: StubConnection;
  let channel: WeComAibotChannel;

  beforeAll(async () => {
    stub = new StubConnection();
    const env = { WECOM_AIBOT_BOT_ID: 'aib-1', WECOM_AIBOT_SECRET: 'secret-secret-1', WECOM_AIBOT_ROOMS: `teachers=${CHAT}` };
    const plugins = wecomPlugins(env, { orgId: 'default', aibotConnection: () => stub });
    channel = plugins[0].channel as WeComAibotChannel;
    t = await startWithSchool(env, { channels: plugins });
    t.app.context.simulator!.clock.set(new Date('2026-09-08T10:00:00+08:00'));
    await t.say('dad', await t.code('王小明', 'father'));
  });
  afterAll(async () => { await t?.stop(); });

  async function say(from: string, content: string, extra: Record<string, unknown> = {}) {
    stub.push(groupText(from, content, extra));
    await channel.idle();
    await t.app.context.delivery.deliverDue();
  }

  it('hears the group, posts the case mentioning the teacher, and the answer (typed or quoted) reaches the family', async () => {
    await say('zhang', '@教师助手\u2005你好');
    expect(stub.streams.map((s) => s.content)).toEqual([translator('zh-CN', 'text')('menu.staff', { name: '张丽' })]);

    await t.say('dad', '4');
    const n = Number(/#(\d+)/.exec((await t.say('dad', '孩子说最近作业太多，每天写到很晚'))[0])![1]);
    const post = stub.sends.find((s) => s.body.markdown.content.includes(`#${n} `));
    expect(post?.chatid).toBe(CHAT);
    expect(post?.body.markdown.content).toMatch(/^@张丽 .*作业太多[\s\S]*\n<@zhang>$/);

    await say('zhang', `@教师助手\u2005#${n} 明天带他去卫生院`);
    expect((await t.inbox('dad')).map((m) => m.text)).toContain(`张丽老师答复（#${n}）：明天带他去卫生院`);

    await say('zhang', '@教师助手\u2005周五我去家访', { quote: { msgtype: 'text', text: { content: post!.body.markdown.content.split('\n')[0] } } });
    expect((await t.inbox('dad')).map((m) => m.text)).toContain(`张丽老师答复（#${n}）：周五我去家访`);
  });
});
