/**
 * `wecom-kf` (微信客服) end to end: the whole bot with the WeCom plugins (app for teachers, kf and 学校通知 for
 * parents) against the fake WeCom server — encrypted, signed kf callbacks into /wecom/kf/callback, kf/sync_msg
 * pulls with the persisted cursor, kf/send_msg replies held to the 48-hour window and 5-message quota, voice in
 * (media/get, kept under DATA_DIR/media) and out (media/upload), and the fallback to 学校通知 once the window
 * closes. The kf channel runs on the simulator's clock, so moving that clock closes the window.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { enqueue } from '../src/bot/outbox';
import { KF_CALLBACK_PATH, wecomPlugins } from '../src/bot/wecom';
import { TokenCache } from '../src/bot/wecom/client';
import { kfMsgId, WeComKfChannel } from '../src/bot/wecom/kfChannel';
import { keptVoiceName } from '../src/bot/wecom/speechMedia';
import { FamilyMember } from '../src/models/familyMember';
import { InboundLog } from '../src/models/inboundLog';
import { KfCursor } from '../src/models/kfCursor';
import { claimKfSlot, KfQuotaSlot } from '../src/models/kfSession';
import { message, messages } from './helpers/messages';
import { ADMIN_TOKEN, startWithSchool, TestApp } from './helpers/testApp';
import { FakeKf } from './fakeWecom/kf';
import { FakeSchool, sunshineDirectory } from './fakeWecom/school';
import { FakeWeCom, randomAesKey, signedCallback, verificationUrl } from './fakeWecom/server';

const CORP = 'wwkfe2ecorp';
const APP = { secret: 'kf-e2e-app-secret', agentId: 1000002 };
const KF_SECRET = 'kf-e2e-kf-secret';
const SCHOOL = { secret: 'kf-e2e-school-secret', agentId: 1000005 };
const OPEN_KFID = 'wkFAKEkf0001';
const kfKeys = { token: 'KfToken1', encodingAESKey: randomAesKey(), receiveId: CORP };
const DAY = new Date('2026-09-08T10:00:00+08:00');
const HOUR = 3600_000;

let fake: FakeWeCom;
let kf: FakeKf;
let school: FakeSchool;
let t: TestApp;
let channel: WeComKfChannel;
let dataDir: string;

const now = () => t.app.context.clock.now();
const seconds = () => Math.floor(now().getTime() / 1000);
const setClock = (at: Date) => t.app.context.simulator!.clock.set(at);

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wecom-kf-'));
  fake = await FakeWeCom.start({ corpId: CORP, apps: [APP, { secret: KF_SECRET }, SCHOOL] });
  kf = new FakeKf(fake, { openKfId: OPEN_KFID, corpId: CORP, now: () => now().getTime() });
  school = new FakeSchool(fake, { agentId: SCHOOL.agentId, ...sunshineDirectory() });
  const env = {
    WECOM_CORP_ID: CORP, WECOM_API_BASE: fake.url,
    WECOM_APP_AGENT_ID: String(APP.agentId), WECOM_APP_SECRET: APP.secret, WECOM_APP_TOKEN: 'AppToken1', WECOM_APP_AES_KEY: randomAesKey(),
    WECOM_KF_SECRET: KF_SECRET, WECOM_KF_TOKEN: kfKeys.token, WECOM_KF_AES_KEY: kfKeys.encodingAESKey, WECOM_KF_OPEN_KFID: OPEN_KFID,
    WECOM_SCHOOL_AGENT_ID: String(SCHOOL.agentId), WECOM_SCHOOL_SECRET: SCHOOL.secret,
  };
  const plugins = wecomPlugins(env, {
    orgId: 'default', client: { backoffMs: 5, tokens: new TokenCache() }, clock: { now }, dataDir,
  });
  expect(plugins.map((p) => p.channel.name)).toEqual(['wecom-app', 'wecom-kf', 'wecom-school']);
  channel = plugins.find((p) => p.channel.name === 'wecom-kf')!.channel as WeComKfChannel;
  // The simulator stays the default route (teachers speak through it here); pushes pick their route per person.
  t = await startWithSchool(env, { channels: plugins });
  setClock(DAY);
});
afterAll(async () => {
  await t?.stop();
  await fake?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function deliver(): Promise<void> {
  await channel.idle();
  await t.app.context.delivery.deliverDue();
}

/** WeCom's "pull now" callback for the kf account, signed and encrypted, at the simulated time. */
function kfCallback(keys = kfKeys, opts: { timestamp?: number } = {}) {
  return signedCallback(KF_CALLBACK_PATH, keys, kf.callbackXml(seconds()), { timestamp: opts.timestamp ?? seconds() });
}

async function post(cb: { url: string; body: string }) {
  return t.http.post(cb.url).set('Content-Type', 'text/xml').send(cb.body);
}

/** A parent writes in WeChat: the message waits at WeCom, the callback tells us, the bot pulls and answers. */
async function says(from: string, content: string | { voice: string }) {
  const m = kf.customerSays(from, content);
  const res = await post(kfCallback());
  expect(res.status).toBe(200);
  await deliver();
  return m;
}

const textsTo = (who: string) => kf.deliveredTo(who).filter((d) => d.msgtype === 'text').map((d) => d.body.text.content as string);

describe('the kf callback', () => {
  it('answers the URL verification', async () => {
    const res = await t.http.get(verificationUrl(KF_CALLBACK_PATH, kfKeys, '9876543210', seconds()));
    expect([res.status, res.text]).toEqual([200, '9876543210']);
  });

  it('refuses a forged or replayed callback and pulls nothing', async () => {
    const pulls = fake.callsTo('kf/sync_msg').length;
    expect((await post(kfCallback({ ...kfKeys, token: 'ForgedToken' }))).status).toBe(403);
    expect([400, 403]).toContain((await post(kfCallback({ ...kfKeys, encodingAESKey: randomAesKey() }))).status);
    expect((await post(kfCallback(kfKeys, { timestamp: seconds() - 3600 }))).status).toBe(403);
    await deliver();
    expect(fake.callsTo('kf/sync_msg').length).toBe(pulls);
  });
});

describe('a parent in WeChat', () => {
  it('sends the binding code through kf: bound, and answered through kf/send_msg', async () => {
    const m = await says('wmDad', await t.code('王小明', 'father'));
    expect(textsTo('wmDad').join('\n')).toContain('绑定成功');
    expect(await FamilyMember.exists({ name: '王建国', boundAddress: 'wmDad' })).toBeTruthy();

    // The pull used the callback's token, the kf account, and then saved the cursor.
    const pull = fake.succeeded('kf/sync_msg').at(-1)!;
    expect(pull.body).toEqual(expect.objectContaining({ token: kf.tokens.at(-1), open_kfid: OPEN_KFID }));
    expect((await KfCursor.findOne({ openKfId: OPEN_KFID }).lean())!.cursor).toBe(`cur_${kf.messages.length}`);

    // The reply went out with a msgid derived from its outbox key (a retry would carry the same one).
    const rows = await messages({ inReplyTo: m.msgid });
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toEqual(expect.objectContaining({ channel: 'wecom-kf', status: 'sent', route: 'wecom-kf' }));
    const sent = kf.deliveredTo('wmDad').slice(-rows.length);
    expect(sent.map((s) => s.msgid).sort()).toEqual(rows.map((r) => kfMsgId(`${r.key}#0`)).sort());
    expect(sent[0].body).toEqual(expect.objectContaining({ touser: 'wmDad', open_kfid: OPEN_KFID, msgtype: 'text' }));
  });

  it('asks a question and gets the answer', async () => {
    await says('wmDad', '老师是谁');
    expect(textsTo('wmDad').at(-1)).toContain('帮扶老师是张丽');
  });

  it('a duplicated callback is processed once; a page served again is dropped on its msgids', async () => {
    const replies = kf.deliveredTo('wmDad').length;
    const spy = jest.spyOn(t.app.context.bot, 'receive');
    const m = kf.customerSays('wmDad', '老师电话');
    const cb = kfCallback();
    const [a, b] = await Promise.all([post(cb), post(cb)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect((await post(cb)).status).toBe(200); // WeCom's retry, after the first was processed
    await deliver();
    expect(spy.mock.calls.filter(([msg]) => msg.platformId === m.msgid)).toHaveLength(1);
    expect(kf.deliveredTo('wmDad').length - replies).toBe(1);

    // The cursor is lost (or WeCom serves the pages again): every message comes back, none is answered twice.
    const logs = await InboundLog.countDocuments();
    await KfCursor.deleteMany({});
    await post(kfCallback());
    await deliver();
    expect(spy.mock.calls.filter(([msg]) => msg.platformId === m.msgid)).toHaveLength(2);
    spy.mockRestore();
    expect(await InboundLog.countDocuments()).toBe(logs);
    expect(kf.deliveredTo('wmDad').length - replies).toBe(1);
    expect((await KfCursor.findOne({ openKfId: OPEN_KFID }).lean())!.cursor).toBe(`cur_${kf.messages.length}`);
  });

  it('pulls page after page until has_more is 0', async () => {
    kf.pageSize = 2;
    const first = kf.messages.length;
    const pulls = fake.callsTo('kf/sync_msg').length;
    const strangers = Array.from({ length: 5 }, (_, i) => `wmStranger${i}`);
    for (const who of strangers) kf.customerSays(who, '你好');
    // A servicer's own message (origin 5) is in the stream too, and is not a customer's.
    kf.customerSays('wmStranger0', '客服人员的话', { origin: 5 });
    await post(kfCallback());
    await deliver();
    kf.pageSize = 1000;
    const calls = fake.callsTo('kf/sync_msg').slice(pulls);
    expect(calls.map((c) => c.body.cursor)).toEqual([`cur_${first}`, `cur_${first + 2}`, `cur_${first + 4}`]);
    for (const who of strangers) expect(textsTo(who)).toEqual([expect.stringContaining('绑定码')]);
  });

  it('a voice message is fetched with media/get and kept; the teacher gets the recording', async () => {
    const amr = Buffer.concat([Buffer.from('#!AMR\n'), crypto.randomBytes(400)]);
    const mediaId = fake.addMedia(amr);
    const spy = jest.spyOn(t.app.context.bot, 'receive');
    const toZhang = fake.succeeded('message/send').filter((c) => c.body.touser === 'zhang').length;
    await says('wmDad', { voice: mediaId });
    expect(spy.mock.calls[0][0]).toEqual(expect.objectContaining({ channel: 'wecom-kf', from: 'wmDad', voice: { mediaId, format: 'amr', data: amr } }));
    spy.mockRestore();
    expect(fake.succeeded('media/get').map((c) => c.query.media_id)).toContain(mediaId);
    expect(fs.readFileSync(path.join(dataDir, 'media', keptVoiceName(mediaId)))).toEqual(amr);
    // A voice message is a concern: its teacher 张丽 gets it through the staff app, the recording with it.
    const sent = fake.succeeded('message/send').filter((c) => c.body.touser === 'zhang').slice(toZhang);
    expect(sent.map((c) => c.body.msgtype)).toEqual(['text', 'voice']);
    expect(sent[1].body.voice).toEqual({ media_id: mediaId });
    expect(await message({ to: 'zhang', kind: { $ne: 'reply' }, route: 'wecom-app' })).toBeTruthy();
  });

  it('a recording goes out as kf voice; an expired one is uploaded again from the kept copy', async () => {
    const mediaId = fake.succeeded('media/get').at(-1)!.query.media_id;
    await says('wmDad', '你好'); // a fresh window and quota
    const base = { orgId: 'default', to: 'wmDad', text: '王奶奶的语音留言', style: 'text' as const, kind: 'test', channel: 'auto' };
    await enqueue({ ...base, key: 'test:kf:voice:1', dueAt: now(), voiceMediaId: mediaId });
    await deliver();
    const out = kf.deliveredTo('wmDad').slice(-2);
    expect(out.map((d) => d.msgtype)).toEqual(['text', 'voice']);
    expect(out[1].body.voice).toEqual({ media_id: mediaId });
    expect((await message({ key: 'test:kf:voice:1' }))!.route).toBe('wecom-kf');

    // Three days later WeCom has forgotten the media_id: the kept file is uploaded and sent under a new id.
    fake.media.delete(mediaId);
    await says('wmDad', '你好');
    const uploads = fake.succeeded('media/upload').length;
    await enqueue({ ...base, key: 'test:kf:voice:2', dueAt: now(), voiceMediaId: mediaId });
    await deliver();
    const up = fake.succeeded('media/upload').slice(uploads);
    expect(up).toHaveLength(1);
    expect(up[0].query.type).toBe('voice');
    const voice = kf.deliveredTo('wmDad').at(-1)!;
    expect(voice.msgtype).toBe('voice');
    expect(voice.body.voice.media_id).not.toBe(mediaId);
    expect(fake.media.get(voice.body.voice.media_id)!.data.length).toBe(fs.statSync(path.join(dataDir, 'media', keptVoiceName(mediaId))).size);
    expect((await message({ key: 'test:kf:voice:2' }))).toEqual(expect.objectContaining({ status: 'sent', route: 'wecom-kf' }));
  });
});

describe('the window and the quota', () => {
  beforeAll(async () => {
    // The school's 家校通讯录 gives 王建国's parent_userid: 学校通知 can reach him outside the kf window.
    const res = await t.http.post('/api/wecom/school-sync').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({});
    expect(res.status).toBe(200);
    expect((await FamilyMember.findOne({ boundAddress: 'wmDad' }).lean())!.wecomParentUserId).toBe('p_wangjianguo');
  });

  it('5 messages per window: the sixth push goes through 学校通知, and WeCom never has to refuse one', async () => {
    const start = kf.deliveredTo('wmDad').length;
    await says('wmDad', '你好');
    const since = () => kf.deliveredTo('wmDad').length - start;
    const used = since();
    expect(used).toBeGreaterThan(0);
    const notices = school.noticesTo('p_wangjianguo').length;
    for (let i = 0; i < 6; i++) {
      await enqueue({ orgId: 'default', key: `test:quota:${i}`, to: 'wmDad', text: `通知 ${i}`, style: 'text', kind: 'test', channel: 'auto', dueAt: now() });
    }
    await deliver();
    expect(since()).toBe(5);
    const rows = await messages({ key: /^test:quota:/ });
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    expect(rows.filter((r) => r.route === 'wecom-kf')).toHaveLength(5 - used);
    expect(rows.filter((r) => r.route === 'wecom-school')).toHaveLength(6 - (5 - used));
    expect(school.noticesTo('p_wangjianguo').length - notices).toBe(6 - (5 - used));
    expect(fake.callsTo('kf/send_msg').filter((c) => c.errcode === 95001)).toEqual([]);
    expect(await channel.reach('wmDad')).toBe('closed');

    // A reply bound to kf (the channel he wrote from) that finds the quota used up also falls back.
    await enqueue({ orgId: 'default', key: 'test:quota:reply', to: 'wmDad', text: '回复', style: 'text', kind: 'reply', channel: 'wecom-kf', dueAt: now() });
    await deliver();
    expect(await message({ key: 'test:quota:reply' })).toEqual(expect.objectContaining({ status: 'sent', route: 'wecom-school' }));

    // Writing again opens a new window with a new quota.
    await says('wmDad', '谢谢');
    expect(await channel.reach('wmDad')).toBe('open');
  });

  it('racing workers cannot take more than 5 slots of one window', async () => {
    const got = await Promise.all(Array.from({ length: 8 }, (_, i) => claimKfSlot('default', OPEN_KFID, 'wmRace', 'msg-race', `race#${i}`, now())));
    expect(got.filter(Boolean)).toHaveLength(5);
    expect(await KfQuotaSlot.countDocuments({ externalUserId: 'wmRace' })).toBe(5);
  });

  it('48 hours after his last message, the teacher\'s answer reaches him through 学校通知', async () => {
    // The case his voice message opened (above) is still open: its number, from the admin API.
    const cases = await t.http.get('/api/concerns').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    const n = (cases.body as Array<{ number: number; child: string; status: string }>).find((c) => c.child === '王小明' && c.status !== 'resolved')?.number;
    expect(n).toBeGreaterThan(0);
    await says('wmDad', '你好'); // his last message
    const kfBefore = kf.deliveredTo('wmDad').length;
    const notices = school.noticesTo('p_wangjianguo').length;

    setClock(new Date(now().getTime() + 49 * HOUR)); // 11:00 two days later: daytime
    expect(await channel.reach('wmDad')).toBe('closed');
    await t.say('zhang', `#${n} 作业的事我明天和数学老师商量一下`);
    await deliver();

    const sent = school.noticesTo('p_wangjianguo').slice(notices);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toEqual(expect.objectContaining({ agentid: SCHOOL.agentId, msgtype: 'text' }));
    expect(sent[0].body).toEqual(expect.objectContaining({ recv_scope: 0, to_parent_userid: ['p_wangjianguo'] }));
    expect(sent[0].body.text.content).toContain('数学老师');
    expect(kf.deliveredTo('wmDad').length).toBe(kfBefore);
    const row = await message({ to: 'wmDad', text: /数学老师/ });
    expect(row).toEqual(expect.objectContaining({ channel: 'auto', status: 'sent', route: 'wecom-school' }));

    // A message held for kf (e.g. a reply that waited) finds the window closed at send time and falls back.
    await enqueue({ orgId: 'default', key: 'test:window:held', to: 'wmDad', text: '迟到的回复', style: 'text', kind: 'reply', channel: 'wecom-kf', dueAt: now() });
    await deliver();
    expect(await message({ key: 'test:window:held' })).toEqual(expect.objectContaining({ status: 'sent', route: 'wecom-school' }));
    expect(kf.deliveredTo('wmDad').length).toBe(kfBefore);
  });
});
