/**
 * What goes wrong with WeCom callbacks, end to end on the whole bot (app + 微信客服 channels against the fake WeCom
 * server, real HTTP, real crypto, real database):
 *
 * - WeCom re-sends a callback it got no answer to in time, possibly several at once: the same callback delivered
 *   5 times is processed once (one reply, one InboundLog row), for the app's XML message and the kf event;
 * - a callback that is not genuine or not well formed — bad signature, replayed or too old/new timestamp, a 10 MB
 *   body (with and without Content-Length), broken XML outside or inside, broken encryption, another corp's
 *   ReceiveId — is refused with the right status, and writes nothing: every collection's count is the same
 *   before and after, and nothing is sent to WeCom.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import mongoose from 'mongoose';
import { APP_CALLBACK_PATH, KF_CALLBACK_PATH, wecomPlugins } from '../src/bot/wecom';
import type { WeComAppChannel } from '../src/bot/wecom/appChannel';
import { buildXml, CallbackCryptoError, decrypt, encrypt, signature } from '../src/bot/wecom/callbackCrypto';
import { TokenCache } from '../src/bot/wecom/client';
import type { WeComKfChannel } from '../src/bot/wecom/kfChannel';
import { InboundLog } from '../src/models/inboundLog';
import { startWithSchool, TestApp } from './helpers/testApp';
import { FakeKf } from './fakeWecom/kf';
import { appTextXml, FakeWeCom, newMsgId, randomAesKey, signedCallback } from './fakeWecom/server';

const CORP = 'wwfaultscorp';
const APP = { secret: 'faults-app-secret', agentId: 1000002 };
const KF_SECRET = 'faults-kf-secret';
const OPEN_KFID = 'wkFAULTSkf01';
const appKeys = { token: 'FaultsAppToken', encodingAESKey: randomAesKey(), receiveId: CORP };
const kfKeys = { token: 'FaultsKfToken', encodingAESKey: randomAesKey(), receiveId: CORP };
const DAY = new Date('2026-09-08T10:00:00+08:00');
const MB = 1024 * 1024;

let fake: FakeWeCom;
let kf: FakeKf;
let t: TestApp;
let app: WeComAppChannel;
let kfChannel: WeComKfChannel;
/** A real listening server for the raw-socket tests (supertest cannot stream a body or stop writing early). */
let server: http.Server;
let port: number;

const now = () => t.app.context.clock.now();
const seconds = () => Math.floor(now().getTime() / 1000);

beforeAll(async () => {
  fake = await FakeWeCom.start({ corpId: CORP, apps: [APP, { secret: KF_SECRET }] });
  kf = new FakeKf(fake, { openKfId: OPEN_KFID, corpId: CORP, now: () => now().getTime() });
  const env = {
    WECOM_CORP_ID: CORP, WECOM_API_BASE: fake.url,
    WECOM_APP_AGENT_ID: String(APP.agentId), WECOM_APP_SECRET: APP.secret, WECOM_APP_TOKEN: appKeys.token, WECOM_APP_AES_KEY: appKeys.encodingAESKey,
    WECOM_KF_SECRET: KF_SECRET, WECOM_KF_TOKEN: kfKeys.token, WECOM_KF_AES_KEY: kfKeys.encodingAESKey, WECOM_KF_OPEN_KFID: OPEN_KFID,
  };
  const plugins = wecomPlugins(env, { orgId: 'default', client: { backoffMs: 5, tokens: new TokenCache() }, clock: { now } });
  app = plugins.find((p) => p.channel.name === 'wecom-app')!.channel as WeComAppChannel;
  kfChannel = plugins.find((p) => p.channel.name === 'wecom-kf')!.channel as WeComKfChannel;
  t = await startWithSchool(env, { channels: plugins, defaultChannel: 'wecom-app' });
  t.app.context.simulator!.clock.set(DAY);
  server = http.createServer(t.app.http);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await t?.stop();
  await fake?.stop();
});

async function settle(): Promise<void> {
  await app.idle();
  await kfChannel.idle();
  await t.app.context.delivery.deliverDue();
}

/** Documents per collection, to prove a refused callback wrote nothing anywhere. */
async function counts(): Promise<Record<string, number>> {
  const db = mongoose.connection.db!;
  const names = (await db.listCollections().toArray()).map((c) => c.name).sort();
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await db.collection(n).countDocuments()] as const)));
}

/** Runs `act`, lets every accepted callback finish, and checks that nothing was written or sent. */
async function writesNothing(act: () => Promise<void>): Promise<void> {
  await settle();
  const before = await counts();
  const calls = fake.calls.length;
  await act();
  await settle();
  expect(await counts()).toEqual(before);
  expect(fake.calls.slice(calls)).toEqual([]);
}

const appText = (from: string, content: string, msgId = newMsgId()) => appTextXml({ corpId: CORP, agentId: APP.agentId, from, content, msgId, createTime: seconds() });
const appCallback = (xml: string, opts: { timestamp?: number; keys?: typeof appKeys } = {}) =>
  signedCallback(APP_CALLBACK_PATH, opts.keys ?? appKeys, xml, { agentId: APP.agentId, timestamp: opts.timestamp ?? seconds() });
const kfCallback = () => signedCallback(KF_CALLBACK_PATH, kfKeys, kf.callbackXml(seconds()), { timestamp: seconds() });
const post = (cb: { url: string; body: string }) => t.http.post(cb.url).set('Content-Type', 'text/xml').send(cb.body);
const sentTo = (user: string) => fake.succeeded('message/send').filter((c) => c.body.touser === user);

/** A correctly signed callback around any `Encrypt` value (to test what comes after the signature check). */
function signedAround(encryptValue: string, path = APP_CALLBACK_PATH, keys = appKeys) {
  const timestamp = String(seconds());
  const nonce = String(crypto.randomInt(1e9, 1e10));
  const query = new URLSearchParams({ msg_signature: signature(keys.token, timestamp, nonce, encryptValue), timestamp, nonce });
  return { url: `${path}?${query}`, body: buildXml({ ToUserName: CORP, AgentID: String(APP.agentId), Encrypt: encryptValue }) };
}

/** AES-256-CBC with the right key over arbitrary plaintext bytes, padded the WeCom way (to 32 bytes). */
function aesWithKey(keys: typeof appKeys, plain: Buffer): string {
  const key = Buffer.from(`${keys.encodingAESKey}=`, 'base64');
  const pad = 32 - (plain.length % 32);
  const cipher = crypto.createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
}

/**
 * POSTs `size` bytes over a raw socket, in 64 kB pieces, stopping as soon as the answer arrives. `chunked` sends no
 * Content-Length (Transfer-Encoding: chunked), so the server cannot refuse before reading.
 */
function postLarge(url: string, size: number, chunked: boolean): Promise<{ status: number; body: string; ms: number; written: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let written = 0;
    let answered = false;
    const req = http.request({
      host: '127.0.0.1', port, path: url, method: 'POST',
      headers: { 'Content-Type': 'text/xml', ...(chunked ? {} : { 'Content-Length': String(size) }) },
    }, (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: Date.now() - started, written }));
      res.on('error', reject);
    });
    // The server may close the connection while we are still writing: that is the point.
    req.on('error', (err) => { if (!answered) reject(err); });
    const piece = Buffer.alloc(64 * 1024, 'a');
    const pump = (): void => {
      while (!answered && written < size) {
        written += piece.length;
        if (!req.write(piece)) { req.once('drain', pump); return; }
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe('the same callback delivered 5 times is processed once', () => {
  it('app XML message, 5 times one after another: one reply, one InboundLog row', async () => {
    const msgId = newMsgId();
    const cb = appCallback(appText('zhang', '你好', msgId));
    const before = sentTo('zhang').length;
    for (let i = 0; i < 5; i++) {
      const res = await post(cb);
      expect(res.status).toBe(200);
      expect(res.text).toBe('');
    }
    await settle();
    expect(sentTo('zhang').length - before).toBe(1);
    expect(await InboundLog.countDocuments({ channel: 'wecom-app', platformId: msgId })).toBe(1);
  });

  it('app XML message, 5 times at once: one reply, one InboundLog row', async () => {
    const msgId = newMsgId();
    const cb = appCallback(appText('li', '你好', msgId));
    const before = sentTo('li').length;
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(cb)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    await settle();
    expect(sentTo('li').length - before).toBe(1);
    expect(await InboundLog.countDocuments({ channel: 'wecom-app', platformId: msgId })).toBe(1);
  });

  it('微信客服 event, 5 times at once and then again: the message is pulled and answered once', async () => {
    const m = kf.customerSays('wmFaultsDad', '你好');
    const cb = kfCallback();
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(cb)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect((await post(cb)).status).toBe(200);
    await settle();
    expect(kf.deliveredTo('wmFaultsDad')).toHaveLength(1);
    expect(await InboundLog.countDocuments({ channel: 'wecom-kf', platformId: m.msgid })).toBe(1);
  });
});

describe('refused callbacks write nothing', () => {
  it('a bad signature: 403 (app and kf)', async () => {
    await writesNothing(async () => {
      const forged = appCallback(appText('zhang', '你好'), { keys: { ...appKeys, token: 'ForgedToken' } });
      expect((await post(forged)).status).toBe(403);
      // One character of a genuine signature changed.
      const good = appCallback(appText('zhang', '你好'));
      const sig = new URLSearchParams(good.url.split('?')[1]).get('msg_signature')!;
      const flipped = good.url.replace(sig, `${sig[0] === 'a' ? 'b' : 'a'}${sig.slice(1)}`);
      expect((await t.http.post(flipped).set('Content-Type', 'text/xml').send(good.body)).status).toBe(403);
      const kfForged = signedCallback(KF_CALLBACK_PATH, { ...kfKeys, token: 'ForgedToken' }, kf.callbackXml(seconds()), { timestamp: seconds() });
      expect((await post(kfForged)).status).toBe(403);
    });
  });

  it('a replayed callback once outside the window, and timestamps too old or too far ahead: 403', async () => {
    const cb = appCallback(appText('zhang', '你好'));
    expect((await post(cb)).status).toBe(200);
    await settle();
    const clock = t.app.context.simulator!.clock;
    clock.set(new Date(DAY.getTime() + 6 * 60_000));
    try {
      await writesNothing(async () => {
        const replay = await post(cb);
        expect(replay.status).toBe(403);
        expect(replay.text).toContain('stale');
        expect((await post(appCallback(appText('zhang', '你好'), { timestamp: seconds() - 10 * 60 }))).status).toBe(403);
        expect((await post(appCallback(appText('zhang', '你好'), { timestamp: seconds() + 10 * 60 }))).status).toBe(403);
      });
    } finally {
      clock.set(DAY);
    }
  });

  it('a 10 MB body with Content-Length: 413 at once, without reading it', async () => {
    await writesNothing(async () => {
      const good = appCallback(appText('zhang', '你好'));
      const res = await postLarge(good.url, 10 * MB, false);
      expect(res.status).toBe(413);
      expect(res.ms).toBeLessThan(2000);
      // Refused on the header: the sender stopped before the 10 MB went out (what it wrote is the sockets' buffers,
      // about 4 MB on loopback here; body-parser read all 10 MB before answering).
      expect(res.written).toBeLessThan(10 * MB);
      // The kf URL the same.
      expect((await postLarge(kfCallback().url, 10 * MB, false)).status).toBe(413);
    });
  });

  it('a 10 MB body streamed without Content-Length: 413 once past the limit, the rest never read', async () => {
    await writesNothing(async () => {
      const good = appCallback(appText('zhang', '你好'));
      const res = await postLarge(good.url, 10 * MB, true);
      expect(res.status).toBe(413);
      // Answered before the 10 MB went out.
      expect(res.written).toBeLessThan(10 * MB);
    });
    // The server still works after dropping that connection.
    expect((await post(appCallback(appText('zhang', '你好')))).status).toBe(200);
  });

  it('broken XML, outside or inside the encryption: 400', async () => {
    await writesNothing(async () => {
      const good = appCallback(appText('zhang', '你好'));
      for (const body of ['<xml><Encrypt>', 'not xml at all', '{"encrypt":"x"}', '<other><Encrypt>abc</Encrypt></other>',
        '<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">]><xml><Encrypt>&a;</Encrypt></xml>', '']) {
        const res = await t.http.post(good.url).set('Content-Type', 'text/xml').send(body);
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
      }
      // Genuinely signed and encrypted, but what is inside is not XML.
      const inner = signedAround(encrypt(appKeys, '<xml><MsgType>text</MsgType>'));
      expect((await post(inner)).status).toBe(400);
    });
  });

  it('broken encryption: 400; encrypted for another corp: 403', async () => {
    await writesNothing(async () => {
      const cases: Array<[string, string]> = [
        ['not base64', 'this is not base64!'],
        ['not whole AES blocks', crypto.randomBytes(40).toString('base64')],
        ['another EncodingAESKey', encrypt({ ...appKeys, encodingAESKey: randomAesKey() }, appText('zhang', '你好'))],
        ['random blocks', crypto.randomBytes(96).toString('base64')],
        // Right key, wrong layout: the length field points past the end.
        ['length past the end', aesWithKey(appKeys, Buffer.concat([crypto.randomBytes(16), Buffer.from([0, 0, 0x10, 0]), Buffer.from('<xml/>')]))],
        // Right key, padding byte out of range.
        ['bad padding', aesWithKey(appKeys, Buffer.concat([crypto.randomBytes(16), Buffer.alloc(47, 0x41), Buffer.from([0x7f])])).slice(0, 88)],
      ];
      for (const [what, value] of cases) {
        const res = await post(signedAround(value));
        expect({ what, status: res.status }).toEqual({ what, status: 400 });
      }
      const otherCorp = signedAround(encrypt({ ...appKeys, receiveId: 'wwothercorp' }, appText('zhang', '你好')));
      expect((await post(otherCorp)).status).toBe(403);
    });
  });

  it('a missing or malformed query: 400', async () => {
    await writesNothing(async () => {
      const good = appCallback(appText('zhang', '你好'));
      expect((await t.http.post(APP_CALLBACK_PATH).set('Content-Type', 'text/xml').send(good.body)).status).toBe(400);
      const badTs = good.url.replace(/timestamp=\d+/, 'timestamp=12ab');
      expect((await t.http.post(badTs).set('Content-Type', 'text/xml').send(good.body)).status).toBe(400);
    });
  });
});

describe('decryption is strict', () => {
  it('random blocks never pass as a message for the 智能机器人 (ReceiveId "")', () => {
    // The official library "decrypts" them to garbage with an empty ReceiveId; that must not count as genuine.
    const aibot = { token: 't', encodingAESKey: randomAesKey(), receiveId: '' };
    for (let i = 0; i < 50; i++) {
      const junk = crypto.randomBytes(32 * (1 + (i % 4))).toString('base64');
      expect(() => decrypt(aibot, junk)).toThrow(CallbackCryptoError);
    }
    expect(decrypt(aibot, encrypt(aibot, '{"msgid":"1"}'))).toBe('{"msgid":"1"}');
  });
});
