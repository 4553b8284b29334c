/**
 * `wecom-aibot` in callback mode end to end: the whole bot (startWithSchool) with the simulator for the families, the
 * WeCom app for teachers 1:1 and the AI bot in the teachers' group. WeCom is played by FakeWeCom (token APIs) and
 * FakeAibot (response_url, 群机器人 webhook), with real HTTP, real signatures and real AES (ReceiveId "").
 */
import { RetryableSendError } from '../src/bot/channel';
import { WeComAibotChannel } from '../src/bot/wecom/aibotChannel';
import { TokenCache } from '../src/bot/wecom/client';
import { AIBOT_CALLBACK_PATH, wecomPlugins } from '../src/bot/wecom';
import { translator } from '../src/locales';
import { InboundLog } from '../src/models/inboundLog';
import { message } from './helpers/messages';
import { Route } from '../src/models/route';
import { startWithSchool, TestApp } from './helpers/testApp';
import { aibotText, FakeAibot, newAibotMsgId, signedAibotCallback } from './fakeWecom/aibot';
import { FakeWeCom, randomAesKey, verificationUrl } from './fakeWecom/server';

const CORP = 'wwaibotcorp';
const AGENT = 1000002;
const SECRET = 'aibot-e2e-app-secret';
const CHAT = 'wrkSFfCgAAteachers01';
const HOPE_CHAT = 'wrkSFfCgAAhope00001';
const aibotKeys = { token: 'AibotToken1', encodingAESKey: randomAesKey(), receiveId: '' };
const DAY = new Date('2026-09-08T10:00:00+08:00');
const PHONE = /1[3-9]\d{9}/;
/** How WeCom clients write an @-mention: the name, then U+2005. */
const AT_BOT = '@教师助手\u2005';

let fake: FakeWeCom;
let bot: FakeAibot;
let t: TestApp;
let aibot: WeComAibotChannel;

beforeAll(async () => {
  fake = await FakeWeCom.start({ corpId: CORP, apps: [{ secret: SECRET, agentId: AGENT }] });
  bot = await FakeAibot.start();
  const env = {
    WECOM_CORP_ID: CORP, WECOM_API_BASE: fake.url, WECOM_APP_AGENT_ID: String(AGENT), WECOM_APP_SECRET: SECRET,
    WECOM_APP_TOKEN: 'AppToken1', WECOM_APP_AES_KEY: randomAesKey(),
    WECOM_AIBOT_TOKEN: aibotKeys.token, WECOM_AIBOT_AES_KEY: aibotKeys.encodingAESKey,
    WECOM_AIBOT_ROOMS: `teachers=${CHAT},hope-teachers=${HOPE_CHAT}`,
    // The whole Webhook地址 as copied from the group's 群机器人 (here the fake's); a bare key works against the real host.
    WECOM_AIBOT_ROOM_WEBHOOKS: `teachers=${bot.webhookUrl('k-teachers-0001')}`,
  };
  const plugins = wecomPlugins(env, { orgId: 'default', client: { backoffMs: 5, tokens: new TokenCache() } });
  aibot = plugins.find((p) => p.channel.name === 'wecom-aibot')!.channel as WeComAibotChannel;
  expect(aibot.mode).toBe('callback');
  t = await startWithSchool(env, { channels: plugins });
  t.app.context.simulator!.clock.set(DAY);
  await t.say('dad', await t.code('王小明', 'father'));
  await t.say('gm', await t.code('王小明', 'guardian'));
});
afterAll(async () => {
  await t?.stop();
  await bot?.stop();
  await fake?.stop();
});

/** A teacher's message in a group, as WeCom POSTs it; waits for the bot and delivers what is due. */
async function inGroup(from: string, content: string, opts: { chatid?: string; msgid?: string; quote?: string } = {}) {
  const message = aibotText({
    from, chatid: opts.chatid ?? CHAT, content, msgid: opts.msgid ?? newAibotMsgId(), responseUrl: bot.responseUrl(),
    ...(opts.quote ? { quote: { msgtype: 'text' as const, text: { content: opts.quote } } } : {}),
  });
  const cb = signedAibotCallback(AIBOT_CALLBACK_PATH, aibotKeys, message);
  const res = await t.http.post(cb.url).set('Content-Type', 'application/json').send(cb.body);
  await aibot.idle();
  await t.app.context.delivery.deliverDue();
  return { res, message };
}

const responses = () => bot.sent('aibot/response').map((c) => String(c.body.markdown.content));
const webhooks = () => bot.sent('webhook/send');
const staffMenu = translator('zh-CN', 'text')('menu.staff', { name: '张丽' });

function caseNumber(text: string): number {
  const m = /#(\d+)/.exec(text);
  if (!m) throw new Error(`no case number in: ${text}`);
  return Number(m[1]);
}

async function raise(from: string, words: string): Promise<number> {
  expect((await t.say(from, '4'))[0]).toContain('请说说');
  return caseNumber((await t.say(from, words))[0]);
}

describe('the callback URL', () => {
  it('answers WeCom\'s URL check with the decrypted echostr (ReceiveId "")', async () => {
    const res = await t.http.get(verificationUrl(AIBOT_CALLBACK_PATH, aibotKeys, 'echo-4711'));
    expect(res.status).toBe(200);
    expect(res.text).toBe('echo-4711');
    // Signed right but encrypted for a CorpID: that is an app's callback, not the AI bot's.
    expect((await t.http.get(verificationUrl(AIBOT_CALLBACK_PATH, { ...aibotKeys, receiveId: CORP }, 'x'))).status).toBe(403);
    expect((await t.http.get(verificationUrl(AIBOT_CALLBACK_PATH, { ...aibotKeys, token: 'Wrong' }, 'x'))).status).toBe(403);
  });
});

describe('the teachers\' group through the AI bot', () => {
  let first: number;

  it('an @-mention in the group reaches the bot as a room message; the answer goes to its response_url', async () => {
    const spy = jest.spyOn(t.app.context.bot, 'receive');
    const started = Date.now();
    const { res, message } = await inGroup('zhang', `${AT_BOT}你好`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(spy.mock.calls.map((c) => c[0])).toEqual([expect.objectContaining({
      channel: 'wecom-aibot', from: 'zhang', room: 'teachers', text: '你好', platformId: message.msgid, mentions: [],
    })]);
    spy.mockRestore();
    expect(responses()).toEqual([staffMenu]);
    expect(bot.sent('aibot/response')[0].query.response_code).toBe(new URL(String(message.response_url)).searchParams.get('response_code'));
    // The room is now known to be heard on the aibot: pushes to it go there.
    expect(await Route.findOne({ address: 'teachers', channel: 'wecom-aibot' }).lean()).toBeTruthy();
  });

  it('a family\'s concern is posted to the group through its webhook, mentioning the pairing teacher, phone masked', async () => {
    const before = webhooks().length;
    first = await raise('dad', '孩子说最近作业太多，每天写到很晚。有事打我电话13800138001');
    const posts = webhooks().slice(before);
    expect(posts).toHaveLength(1);
    const post = posts[0].body;
    expect(post.msgtype).toBe('text');
    expect(post.text.mentioned_list).toEqual(['zhang']);
    for (const part of ['@张丽', `#${first}`, '王小明', '三年级1班', '作业太多', '138****8001', `#${first} 收到`]) expect(post.text.content).toContain(part);
    expect(post.text.content).not.toMatch(PHONE);
    const row = await message({ key: `concern:${first}:room` });
    expect(row).toEqual(expect.objectContaining({ status: 'sent', route: 'wecom-aibot', platformMsgId: `wecom-aibot:concern:${first}:room` }));
    // The teacher's own 1:1 copy keeps the number (the teacher may call); the other school's group gets nothing.
    expect((await message({ key: `concern:${first}:teacher` }))?.text).toContain('13800138001');
    expect(webhooks().filter((c) => c.query.key !== 'k-teachers-0001')).toEqual([]);
  });

  it('a teacher answers "#N 明天带他去卫生院" in the group: the family hears it, the teacher is told in the group', async () => {
    const dadBefore = (await t.inbox('dad')).length;
    await inGroup('zhang', `${AT_BOT}#${first} 明天带他去卫生院`);
    const toDad = (await t.inbox('dad')).slice(dadBefore).map((m) => m.text);
    expect(toDad).toEqual([`张丽老师答复（#${first}）：明天带他去卫生院`]);
    expect(responses().at(-1)).toContain(`#${first}`);
    expect(responses().at(-1)).toContain('已把答复转给');
  });

  it('a teacher answers by quoting the bot\'s post (no number typed): the quote is traced to that case', async () => {
    const second = await raise('dad', '孩子这几天不愿意去学校，说有同学欺负他');
    const post = webhooks().at(-1)!.body.text.content as string;
    expect(post).toContain(`#${second}`);
    const dadBefore = (await t.inbox('dad')).length;
    const spy = jest.spyOn(t.app.context.bot, 'receive');
    // The client quotes the post's first line as shown, the @-mention rendered in front.
    await inGroup('zhang', `${AT_BOT}我周五去家访，先别着急`, { quote: post.split('\n')[0] });
    expect(spy.mock.calls[0][0].quotedId).toBe(`wecom-aibot:concern:${second}:room`);
    spy.mockRestore();
    expect((await t.inbox('dad')).slice(dadBefore).map((m) => m.text)).toEqual([`张丽老师答复（#${second}）：我周五去家访，先别着急`]);

    // A quote of something the bot never posted answers nothing: the teacher gets the menu.
    const spy2 = jest.spyOn(t.app.context.bot, 'receive');
    await inGroup('zhang', `${AT_BOT}大家看看这个`, { quote: '明天下午三点开家长会，请各位老师准时参加' });
    expect(spy2.mock.calls[0][0].quotedId).toBeUndefined();
    spy2.mockRestore();
    expect(responses().at(-1)).toBe(staffMenu);
  });

  it('the same callback delivered twice is processed once', async () => {
    const logs = await InboundLog.countDocuments();
    const sent = bot.sent().length;
    const message = aibotText({ from: 'zhang', chatid: CHAT, content: `${AT_BOT}在吗`, responseUrl: bot.responseUrl() });
    const cb = signedAibotCallback(AIBOT_CALLBACK_PATH, aibotKeys, message);
    const a = await t.http.post(cb.url).set('Content-Type', 'application/json').send(cb.body);
    const b = await t.http.post(cb.url).set('Content-Type', 'application/json').send(cb.body);
    // WeCom's re-send may come with a new nonce and signature: still the same msgid.
    const again = signedAibotCallback(AIBOT_CALLBACK_PATH, aibotKeys, message);
    const c = await t.http.post(again.url).set('Content-Type', 'application/json').send(again.body);
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    await aibot.idle();
    await t.app.context.delivery.deliverDue();
    expect(await InboundLog.countDocuments()).toBe(logs + 1);
    expect(bot.sent().length - sent).toBe(1);
  });

  it('a forged or malformed callback is refused and changes nothing', async () => {
    const logs = await InboundLog.countDocuments();
    const calls = bot.calls.length;
    const message = aibotText({ from: 'zhang', chatid: CHAT, content: `${AT_BOT}#${first} 结案`, responseUrl: bot.responseUrl() });
    const post = (cb: { url: string; body: string }) => t.http.post(cb.url).set('Content-Type', 'application/json').send(cb.body);
    expect((await post(signedAibotCallback(AIBOT_CALLBACK_PATH, { ...aibotKeys, token: 'ForgedToken' }, message))).status).toBe(403);
    // Right token, wrong key: the signature holds, decryption does not.
    expect([400, 403]).toContain((await post(signedAibotCallback(AIBOT_CALLBACK_PATH, { ...aibotKeys, encodingAESKey: randomAesKey() }, message))).status);
    // Encrypted for a CorpID (an app callback replayed here).
    expect((await post(signedAibotCallback(AIBOT_CALLBACK_PATH, { ...aibotKeys, receiveId: CORP }, message))).status).toBe(403);
    // A replay with an old timestamp.
    expect((await post(signedAibotCallback(AIBOT_CALLBACK_PATH, aibotKeys, message, { timestamp: Math.floor(Date.now() / 1000) - 3600 }))).status).toBe(403);
    // Malformed: no query, not JSON, no encrypt, decrypted text that is not a message.
    const good = signedAibotCallback(AIBOT_CALLBACK_PATH, aibotKeys, message);
    expect((await t.http.post(AIBOT_CALLBACK_PATH).set('Content-Type', 'application/json').send(good.body)).status).toBe(400);
    expect((await t.http.post(good.url).set('Content-Type', 'application/json').send('{"encrypt":')).status).toBe(400);
    expect((await t.http.post(good.url).set('Content-Type', 'application/json').send('{"Encrypt":"x"}')).status).toBe(400);
    expect((await post(signedAibotCallback(AIBOT_CALLBACK_PATH, aibotKeys, '<xml><MsgId>1</MsgId></xml>'))).status).toBe(400);
    // Over the body limit (256 KB): refused before it is read, as on the XML callback URLs.
    const huge = `{"encrypt":"${'A'.repeat(300 * 1024)}"}`;
    const tooLarge = await t.http.post(good.url).set('Content-Type', 'application/json').send(huge).catch((err) => err.response);
    expect(tooLarge?.status).toBe(413);
    await aibot.idle();
    await t.app.context.delivery.deliverDue();
    expect(await InboundLog.countDocuments()).toBe(logs);
    expect(bot.calls.length).toBe(calls);
    // The case is still open: the forged "结案" did nothing.
    const res = await t.http.get('/api/concerns').set('Authorization', 'Bearer test-admin-token-0123456789');
    expect(res.body.find((c: { number: number }) => c.number === first)?.status).not.toBe('resolved');
  });
});

describe('sending rules of the callback mode', () => {
  it('masks phone numbers in anything sent to a group, whatever the handler wrote', async () => {
    await aibot.send({ key: 'test:mask:1', to: 'teachers', room: 'teachers', text: '请王奶奶回电 13800138003', style: 'text' });
    expect(webhooks().at(-1)!.body.text.content).toBe('请王奶奶回电 138****8003');
  });

  it('a second reply to the same message (response_url used up) goes through the room\'s webhook', async () => {
    const { message } = await inGroup('zhang', `${AT_BOT}你好`);
    const hooks = webhooks().length;
    await aibot.send({ key: `reply:wecom-aibot:${message.msgid}:1`, to: 'zhang', room: 'teachers', text: '第二段', style: 'text', replyTo: { channel: 'wecom-aibot', platformId: String(message.msgid) } });
    expect(webhooks().length - hooks).toBe(1);
    expect(webhooks().at(-1)!.body.text.content).toBe('第二段');
  });

  it('a room without a webhook, or a 1:1 push, fails at once with what the operator must do', async () => {
    await expect(aibot.send({ key: 'test:hope:1', to: 'hope-teachers', room: 'hope-teachers', text: 'x', style: 'text' }))
      .rejects.toThrow(/WECOM_AIBOT_ROOM_WEBHOOKS=hope-teachers=KEY/);
    await expect(aibot.send({ key: 'test:1to1:1', to: 'zhang', text: 'x', style: 'text' })).rejects.toThrow(/wecom-app/);
    expect(aibot.servesRoom('teachers')).toBe(true);
    expect(aibot.servesRoom('hope-teachers')).toBe(false);
  });

  it('a throttled webhook is retried later; a wrong key fails with where to copy the right one', async () => {
    bot.failNext('webhook/send', 45009);
    await expect(aibot.send({ key: 'test:throttle:1', to: 'teachers', room: 'teachers', text: 'x', style: 'text' })).rejects.toBeInstanceOf(RetryableSendError);
    bot.failNext('webhook/send', 93000);
    await expect(aibot.send({ key: 'test:badkey:1', to: 'teachers', room: 'teachers', text: 'x', style: 'text' })).rejects.toThrow(/群机器人/);
  });

  it('no phone number in any group message of this whole run', () => {
    const all = bot.texts();
    expect(all.length).toBeGreaterThan(5);
    for (const text of all) expect({ text, phone: PHONE.test(text) }).toEqual({ text, phone: false });
  });
});
