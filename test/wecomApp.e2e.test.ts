/**
 * The `wecom-app` channel end to end: the whole bot (startWithSchool) with the WeCom plugin as its default
 * channel, a fake WeCom server on 127.0.0.1 playing both sides — encrypted, signed callbacks into
 * /wecom/app/callback and the message/send API out — with real HTTP and real crypto.
 */
import crypto from 'node:crypto';
import { RetryableSendError } from '../src/bot/channel';
import { WeComAppChannel } from '../src/bot/wecom/appChannel';
import { TokenCache } from '../src/bot/wecom/client';
import { APP_CALLBACK_PATH, wecomPlugins } from '../src/bot/wecom';
import { translator } from '../src/locales';
import { InboundLog } from '../src/models/inboundLog';
import { latestMessage, message } from './helpers/messages';
import { startWithSchool, TestApp } from './helpers/testApp';
import { appEventXml, appTextXml, appVoiceXml, FakeWeCom, newMsgId, randomAesKey, signedCallback, verificationUrl } from './fakeWecom/server';

const CORP = 'wwe2ecorp';
const AGENT = 1000002;
const SECRET = 'e2e-app-secret';
const keys = { token: 'CallbackToken1', encodingAESKey: randomAesKey(), receiveId: CORP };
const DAY = new Date('2026-09-08T10:00:00+08:00');

let fake: FakeWeCom;
let t: TestApp;
let channel: WeComAppChannel;

beforeAll(async () => {
  fake = await FakeWeCom.start({ corpId: CORP, apps: [{ secret: SECRET, agentId: AGENT }], users: ['zhang', 'li', 'zhao', 'lidad'] });
  const env = {
    WECOM_CORP_ID: CORP, WECOM_API_BASE: fake.url, WECOM_APP_AGENT_ID: String(AGENT), WECOM_APP_SECRET: SECRET,
    WECOM_APP_TOKEN: keys.token, WECOM_APP_AES_KEY: keys.encodingAESKey,
  };
  const plugins = wecomPlugins(env, { orgId: 'default', client: { backoffMs: 5, tokens: new TokenCache() } });
  channel = plugins[0].channel as WeComAppChannel;
  t = await startWithSchool(env, { channels: plugins, defaultChannel: 'wecom-app' });
  // Daytime, so that pushes are not held for quiet hours. Set directly: /sim/clock would also run every job.
  t.app.context.simulator!.clock.set(DAY);
});
afterAll(async () => {
  await t?.stop();
  await fake?.stop();
});

/** Posts a member's message the way WeCom does; waits for the bot to process it and delivers what is due. */
async function post(xml: string, opts: { timestamp?: number } = {}) {
  const cb = signedCallback(APP_CALLBACK_PATH, keys, xml, { agentId: AGENT, ...opts });
  const res = await t.http.post(cb.url).set('Content-Type', 'text/xml').send(cb.body);
  await channel.idle();
  await t.app.context.delivery.deliverDue();
  return res;
}

const text = (from: string, content: string, msgId = newMsgId()) => appTextXml({ corpId: CORP, agentId: AGENT, from, content, msgId });
const sentTo = (user: string) => fake.succeeded('message/send').filter((c) => c.body.touser === user);
const staffMenu = translator('zh-CN', 'text')('menu.staff', { name: '张丽' });

describe('callback URL verification (GET)', () => {
  it('answers the decrypted echostr exactly, as text', async () => {
    const res = await t.http.get(verificationUrl(APP_CALLBACK_PATH, keys, '1616140317555161061'));
    expect(res.status).toBe(200);
    expect(res.text).toBe('1616140317555161061');
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('refuses a wrong signature or missing parameters', async () => {
    const url = verificationUrl(APP_CALLBACK_PATH, { ...keys, token: 'WrongToken' }, 'x');
    expect((await t.http.get(url)).status).toBe(403);
    expect((await t.http.get(APP_CALLBACK_PATH)).status).toBe(400);
  });
});

describe('teachers through the app', () => {
  it('a text message reaches the bot and the reply goes out by message/send', async () => {
    const before = sentTo('zhang').length;
    const cb = signedCallback(APP_CALLBACK_PATH, keys, text('zhang', '你好'), { agentId: AGENT });
    const started = Date.now();
    const res = await t.http.post(cb.url).set('Content-Type', 'text/xml').send(cb.body);
    // Answered at once with an empty body (no passive reply); the bot works after.
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(Date.now() - started).toBeLessThan(1000);
    await channel.idle();
    await t.app.context.delivery.deliverDue();

    const sent = sentTo('zhang').slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0].body).toEqual(expect.objectContaining({ agentid: AGENT, msgtype: 'text', text: { content: staffMenu } }));
    const row = await latestMessage({ to: 'zhang', channel: 'wecom-app', kind: 'reply' });
    expect(row).toEqual(expect.objectContaining({ status: 'sent', route: 'wecom-app', platformMsgId: expect.stringMatching(/^fake_msg_/) }));
  });

  it('the same callback delivered twice is processed once', async () => {
    const before = sentTo('zhang').length;
    const cb = signedCallback(APP_CALLBACK_PATH, keys, text('zhang', '在吗'), { agentId: AGENT });
    const first = await t.http.post(cb.url).set('Content-Type', 'text/xml').send(cb.body);
    const again = await t.http.post(cb.url).set('Content-Type', 'text/xml').send(cb.body);
    expect([first.status, again.status]).toEqual([200, 200]);
    await channel.idle();
    await t.app.context.delivery.deliverDue();
    expect(sentTo('zhang').length - before).toBe(1);
  });

  it('events (enter_agent, no MsgId) are accepted, answered 200 and do not reach the handlers', async () => {
    const spy = jest.spyOn(t.app.context.bot, 'receive');
    const xml = appEventXml({ corpId: CORP, agentId: AGENT, from: 'zhang', event: 'enter_agent', createTime: 1_800_000_000 });
    expect((await post(xml)).status).toBe(200);
    expect((await post(xml)).status).toBe(200);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });

  it('a forged signature is refused with 403 and nothing is processed', async () => {
    const logs = await InboundLog.countDocuments();
    const calls = fake.calls.length;
    const cb = signedCallback(APP_CALLBACK_PATH, { ...keys, token: 'ForgedToken' }, text('zhang', '你好'), { agentId: AGENT });
    const res = await t.http.post(cb.url).set('Content-Type', 'text/xml').send(cb.body);
    expect(res.status).toBe(403);
    // Right token but encrypted with another key: signature passes, decryption fails.
    const other = signedCallback(APP_CALLBACK_PATH, { ...keys, encodingAESKey: randomAesKey() }, text('zhang', '你好'), { agentId: AGENT });
    expect([400, 403]).toContain((await t.http.post(other.url).set('Content-Type', 'text/xml').send(other.body)).status);
    // Malformed bodies.
    const good = signedCallback(APP_CALLBACK_PATH, keys, text('zhang', '你好'), { agentId: AGENT });
    expect((await t.http.post(good.url).set('Content-Type', 'text/xml').send('<xml><Encrypt>')).status).toBe(400);
    expect((await t.http.post(good.url).set('Content-Type', 'text/xml').send('')).status).toBe(400);
    expect((await t.http.post(APP_CALLBACK_PATH).set('Content-Type', 'text/xml').send(good.body)).status).toBe(400);
    await channel.idle();
    await t.app.context.delivery.deliverDue();
    expect(await InboundLog.countDocuments()).toBe(logs);
    expect(fake.calls.length).toBe(calls);
  });

  it('a replayed callback with an old timestamp is refused', async () => {
    const logs = await InboundLog.countDocuments();
    const res = await post(text('zhang', '你好'), { timestamp: Math.floor(Date.now() / 1000) - 10 * 60 });
    expect(res.status).toBe(403);
    expect(res.text).toContain('stale');
    expect(await InboundLog.countDocuments()).toBe(logs);
  });
});

describe('voice in and out', () => {
  it('a voice message keeps its MediaId, and the recording is forwarded to the teacher with message/send voice', async () => {
    expect((await post(text('lidad', await t.code('李小红', 'father')))).status).toBe(200);
    expect(sentTo('lidad').map((c) => c.body.text.content).join('\n')).toContain('绑定成功');

    // WeCom keeps the member's recording and hands us its MediaId.
    const mediaId = fake.addMedia(Buffer.concat([Buffer.from('#!AMR\n'), crypto.randomBytes(300)]));
    const spy = jest.spyOn(t.app.context.bot, 'receive');
    await post(appVoiceXml({ corpId: CORP, agentId: AGENT, from: 'lidad', mediaId }));
    expect(spy.mock.calls[0][0]).toEqual(expect.objectContaining({ channel: 'wecom-app', from: 'lidad', voice: { mediaId, format: 'amr' } }));
    spy.mockRestore();

    // 李小红's pairing teacher 李伟 (`li`) gets the case, then the recording itself.
    const toLi = sentTo('li');
    expect(toLi.map((c) => c.body.msgtype)).toEqual(['text', 'voice']);
    expect(toLi[1].body.voice).toEqual({ media_id: mediaId });
    expect(sentTo('lidad').at(-1)?.body.text.content).toContain('已收到');
    // And the recording can be fetched within its 3 days.
    await expect(channel.client.getMedia(mediaId)).resolves.toEqual(expect.objectContaining({ contentType: 'audio/amr' }));
  });

  it('a voice send interrupted after its caption does not repeat the caption on retry', async () => {
    const mediaId = fake.addMedia(Buffer.from('#!AMR\nabcdefgh'));
    const msg = { key: 'test:voice:1', to: 'zhao', text: '王奶奶的语音留言', style: 'text' as const, voice: { mediaId } };
    const before = fake.calls.length;
    fake.failNext('message/send', 0); // the caption goes through
    fake.failNext('message/send', 45009, 3); // the recording is throttled on every in-process try
    await expect(channel.send(msg)).rejects.toBeInstanceOf(RetryableSendError);
    const res = await channel.send(msg); // the outbox's retry
    expect(res.route).toBe('wecom-app');
    const ok = fake.calls.slice(before).filter((c) => c.api === 'message/send' && c.errcode === 0);
    expect(ok.map((c) => c.body.msgtype)).toEqual(['text', 'voice']);
  });
});

describe('delivery through the outbox', () => {
  it('throttled on every try: the outbox waits the retry-after and then delivers once', async () => {
    const before = sentTo('zhang').length;
    fake.failNext('message/send', 45009, 3);
    const msgId = newMsgId();
    await post(text('zhang', '你好', msgId));
    const key = `reply:wecom-app:${msgId}:0`;
    const row = await message({ key });
    expect(row).toEqual(expect.objectContaining({ status: 'pending', attempts: 1, lastError: expect.stringContaining('45009') }));
    expect(row!.dueAt.getTime() - DAY.getTime()).toBeGreaterThanOrEqual(59_000);
    expect(sentTo('zhang').length).toBe(before);

    t.app.context.simulator!.clock.set(new Date(DAY.getTime() + 2 * 60_000));
    await t.app.context.delivery.deliverDue();
    expect((await message({ key }))!.status).toBe('sent');
    expect(sentTo('zhang').length - before).toBe(1);
    t.app.context.simulator!.clock.set(DAY);
  });

  it('a token WeCom expired early is refreshed and the reply still goes out once', async () => {
    const before = sentTo('zhang').length;
    const tokens = fake.callsTo('gettoken').length;
    fake.expireTokens();
    await post(text('zhang', '你好'));
    expect(sentTo('zhang').length - before).toBe(1);
    expect(fake.callsTo('gettoken').length).toBe(tokens + 1);
  });

  it('60020 (untrusted IP) fails the message at once with what the operator must do', async () => {
    fake.failNext('message/send', 60020);
    const msgId = newMsgId();
    await post(text('zhang', '你好', msgId));
    const row = await message({ key: `reply:wecom-app:${msgId}:0` });
    expect(row).toEqual(expect.objectContaining({ status: 'failed', attempts: 1, lastError: expect.stringContaining('企业可信IP') }));
  });
});
