/**
 * Recordings for guardians who cannot read (issue 12) over WeCom: a voice-style guardian reached by 学校通知 or a
 * member reached by the self-built app gets the text AND its recording (media/upload?type=voice once, then a voice
 * message with that media_id); the same recording is uploaded once for its 3 days; a failing upload still delivers
 * the text; a text-style parent gets no voice; 微信客服 sends the recording alone (its 5-per-48h quota) — the whole
 * bot (espeak-ng recordings) against the fake WeCom server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { enqueue } from '../src/bot/outbox';
import { KF_CALLBACK_PATH, wecomPlugins } from '../src/bot/wecom';
import { TokenCache } from '../src/bot/wecom/client';
import type { WeComKfChannel } from '../src/bot/wecom/kfChannel';
import { SpeechMedia } from '../src/models/speechMedia';
import { message } from './helpers/messages';
import { ADMIN_TOKEN, startWithSchool, TestApp } from './helpers/testApp';
import { FakeKf } from './fakeWecom/kf';
import { FakeSchool, sunshineDirectory } from './fakeWecom/school';
import { FakeWeCom, randomAesKey, signedCallback } from './fakeWecom/server';
import { FakeTencentAsr } from './helpers/fakeTencentAsr';

const CORP = 'wwvoicee2e';
const KF_SECRET = 'voice-e2e-kf-secret';
const OPEN_KFID = 'wkFAKEvoice01';
const kfKeys = { token: 'KfVoiceToken', encodingAESKey: randomAesKey(), receiveId: CORP };

let fake: FakeWeCom;
let school: FakeSchool;
let kf: FakeKf;
let kfChannel: WeComKfChannel;
let t: TestApp;
let dataDir: string;
let asr: FakeTencentAsr;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wecom-voice-'));
  const app = { secret: 'voice-e2e-app-secret', agentId: 1000002 };
  const schoolApp = { secret: 'voice-e2e-school-secret', agentId: 1000005 };
  fake = await FakeWeCom.start({ corpId: CORP, apps: [app, { secret: KF_SECRET }, schoolApp] });
  kf = new FakeKf(fake, { openKfId: OPEN_KFID, corpId: CORP, now: () => now().getTime() });
  school = new FakeSchool(fake, { agentId: schoolApp.agentId, ...sunshineDirectory() });
  asr = await FakeTencentAsr.start();
  const env = {
    SPEECH_RECOGNITION: 'tencent', SPEECH_ASR_ENDPOINT: asr.endpoint, TENCENTCLOUD_SECRET_ID: 'AKIDtest', TENCENTCLOUD_SECRET_KEY: 'secret',
    WECOM_CORP_ID: CORP, WECOM_API_BASE: fake.url, SPEECH_PROVIDER: 'espeak', DATA_DIR: dataDir,
    WECOM_APP_AGENT_ID: String(app.agentId), WECOM_APP_SECRET: app.secret, WECOM_APP_TOKEN: 'AppToken1', WECOM_APP_AES_KEY: randomAesKey(),
    WECOM_KF_SECRET: KF_SECRET, WECOM_KF_TOKEN: kfKeys.token, WECOM_KF_AES_KEY: kfKeys.encodingAESKey, WECOM_KF_OPEN_KFID: OPEN_KFID,
    WECOM_SCHOOL_AGENT_ID: String(schoolApp.agentId), WECOM_SCHOOL_SECRET: schoolApp.secret,
  };
  const plugins = wecomPlugins(env, { orgId: 'default', client: { backoffMs: 5, tokens: new TokenCache() }, clock: { now }, dataDir });
  kfChannel = plugins.find((p) => p.channel.name === 'wecom-kf')!.channel as WeComKfChannel;
  t = await startWithSchool(env, { channels: plugins });
  // A weekday morning in Shanghai: pushes are not held for quiet hours.
  await t.setClock('2026-12-01T02:00:00Z');
  // 王奶奶 (不识字: voice style) and 李小红's father (text style) bind with their codes, then the 家校通讯录 sync.
  await t.say('gm', await t.code('王小明', 'guardian'));
  await t.say('lidad', await t.code('李小红', 'father'));
  expect((await t.http.post('/api/wecom/school-sync').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({})).status).toBe(200);
});
afterAll(async () => {
  await t?.stop();
  await fake?.stop();
  await asr?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const now = () => t.app.context.clock.now();
const uploads = () => fake.callsTo('media/upload');

async function deliver(key: string, to: string, text: string, style: 'voice' | 'text', channel = 'auto'): Promise<void> {
  await enqueue({ orgId: 'default', key, to, text, style, kind: 'test', channel, dueAt: now() });
  await t.app.context.delivery.deliverDue();
}

describe('学校通知', () => {
  let firstMediaId = '';
  it('a voice-style guardian gets the text and then the recording, by the uploaded media_id', async () => {
    const before = school.noticesTo('p_wangnainai').length;
    const up = uploads().length;
    await deliver('test:voice:school1', 'gm', '明天上午学校开家长会', 'voice');
    const sent = school.noticesTo('p_wangnainai').slice(before);
    expect(sent.map((s) => s.msgtype)).toEqual(['text', 'voice']);
    expect(sent[0].body.text.content).toBe('明天上午学校开家长会');
    const calls = uploads().slice(up);
    expect(calls).toHaveLength(1);
    expect(calls[0].query.type).toBe('voice');
    expect(calls[0].errcode).toBe(0);
    const mediaId = sent[1].body.voice.media_id as string;
    firstMediaId = mediaId;
    const media = fake.media.get(mediaId)!;
    expect(media.type).toBe('voice');
    expect(media.data.subarray(0, 6).toString('latin1')).toBe('#!AMR\n');
    expect(await message({ key: 'test:voice:school1' })).toEqual(expect.objectContaining({ status: 'sent', route: 'wecom-school' }));
    const kept = await SpeechMedia.find({ mediaId }).lean();
    expect(kept).toHaveLength(1);
    expect(kept[0].expiresAt.getTime()).toBeGreaterThan(Date.now() + 2 * 86_400_000);
  });

  it('the same recording sent again is not uploaded again', async () => {
    // To another person (WeCom's duplicate check would drop the very same notice to her within 30 minutes).
    const before = school.noticesTo('p_liqiang').length;
    const up = uploads().length;
    await deliver('test:voice:school2', 'lidad', '明天上午学校开家长会', 'voice');
    const sent = school.noticesTo('p_liqiang').slice(before);
    expect(sent.map((s) => s.msgtype)).toEqual(['text', 'voice']);
    expect(uploads().length).toBe(up);
    expect(sent[1].body.voice.media_id).toBe(firstMediaId);
  });

  it('an upload that fails never loses the message: the text goes alone', async () => {
    const before = school.noticesTo('p_wangnainai').length;
    fake.failNext('media/upload', 301017);
    await deliver('test:voice:school3', 'gm', '本周五下午放学提前', 'voice');
    const sent = school.noticesTo('p_wangnainai').slice(before);
    expect(sent.map((s) => s.msgtype)).toEqual(['text']);
    expect(sent[0].body.text.content).toBe('本周五下午放学提前');
    expect(await message({ key: 'test:voice:school3' })).toEqual(expect.objectContaining({ status: 'sent', route: 'wecom-school' }));
  });

  it('a text-style parent gets no voice', async () => {
    const before = school.noticesTo('p_liqiang').length;
    const up = uploads().length;
    await deliver('test:voice:school4', 'lidad', '下周一学校体检', 'text');
    expect(school.noticesTo('p_liqiang').slice(before).map((s) => s.msgtype)).toEqual(['text']);
    expect(uploads().length).toBe(up);
  });
});

/** The media_id of the app test's recording (王小明今天没有到校), for the tests that make it stale. */
let appMediaId = '';

describe('the self-built app', () => {
  it('a voice-style message gets the text and the recording; the recording is uploaded once', async () => {
    const sends = () => fake.succeeded('message/send').filter((c) => c.body.touser === 'zhang');
    const before = sends().length;
    const up = uploads().length;
    await deliver('test:voice:app1', 'zhang', '王小明今天没有到校', 'voice', 'wecom-app');
    await deliver('test:voice:app2', 'zhang', '王小明今天没有到校', 'voice', 'wecom-app');
    const sent = sends().slice(before);
    expect(sent.map((c) => c.body.msgtype)).toEqual(['text', 'voice', 'text', 'voice']);
    expect(sent[0].body.text.content).toBe('王小明今天没有到校');
    expect(uploads().length - up).toBe(1);
    const mediaId = sent[1].body.voice.media_id as string;
    appMediaId = mediaId;
    expect(sent[3].body.voice.media_id).toBe(mediaId);
    expect(fake.media.get(mediaId)!.data.subarray(0, 6).toString('latin1')).toBe('#!AMR\n');
    expect(await message({ key: 'test:voice:app2' })).toEqual(expect.objectContaining({ status: 'sent', route: 'wecom-app' }));
  });
});

describe('a media_id WeCom no longer knows', () => {
  it('the text is the delivery, and the next message uploads the recording again', async () => {
    const sends = () => fake.succeeded('message/send').filter((c) => c.body.touser === 'zhang');
    expect((await SpeechMedia.updateOne({ mediaId: appMediaId }, { $set: { mediaId: 'media_gone_from_wecom' } })).modifiedCount).toBe(1);
    const before = sends().length;
    const up = uploads().length;
    await deliver('test:voice:stale1', 'zhang', '王小明今天没有到校', 'voice', 'wecom-app');
    expect(sends().slice(before).map((c) => c.body.msgtype)).toEqual(['text']);
    expect(fake.callsTo('message/send').at(-1)!.errcode).toBe(40007);
    expect(await message({ key: 'test:voice:stale1' })).toEqual(expect.objectContaining({ status: 'sent', route: 'wecom-app' }));
    expect(uploads().length).toBe(up);
    await deliver('test:voice:stale2', 'zhang', '王小明今天没有到校', 'voice', 'wecom-app');
    const sent = sends().slice(before + 1);
    expect(sent.map((c) => c.body.msgtype)).toEqual(['text', 'voice']);
    expect(uploads().length).toBe(up + 1);
    expect(sent[1].body.voice.media_id).not.toBe(appMediaId);
    appMediaId = sent[1].body.voice.media_id as string;
  });
});

describe('微信客服', () => {
  /** A guardian writes in WeChat: the kf callback, the pull, the bot's answers delivered. */
  async function kfSays(from: string, content: string | { voice: string }): Promise<void> {
    kf.customerSays(from, content);
    const seconds = Math.floor(now().getTime() / 1000);
    const cb = signedCallback(KF_CALLBACK_PATH, kfKeys, kf.callbackXml(seconds), { timestamp: seconds });
    expect((await t.http.post(cb.url).set('Content-Type', 'text/xml').send(cb.body)).status).toBe(200);
    await kfChannel.idle();
    await t.app.context.delivery.deliverDue();
  }

  it('a voice-style guardian gets the recording alone: one of the 5 messages, not two', async () => {
    await kfSays('wmGrandma', await t.code('王小华', 'guardian'));
    const sent = kf.deliveredTo('wmGrandma');
    expect(sent.length).toBeGreaterThan(0);
    for (const d of sent) {
      expect(d.msgtype).toBe('voice');
      expect(fake.media.get(d.body.voice.media_id)!.data.subarray(0, 6).toString('latin1')).toBe('#!AMR\n');
    }
  });

  it("a guardian's voice message is fetched, recognised and understood: 回忆 for menu 1, 发骚 for 发烧", async () => {
    const casesNow = async () => (await t.http.get('/api/concerns?status=all').set('Authorization', `Bearer ${ADMIN_TOKEN}`)).body as Array<{ messages: Array<{ text?: string; voice: boolean }> }>;
    const said = (id: string, heard: string) => fake.media.set(id, { type: 'voice', data: asr.recording(heard), contentType: 'audio/amr', filename: `${id}.amr` });
    const before = { sent: kf.deliveredTo('wmGrandma').length, cases: (await casesNow()).length, asr: asr.calls.length };
    said('kfvoice-1', '回忆');
    await kfSays('wmGrandma', { voice: 'kfvoice-1' });
    // media/get gave the AMR to recognition; the answer is menu 1's (王小华's note), not a new case.
    expect(asr.calls.length).toBe(before.asr + 1);
    expect(Buffer.from(asr.calls.at(-1)!.body.Data!, 'base64')).toEqual(fake.media.get('kfvoice-1')!.data);
    expect(kf.deliveredTo('wmGrandma').length).toBeGreaterThan(before.sent);
    expect((await casesNow()).length).toBe(before.cases);
    said('kfvoice-2', '孩子发骚了');
    await kfSays('wmGrandma', { voice: 'kfvoice-2' });
    const opened = (await casesNow()).find((c) => c.messages.some((m) => m.text === '孩子发烧了'));
    expect(opened?.messages[0]).toMatchObject({ voice: true, text: '孩子发烧了' });
  });

  it('a failed upload: the text goes instead of the recording', async () => {
    const before = kf.deliveredTo('wmGrandma').length;
    fake.failNext('media/upload', 301017);
    await deliver('test:voice:kf1', 'wmGrandma', '今天下午四点接孩子', 'voice');
    const sent = kf.deliveredTo('wmGrandma').slice(before);
    expect(sent.map((d) => d.msgtype)).toEqual(['text']);
    expect(sent[0].body.text.content).toBe('今天下午四点接孩子');
    expect(await message({ key: 'test:voice:kf1' })).toEqual(expect.objectContaining({ status: 'sent', route: 'wecom-kf' }));
  });

  it('a recording WeCom refuses: the retry sends the text instead, and the stale media_id is forgotten', async () => {
    await kfSays('wmAunt', '你好');
    const before = kf.deliveredTo('wmAunt').length;
    expect((await SpeechMedia.updateOne({ mediaId: appMediaId }, { $set: { mediaId: 'media_gone_again' } })).modifiedCount).toBe(1);
    await deliver('test:voice:kf2', 'wmAunt', '王小明今天没有到校', 'voice');
    expect(kf.deliveredTo('wmAunt').slice(before)).toEqual([]);
    expect(await SpeechMedia.countDocuments({ mediaId: 'media_gone_again' })).toBe(0);
    await t.setClock(new Date(now().getTime() + 10 * 60_000).toISOString());
    await t.app.context.delivery.deliverDue();
    const sent = kf.deliveredTo('wmAunt').slice(before);
    expect(sent.map((d) => d.msgtype)).toEqual(['text']);
    expect(sent[0].body.text.content).toBe('王小明今天没有到校');
    expect(await message({ key: 'test:voice:kf2' })).toEqual(expect.objectContaining({ status: 'sent', route: 'wecom-kf' }));
  });
});
