/**
 * WeComClient, callback crypto and WeCom settings, against the fake WeCom server over real HTTP on 127.0.0.1.
 * The crypto is also checked on the official WXBizMsgCrypt sample vectors (Token QDG6eK, CorpID wx5823bf96d3bd56c7).
 */
import crypto from 'node:crypto';
import { PermanentSendError, RetryableSendError } from '../src/bot/channel';
import { CallbackCryptoError, decrypt, encrypt, parseXml, sealPassiveReply, signature, verifySignature } from '../src/bot/wecom/callbackCrypto';
import { dedupeKey } from '../src/bot/wecom/callbackRouter';
import { TokenCache, WeComClient, WeComClientOptions } from '../src/bot/wecom/client';
import { loadWeComConfig } from '../src/bot/wecom/config';
import { WeComPermanentError, WeComRetryableError } from '../src/bot/wecom/errors';
import { wecomPlugins } from '../src/bot/wecom';
import { ConfigError } from '../src/config';
import { FakeWeCom, randomAesKey } from './fakeWecom/server';

const SECRET = 'app-secret-0001';
const AGENT = 1000002;
let fake: FakeWeCom;

beforeAll(async () => {
  fake = await FakeWeCom.start({ corpId: 'wwtestcorp', apps: [{ secret: SECRET, agentId: AGENT }, { secret: 'other-secret', agentId: 1000003 }], users: ['zhang', 'li', 'zhao'] });
});
afterAll(async () => { await fake.stop(); });
beforeEach(() => { fake.reset(); });

/** A client with its own token cache and a recorded, instant sleep. */
function client(over: Partial<WeComClientOptions> = {}): { c: WeComClient; sleeps: number[] } {
  const sleeps: number[] = [];
  const c = new WeComClient({
    corpId: fake.corpId, secret: SECRET, agentId: AGENT, apiBase: fake.url, tokens: new TokenCache(),
    sleep: async (ms) => { sleeps.push(ms); }, ...over,
  });
  return { c, sleeps };
}

describe('callback crypto (@wecom/crypto)', () => {
  const keys = { token: 'QDG6eK', encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', receiveId: 'wx5823bf96d3bd56c7' };

  it('verifies and decrypts the official URL-verification sample', () => {
    const echostr = 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==';
    expect(verifySignature(keys, '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3', '1409659589', '263014780', echostr)).toBe(true);
    expect(verifySignature(keys, '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd4', '1409659589', '263014780', echostr)).toBe(false);
    expect(decrypt(keys, echostr)).toBe('1616140317555161061');
  });

  it('decrypts the official message sample and keeps the 64-bit MsgId exact', () => {
    const enc = 'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==';
    expect(verifySignature(keys, '477715d11cdb4164915debcba66cb864d751f3e6', '1409659813', '1372623149', enc)).toBe(true);
    const msg = parseXml(decrypt(keys, enc));
    expect(msg).toEqual(expect.objectContaining({ ToUserName: 'wx5823bf96d3bd56c7', FromUserName: 'mycreate', MsgType: 'text', Content: 'hello', MsgId: '4561255354251345929', AgentID: '218' }));
  });

  it('handles PKCS#7 padding to 32 bytes both ways (pads of 1..32, checked against a plain Node implementation)', () => {
    const key = Buffer.from(`${keys.encodingAESKey}=`, 'base64');
    for (let len = 0; len <= 64; len++) {
      const message = 'x'.repeat(len);
      // Ours → plain Node: the padded plaintext is a multiple of 32 and its pad value is 1..32.
      const d = crypto.createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
      d.setAutoPadding(false);
      const plain = Buffer.concat([d.update(encrypt(keys, message), 'base64'), d.final()]);
      const pad = plain[plain.length - 1];
      expect(plain.length % 32).toBe(0);
      expect(pad).toBeGreaterThanOrEqual(1);
      expect(pad).toBeLessThanOrEqual(32);
      expect(plain.subarray(plain.length - pad).every((b) => b === pad)).toBe(true);
      // Plain Node → ours.
      const body = Buffer.concat([crypto.randomBytes(16), Buffer.alloc(4), Buffer.from(message), Buffer.from(keys.receiveId)]);
      body.writeUInt32BE(len, 16);
      const n = 32 - (body.length % 32);
      const c = crypto.createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
      c.setAutoPadding(false);
      const enc = Buffer.concat([c.update(Buffer.concat([body, Buffer.alloc(n, n)])), c.final()]).toString('base64');
      expect(decrypt(keys, enc)).toBe(message);
    }
  });

  it('refuses another ReceiveId, garbage and a DTD', () => {
    const other = encrypt({ ...keys, receiveId: 'wwsomeoneelse' }, '<xml/>');
    expect(() => decrypt(keys, other)).toThrow(CallbackCryptoError);
    expect(() => decrypt({ ...keys, encodingAESKey: randomAesKey() }, encrypt(keys, '<xml><A>1</A></xml>'))).toThrow(CallbackCryptoError);
    expect(() => decrypt(keys, 'not base64!')).toThrow(CallbackCryptoError);
    expect(() => parseXml('<xml><a></xml>')).toThrow(CallbackCryptoError);
    expect(() => parseXml('<!DOCTYPE x [<!ENTITY a "b">]><xml><A>&a;</A></xml>')).toThrow(CallbackCryptoError);
  });

  it('de-duplicates messages on MsgId and events on FromUserName+CreateTime', () => {
    expect(dedupeKey({ FromUserName: 'zhang', CreateTime: '1800000000', MsgType: 'text', MsgId: '7000000000000000001' })).toBe('7000000000000000001');
    const event = { FromUserName: 'zhang', CreateTime: '1800000000', MsgType: 'event', Event: 'enter_agent' };
    expect(dedupeKey(event)).toBe(dedupeKey({ ...event }));
    expect(dedupeKey(event)).not.toBe(dedupeKey({ ...event, CreateTime: '1800000001' }));
    expect(dedupeKey(event)).not.toBe(dedupeKey({ ...event, FromUserName: 'li' }));
  });

  it('seals a passive reply that WeCom can verify', () => {
    const xml = parseXml(sealPassiveReply(keys, '<xml><Content><![CDATA[好]]></Content></xml>', 1409659813, 'n1'));
    expect(xml.MsgSignature).toBe(signature(keys.token, '1409659813', 'n1', xml.Encrypt as string));
    expect(parseXml(decrypt(keys, xml.Encrypt as string)).Content).toBe('好');
  });
});

describe('access tokens', () => {
  it('concurrent sends share one gettoken', async () => {
    const { c } = client();
    await Promise.all(['zhang', 'li', 'zhao', 'zhang', 'li'].map((u, i) => c.sendText(u, `hello ${i}`)));
    expect(fake.callsTo('gettoken')).toHaveLength(1);
    expect(fake.succeeded('message/send')).toHaveLength(5);
    expect(new Set(fake.callsTo('message/send').map((x) => x.token)).size).toBe(1);
  });

  it('a token expired mid-run (42001 once) is refetched and the send goes out once', async () => {
    const { c } = client();
    await c.sendText('zhang', 'first');
    fake.failNext('message/send', 42001);
    const res = await c.sendText('zhang', 'second');
    expect(res.msgid).toMatch(/^fake_msg_/);
    expect(fake.callsTo('gettoken')).toHaveLength(2);
    expect(fake.callsTo('message/send').map((x) => x.errcode)).toEqual([0, 42001, 0]);
    expect(fake.succeeded('message/send').map((x) => x.body.text.content)).toEqual(['first', 'second']);
  });

  it('tokens WeCom invalidated early (40014/42001 from the server itself) are dropped and refetched once for all callers', async () => {
    const { c } = client();
    await c.sendText('zhang', 'a');
    fake.expireTokens();
    await Promise.all([c.sendText('li', 'b'), c.sendText('zhao', 'c')]);
    expect(fake.callsTo('gettoken')).toHaveLength(2);
    expect(fake.succeeded('message/send')).toHaveLength(3);
  });

  it('refreshes a token 5 minutes before it expires, without waiting for an error', async () => {
    let now = Date.now();
    const { c } = client({ now: () => now });
    await c.sendText('zhang', 'a');
    now += (7200 - 299) * 1000;
    await c.sendText('zhang', 'b');
    expect(fake.callsTo('gettoken')).toHaveLength(2);
    expect(fake.callsTo('message/send').every((x) => x.errcode === 0)).toBe(true);
  });

  it('a token error that survives the refetch is not retried forever', async () => {
    const { c } = client();
    fake.failNext('message/send', 40014, 2);
    await expect(c.sendText('zhang', 'x')).rejects.toBeInstanceOf(RetryableSendError);
    expect(fake.callsTo('message/send')).toHaveLength(2);
  });

  it('a wrong secret is a permanent configuration error that says what to fix', async () => {
    const { c } = client({ secret: 'wrong-secret' });
    const err = await c.sendText('zhang', 'x').catch((e) => e);
    expect(err).toBeInstanceOf(PermanentSendError);
    expect(err.errcode).toBe(40001);
    expect(err.message).toMatch(/WECOM_\*_SECRET/);
    expect(fake.callsTo('message/send')).toHaveLength(0);
  });
});

describe('throttling and retries', () => {
  it('45009 twice: backs off, retries and delivers once', async () => {
    const { c, sleeps } = client({ backoffMs: 100 });
    fake.failNext('message/send', 45009, 2);
    await c.sendText('zhang', 'hi');
    expect(fake.callsTo('message/send').map((x) => x.errcode)).toEqual([45009, 45009, 0]);
    expect(sleeps).toEqual([100, 200]);
    expect(fake.succeeded('message/send')).toHaveLength(1);
  });

  it('-1 and 45033 are retried too', async () => {
    const { c } = client();
    fake.failNext('message/send', -1);
    fake.failNext('message/send', 45033);
    await c.sendText('li', 'hi');
    expect(fake.callsTo('message/send').map((x) => x.errcode)).toEqual([-1, 45033, 0]);
  });

  it('throttled on every try: a RetryableSendError with a retry-after for the outbox', async () => {
    const { c } = client();
    fake.failNext('message/send', 45009, 3);
    const err = await c.sendText('zhang', 'hi').catch((e) => e);
    expect(err).toBeInstanceOf(WeComRetryableError);
    expect(err).toBeInstanceOf(RetryableSendError);
    expect(err.retryAfterMs).toBe(60_000);
    expect(fake.callsTo('message/send')).toHaveLength(3);
    expect(fake.succeeded('message/send')).toHaveLength(0);
  });

  it('network trouble is retryable and names the API base', async () => {
    const { c } = client({ apiBase: 'http://127.0.0.1:9', timeoutMs: 2000 });
    const err = await c.sendText('zhang', 'hi').catch((e) => e);
    expect(err).toBeInstanceOf(RetryableSendError);
    expect(err.message).toContain('http://127.0.0.1:9');
  });
});

describe('per-recipient pacing (30 a minute per member per app)', () => {
  it('the 31st message in a minute is held back with a retry-after, other members are not affected', async () => {
    let now = Date.now();
    const { c } = client({ now: () => now });
    for (let i = 0; i < 30; i++) {
      await c.sendText('zhang', `m${i}`);
      now += 1000;
    }
    const err = await c.sendText('zhang', 'm30').catch((e) => e);
    expect(err).toBeInstanceOf(RetryableSendError);
    // The first of the 30 was sent 30 s ago: it leaves the window in about 30 s.
    expect(err.retryAfterMs).toBeGreaterThan(29_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(31_000);
    expect(fake.callsTo('message/send')).toHaveLength(30);
    await c.sendText('li', 'not paced');
    now += err.retryAfterMs;
    await c.sendText('zhang', 'm30');
    expect(fake.succeeded('message/send').filter((x) => x.body.touser === 'zhang')).toHaveLength(31);
  });
});

describe('error codes → operator messages', () => {
  it.each([
    [60020, /企业可信IP/],
    [48002, /permission/],
    [301002, /another agent/],
  ])('%i is permanent and says what to fix', async (code, hint) => {
    const { c } = client();
    fake.failNext('message/send', code);
    const err = await c.sendText('zhang', 'hi').catch((e) => e);
    expect(err).toBeInstanceOf(WeComPermanentError);
    expect(err).toBeInstanceOf(PermanentSendError);
    expect(err.errcode).toBe(code);
    expect(err.message).toMatch(hint);
    expect(fake.callsTo('message/send')).toHaveLength(1);
  });

  it('81013: a member outside the visible range', async () => {
    const { c } = client();
    const err = await c.sendText('stranger', 'hi').catch((e) => e);
    expect(err).toBeInstanceOf(PermanentSendError);
    expect(err.message).toMatch(/visible range/);
  });

  it('301002 for real: a token from the other app used with this agentid', async () => {
    const { c } = client({ secret: 'other-secret' });
    const err = await c.sendText('zhang', 'hi').catch((e) => e);
    expect(err.errcode).toBe(301002);
  });
});

describe('media', () => {
  it('uploads a voice file and downloads it back', async () => {
    const { c } = client();
    const amr = Buffer.concat([Buffer.from('#!AMR\n'), crypto.randomBytes(200)]);
    const up = await c.uploadMedia('voice', amr, 'note.amr', 'audio/amr');
    expect(up.media_id).toMatch(/^media_/);
    expect(fake.callsTo('media/upload')[0].body).toEqual({ filename: 'note.amr', size: amr.length });
    const got = await c.getMedia(up.media_id);
    expect(got.data.equals(amr)).toBe(true);
    expect(got.contentType).toBe('audio/amr');
    expect(got.filename).toBe('note.amr');
    await expect(c.getMedia('media_unknown')).rejects.toMatchObject({ errcode: 40007 });
  });
});

describe('settings', () => {
  const full = {
    WECOM_CORP_ID: 'wwtestcorp', WECOM_APP_AGENT_ID: '1000002', WECOM_APP_SECRET: SECRET, WECOM_APP_TOKEN: 'tok123', WECOM_APP_AES_KEY: randomAesKey(),
  };

  it('nothing set: no WeCom adapter (the simulator stays)', () => {
    expect(loadWeComConfig({}).app).toBeUndefined();
    expect(wecomPlugins({}, { orgId: 'default' })).toEqual([]);
  });

  it('all app variables set: the wecom-app channel, API base defaulting to the real host', () => {
    expect(loadWeComConfig(full).apiBase).toBe('https://qyapi.weixin.qq.com');
    const plugins = wecomPlugins(full, { orgId: 'default' });
    expect(plugins.map((p) => p.channel.name)).toEqual(['wecom-app']);
  });

  it('a half-configured app names the missing variable', () => {
    const { WECOM_APP_TOKEN: _t, ...rest } = full;
    expect(() => loadWeComConfig(rest)).toThrow(ConfigError);
    expect(() => loadWeComConfig(rest)).toThrow(/WECOM_APP_TOKEN/);
    const { WECOM_CORP_ID: _c, ...noCorp } = full;
    expect(() => loadWeComConfig(noCorp)).toThrow(/WECOM_CORP_ID/);
  });

  it('a wrong EncodingAESKey or API base names the variable', () => {
    expect(() => loadWeComConfig({ ...full, WECOM_APP_AES_KEY: 'short' })).toThrow(/WECOM_APP_AES_KEY/);
    expect(() => loadWeComConfig({ ...full, WECOM_API_BASE: 'not a url' })).toThrow(/WECOM_API_BASE/);
    expect(() => loadWeComConfig({ ...full, WECOM_APP_AGENT_ID: 'abc' })).toThrow(/WECOM_APP_AGENT_ID/);
  });
});
