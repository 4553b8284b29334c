/**
 * FakeWeCom: a stand-in for https://qyapi.weixin.qq.com on 127.0.0.1 (random port), speaking real HTTP with
 * the documented payload shapes (../shared/wecom-api.md), plus helpers that play WeCom towards OUR callback
 * URLs with real signatures and encryption (@wecom/crypto through src/bot/wecom/callbackCrypto.ts).
 *
 * Start / stop
 *   const fake = await FakeWeCom.start({ corpId: 'wwcorp', apps: [{ secret: 'app-secret', agentId: 1000002 }], users: ['zhang'] });
 *   env: { WECOM_API_BASE: fake.url, WECOM_CORP_ID: fake.corpId, WECOM_APP_SECRET: 'app-secret', ... }
 *   await fake.stop();
 *
 * What it serves (all under /cgi-bin/, `api` names below are the path without /cgi-bin/)
 *   gettoken           corpid + corpsecret of a configured app → { access_token, expires_in: fake.tokenTtlSeconds };
 *                      wrong corpid → 40013, unknown secret → 40001.
 *   every other api    access_token checked first: missing → 41001, unknown → 40014, expired → 42001.
 *   message/send       agentid must be the token's app's (else 301002); text content 1..2048 bytes (44004/45002);
 *                      voice media_id must be known (40007); `users` (if given) are the members in the app's
 *                      visible range: all recipients unknown → 81013, some → `invaliduser`. Answers { msgid }.
 *   media/upload       multipart field `media` → { type, media_id, created_at }; stored in `fake.media`. A voice must be
 *                      AMR (`#!AMR\n` header) of at most 2 MB, else 301017.
 *   media/get          a stored media → the bytes with Content-Type and Content-disposition; unknown → JSON 40007.
 *   auth/getuserinfo   a sign-in code (below) → { userid } for a member, { openid, external_userid? } for anyone else;
 *                      unknown, used or older than 5 minutes → 40029. Each code answers once.
 *   anything else      404 JSON unless registered with `fake.route(api, handler)`.
 *
 * Inspecting and programming
 *   fake.calls                every request: { api, method, query, body, errcode, token, at } (errcode as answered).
 *   fake.callsTo(api)         the calls to one api; fake.succeeded(api): those answered errcode 0.
 *   fake.failNext(api, errcode, times = 1, errmsg?)   the next `times` calls to `api` answer that errcode
 *                             (after the token check; for 'gettoken' before everything). E.g. 45009 throttling,
 *                             42001/40014 token expired, 60020 untrusted IP, -1 busy. Queued in order; errcode 0
 *                             lets that call through, e.g. failNext(api, 0) then failNext(api, 45009, 3) fails the
 *                             2nd to 4th calls.
 *   fake.expireTokens()       every issued token now answers 42001 (WeCom invalidating tokens early).
 *   fake.tokenTtlSeconds      expires_in for tokens issued from now on (default 7200).
 *   fake.addMedia(bytes, { type, contentType, filename }) → media_id, as if a member had sent it.
 *   fake.reset()              forget calls, programmed failures and faults (tokens, media and limits stay).
 *
 * Faults over time (faults.ts), on the fake's clock `fake.now()` (FakeWeComOptions.now; default real time; a test
 * playing simulated time passes its clock). `apis` is one api, a list, or '*' (every api but gettoken). Each call
 * returns a Fault: `fault.end()` stops it (and lets held calls go), `fault.hits` counts the calls it took.
 *   fake.outage(apis, errcode, { from?, until? })   calls in the window answer errcode (45009, -1, 45033 …), after
 *                             the token check. Default window: from now until end().
 *   fake.hang(apis, { from?, until?, holdMs?, then? })   calls arriving in the window are held for holdMs (default
 *                             until fault.release() / end()), then answered as usual, late (`then: 'answer'`, default:
 *                             WeCom did the work; the caller may have timed out and will retry) or their connection
 *                             is destroyed unanswered (`then: 'drop'`: the request never reached WeCom).
 *   A held call is recorded at once with `held: true`; a dropped one keeps errcode 599 (no WeCom answer).
 *
 * WeCom's published limits (faults.ts, ../shared/wecom-api.md "Limits"), off unless asked for:
 *   fake.enableLimits(overrides?)   per corp per api 10,000 calls a minute; message/send per app to one member 30 a
 *                             minute and 1,000 an hour (sliding windows on fake.now()). Past a limit → 45009 (real
 *                             WeCom drops the per-member excess silently; the fake makes it visible). Only calls that
 *                             passed the token check, failNext and the faults are counted.
 *   fake.limitStats(api) → { accepted, refused, peakPerMinute, ceilingPerMinute, shareOfCeiling, firstAt, lastAt };
 *   fake.limitReport() → the same for every api seen. A bench states a fan-out as peakPerMinute / ceiling.
 *
 * Extending for other adapters (kf, 学校通知, school contacts):
 *   fake.route('kf/sync_msg', (req) => ({ errcode: 0, errmsg: 'ok', next_cursor: 'c1', has_more: 0, msg_list: [...] }));
 *   fake.route('externalcontact/message/send', (req) => ...);  fake.route('school/user/get', (req) => ...);
 *   `req` = { api, method, query, body, app } with `app` the token's { secret, agentId }. The token check,
 *   failNext and recording apply to routed apis too. Keep shared fixtures in this folder.
 *   Ready-made: kf.ts (FakeKf: 微信客服 sync_msg / send_msg with the 48 h and 5-message rule, kf callbacks) and
 *   school.ts (FakeSchool: 家校通讯录 and 学校通知, with sunshineDirectory() matching the test roster).
 *
 * Sign-in pages (play the browser's side of WeCom; not under /cgi-bin, no token, recorded in `fake.logins`):
 *   GET /connect/oauth2/authorize?appid&redirect_uri&response_type=code&scope&state&agentid   (in the WeCom client)
 *   GET /wwlogin/sso/login?login_type=CorpApp&appid&agentid&redirect_uri&state               (QR / desktop login)
 *                      → 302 to redirect_uri?code=CODE&state=STATE for `fake.signedInAs` (a userid, or
 *                      { openid, external_userid? } for a non-member), or to redirect_uri?state=STATE when it is
 *                      undefined (the person declined). A wrong appid / agentid / parameter, or a redirect_uri whose
 *                      host is not `fake.trustedHost` (when set), answers 400 with a page, as WeCom's "redirect_uri参数错误".
 *   fake.issueSignInCode(who) → a code for auth/getuserinfo directly (e.g. to make one expire: fake.expireSignInCodes()).
 *
 * Callback helpers (play WeCom): appTextXml / appVoiceXml / appEventXml build the decrypted XML of a member's
 * message; signedCallback(path, keys, xml) gives the URL (with msg_signature, timestamp, nonce) and the
 * encrypted body to POST; verificationUrl(path, keys, echo) gives the GET URL of the admin console's check.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { Request, Response } from 'express';
import { buildXml, CallbackKeys, encrypt, sealCallback, signature } from '../../src/bot/wecom/callbackCrypto';
import { ApiLimitStats, Fault, FaultWindow, LimitSettings, Limits } from './faults';

export { Fault, Limits } from './faults';
export type { ApiLimitStats, FaultWindow, LimitSettings } from './faults';

export interface FakeApp {
  secret: string;
  agentId?: number;
}

export interface FakeWeComOptions {
  corpId?: string;
  apps?: FakeApp[];
  /** Members in the apps' visible range; unset = everyone is. */
  users?: string[];
  tokenTtlSeconds?: number;
  /** The clock faults and limits run on (ms); default real time. */
  now?: () => number;
}

export interface RecordedCall {
  api: string;
  method: string;
  query: Record<string, string>;
  /** Parsed JSON for JSON posts; for media/upload `{ filename, size }`. */
  body: any;
  errcode: number;
  token?: string;
  at: number;
  /** Held by a hang fault before it was answered (or dropped: errcode 599). */
  held?: boolean;
}

export interface FakeRequest {
  api: string;
  method: string;
  query: Record<string, string>;
  body: any;
  app: FakeApp;
}

/** Who WeCom says signed in: a member's userid, or a WeChat user who is not a member (a customer has an external_userid). */
export type FakeSignInUser = string | { openid: string; external_userid?: string };

export interface FakeLoginVisit {
  page: 'oauth2/authorize' | 'sso/login';
  query: Record<string, string>;
  /** The code handed out, if any. */
  code?: string;
  /** HTTP status answered: 302, or 400 for a refused request. */
  status: number;
}

export type FakeHandler = (req: FakeRequest) => Record<string, unknown> | Promise<Record<string, unknown>>;

export interface FakeMedia {
  type: string;
  data: Buffer;
  contentType: string;
  filename: string;
}

const ERRMSG: Record<number, string> = {
  [-1]: 'system busy', 40001: 'invalid credential', 40007: 'invalid media_id', 40013: 'invalid corpid', 40014: 'invalid access_token', 40029: 'invalid code',
  41001: 'access_token missing', 42001: 'access_token expired', 44004: 'empty content', 45002: 'content size out of limit',
  45009: 'api freq out of limit', 45033: 'api concurrent out of limit', 48002: 'api forbidden', 60020: 'not allow to access from your ip',
  81013: 'user & party & tag all invalid', 301002: 'not allow operate another agent with this accesstoken.',
};

export class FakeWeCom {
  readonly calls: RecordedCall[] = [];
  readonly media = new Map<string, FakeMedia>();
  tokenTtlSeconds: number;
  readonly corpId: string;
  readonly apps: FakeApp[];
  users?: Set<string>;
  private readonly tokens = new Map<string, { app: FakeApp; expiresAt: number; revoked: boolean }>();
  private readonly failures = new Map<string, Array<{ errcode: number; errmsg?: string }>>();
  private readonly routes = new Map<string, FakeHandler>();
  private msgSeq = 0;
  /** Sign-in codes: code → who and until when (ms, real time), used once. */
  private readonly signInCodes = new Map<string, { who: FakeSignInUser; expiresAt: number; used: boolean }>();
  /** Who is signed in to WeCom in the "browser" that opens the sign-in pages; undefined = they decline. */
  signedInAs?: FakeSignInUser;
  /** When set, the sign-in pages accept only a redirect_uri on this host (host[:port]), as the app's 可信域名. */
  trustedHost?: string;
  readonly logins: FakeLoginVisit[] = [];
  private server?: http.Server;
  url = '';
  /** Clock of the faults and limits (ms). */
  now: () => number;
  private faults: Fault[] = [];
  private limits?: Limits;

  private constructor(opts: FakeWeComOptions) {
    this.corpId = opts.corpId ?? 'wwfakecorp0001';
    this.apps = opts.apps ?? [{ secret: 'fake-app-secret', agentId: 1000002 }];
    this.users = opts.users ? new Set(opts.users) : undefined;
    this.tokenTtlSeconds = opts.tokenTtlSeconds ?? 7200;
    this.now = opts.now ?? Date.now;
  }

  static async start(opts: FakeWeComOptions = {}): Promise<FakeWeCom> {
    const fake = new FakeWeCom(opts);
    const app = express();
    app.use(express.json({ limit: '1mb' }));
    app.use(express.raw({ type: 'multipart/form-data', limit: '25mb' }));
    app.use((req, res) => { void fake.handle(req, res); });
    await new Promise<void>((resolve) => { fake.server = app.listen(0, '127.0.0.1', () => resolve()); });
    fake.url = `http://127.0.0.1:${(fake.server!.address() as AddressInfo).port}`;
    return fake;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  route(api: string, handler: FakeHandler): void {
    this.routes.set(api, handler);
  }

  failNext(api: string, errcode: number, times = 1, errmsg?: string): void {
    const list = this.failures.get(api) ?? [];
    for (let i = 0; i < times; i++) list.push({ errcode, errmsg });
    this.failures.set(api, list);
  }

  expireTokens(): void {
    for (const t of this.tokens.values()) t.revoked = true;
  }

  callsTo(api: string): RecordedCall[] {
    return this.calls.filter((c) => c.api === api);
  }

  succeeded(api: string): RecordedCall[] {
    return this.callsTo(api).filter((c) => c.errcode === 0);
  }

  reset(): void {
    this.calls.length = 0;
    this.failures.clear();
    for (const f of this.faults) f.end();
    this.faults = [];
  }

  /** Calls to `apis` in the window answer `errcode`. */
  outage(apis: string | string[], errcode: number, window: FaultWindow = {}, errmsg?: string): Fault {
    return this.addFault(apis, window, { kind: 'error', errcode, errmsg });
  }

  /** Calls to `apis` arriving in the window are held `holdMs` (default: until released), then answered or dropped. */
  hang(apis: string | string[], opts: FaultWindow & { holdMs?: number; then?: 'answer' | 'drop' } = {}): Fault {
    return this.addFault(apis, { from: opts.from, until: opts.until }, { kind: 'hang', holdMs: opts.holdMs, then: opts.then ?? 'answer' });
  }

  private addFault(apis: string | string[], window: FaultWindow, action: Fault['action']): Fault {
    const fault = new Fault(apis === '*' ? '*' : new Set(Array.isArray(apis) ? apis : [apis]), { from: window.from ?? this.now(), until: window.until }, action);
    this.faults.push(fault);
    return fault;
  }

  /** WeCom's published limits from now on (see the header); counts start empty. */
  enableLimits(settings: Partial<LimitSettings> = {}): Limits {
    this.limits = new Limits(settings);
    return this.limits;
  }

  disableLimits(): void {
    this.limits = undefined;
  }

  limitStats(api: string): ApiLimitStats {
    if (!this.limits) throw new Error('FakeWeCom: limits are off; call enableLimits() first');
    return this.limits.stats(api);
  }

  limitReport(): Record<string, ApiLimitStats> {
    if (!this.limits) throw new Error('FakeWeCom: limits are off; call enableLimits() first');
    return this.limits.report();
  }

  /**
   * The programmed faults and limits for one call: undefined to go on, an errcode to answer, or 'drop'.
   * Hangs are served first (a held call then meets the outage or limit of the moment it is let go).
   */
  private async gate(api: string, call: RecordedCall, body: any, app?: FakeApp): Promise<number | 'drop' | undefined> {
    for (const f of this.faults) {
      if (f.action.kind !== 'hang' || !f.applies(api, this.now())) continue;
      f.hits++;
      call.held = true;
      await f.hold();
      if (f.action.then === 'drop') return 'drop';
    }
    for (const f of this.faults) {
      if (f.action.kind === 'error' && f.applies(api, this.now())) {
        f.hits++;
        return f.action.errcode;
      }
    }
    if (this.limits) {
      const members = api === 'message/send' ? String(body?.touser ?? '').split('|').filter(Boolean).map((u) => `${app?.agentId ?? ''}:${u}`) : [];
      const code = this.limits.admit(api, this.now(), members);
      if (code) return code;
    }
    return undefined;
  }

  addMedia(data: Buffer, opts: { type?: string; contentType?: string; filename?: string } = {}): string {
    const id = `media_${crypto.randomBytes(12).toString('hex')}`;
    this.media.set(id, { type: opts.type ?? 'voice', data, contentType: opts.contentType ?? 'audio/amr', filename: opts.filename ?? `${id}.amr` });
    return id;
  }

  /** A code that auth/getuserinfo answers once within 5 minutes (D96442). */
  issueSignInCode(who: FakeSignInUser): string {
    const code = crypto.randomBytes(24).toString('base64url');
    this.signInCodes.set(code, { who, expiresAt: Date.now() + 5 * 60_000, used: false });
    return code;
  }

  /** Every code handed out so far is now too old. */
  expireSignInCodes(): void {
    for (const c of this.signInCodes.values()) c.expiresAt = 0;
  }

  /** The browser side of WeCom's sign-in: OAuth inside the client, or the QR / desktop login page. */
  private signInPage(req: Request, res: Response, page: FakeLoginVisit['page']): void {
    const query = Object.fromEntries(Object.entries(req.query).map(([k, v]) => [k, String(v)]));
    const visit: FakeLoginVisit = { page, query, status: 400 };
    this.logins.push(visit);
    const refuse = (why: string) => { res.status(400).type('html').send(`<p>fake WeCom: ${why}</p>`); };
    if (query.appid !== this.corpId) return refuse('appid is not the corp id');
    const agent = Number(query.agentid);
    const knownAgent = this.apps.some((a) => a.agentId === agent);
    if (page === 'oauth2/authorize') {
      if (query.response_type !== 'code' || !['snsapi_base', 'snsapi_privateinfo'].includes(query.scope)) return refuse('response_type/scope');
      if (query.agentid !== undefined && !knownAgent) return refuse('agentid');
    } else if (query.login_type !== 'CorpApp' || !knownAgent) {
      return refuse('login_type/agentid');
    }
    if (query.state !== undefined && !/^[A-Za-z0-9]{0,128}$/.test(query.state)) return refuse('state');
    let target: URL;
    try {
      target = new URL(query.redirect_uri ?? '');
    } catch {
      return refuse('redirect_uri参数错误');
    }
    if (this.trustedHost && target.host !== this.trustedHost) return refuse('redirect_uri参数错误');
    if (this.signedInAs !== undefined) {
      visit.code = this.issueSignInCode(this.signedInAs);
      target.searchParams.set('code', visit.code);
    }
    target.searchParams.set('state', query.state ?? '');
    visit.status = 302;
    res.redirect(302, target.toString());
  }

  private getUserInfo(query: Record<string, string>): Record<string, unknown> {
    const entry = this.signInCodes.get(query.code ?? '');
    if (!entry || entry.used || entry.expiresAt <= Date.now()) return { errcode: 40029, errmsg: ERRMSG[40029] };
    entry.used = true;
    return typeof entry.who === 'string' ? { userid: entry.who } : { ...entry.who };
  }

  private async handle(req: Request, res: Response): Promise<void> {
    if (req.method === 'GET' && req.path === '/connect/oauth2/authorize') return this.signInPage(req, res, 'oauth2/authorize');
    if (req.method === 'GET' && req.path === '/wwlogin/sso/login') return this.signInPage(req, res, 'sso/login');
    const api = req.path.replace(/^\/cgi-bin\//, '');
    const query = Object.fromEntries(Object.entries(req.query).map(([k, v]) => [k, String(v)]));
    const isUpload = api === 'media/upload';
    const body = isUpload ? undefined : (req.body && typeof req.body === 'object' && !Buffer.isBuffer(req.body) ? req.body : undefined);
    const call: RecordedCall = { api, method: req.method, query, body, errcode: 0, token: query.access_token, at: Date.now() };
    this.calls.push(call);
    const answer = (json: Record<string, unknown>): void => {
      call.errcode = Number(json.errcode ?? 0);
      res.json({ errcode: 0, errmsg: 'ok', ...json });
    };
    const error = (errcode: number, errmsg?: string): void => answer({ errcode, errmsg: errmsg ?? ERRMSG[errcode] ?? 'error' });

    const dropped = (): void => {
      call.errcode = 599;
      req.socket.destroy();
    };
    if (api === 'gettoken') {
      const fail = this.failures.get(api)?.shift();
      if (fail?.errcode) return error(fail.errcode, fail.errmsg);
      const gated = await this.gate(api, call, body);
      if (gated === 'drop') return dropped();
      if (gated) return error(gated);
      if (query.corpid !== this.corpId) return error(40013);
      const app = this.apps.find((a) => a.secret === query.corpsecret);
      if (!app) return error(40001);
      const token = `fake_token_${crypto.randomBytes(16).toString('hex')}`;
      this.tokens.set(token, { app, expiresAt: Date.now() + this.tokenTtlSeconds * 1000, revoked: false });
      return answer({ access_token: token, expires_in: this.tokenTtlSeconds });
    }

    if (!query.access_token) return error(41001);
    const tok = this.tokens.get(query.access_token);
    if (!tok) return error(40014);
    if (tok.revoked || tok.expiresAt <= Date.now()) return error(42001);
    const fail = this.failures.get(api)?.shift();
    if (fail?.errcode) return error(fail.errcode, fail.errmsg);
    const gated = await this.gate(api, call, body, tok.app);
    if (gated === 'drop') return dropped();
    if (gated) return error(gated);

    if (isUpload) {
      const file = parseMultipart(req);
      if (!file || file.data.length <= 5) return error(40006, 'invalid file size');
      if (query.type === 'voice' && (file.data.length > 2 * 1024 * 1024 || !file.data.subarray(0, 6).equals(Buffer.from('#!AMR\n')))) return error(301017, 'voice must be AMR, at most 2 MB');
      call.body = { filename: file.filename, size: file.data.length };
      const id = this.addMedia(file.data, { type: query.type, contentType: file.contentType, filename: file.filename });
      return answer({ type: query.type, media_id: id, created_at: String(Math.floor(Date.now() / 1000)) });
    }
    if (api === 'media/get') {
      const m = this.media.get(query.media_id ?? '');
      if (!m) return error(40007);
      res.status(200).set({ 'Content-Type': m.contentType, 'Content-disposition': `attachment; filename="${m.filename}"` }).send(m.data);
      return;
    }
    if (api === 'message/send') return answer(this.messageSend(tok.app, body ?? {}));
    if (api === 'auth/getuserinfo' && req.method === 'GET') return answer(this.getUserInfo(query));
    const handler = this.routes.get(api);
    if (handler) return answer(await handler({ api, method: req.method, query, body, app: tok.app }));
    call.errcode = 404;
    res.status(404).json({ errcode: 404, errmsg: `fake WeCom has no ${api}` });
  }

  private messageSend(app: FakeApp, body: Record<string, any>): Record<string, unknown> {
    const fail = (errcode: number) => ({ errcode, errmsg: ERRMSG[errcode] ?? 'error' });
    if (app.agentId !== undefined && Number(body.agentid) !== app.agentId) return fail(301002);
    if (body.msgtype === 'text') {
      const content = String(body.text?.content ?? '');
      if (!content) return fail(44004);
      if (Buffer.byteLength(content) > 2048) return fail(45002);
    } else if (body.msgtype === 'voice') {
      if (!this.media.has(String(body.voice?.media_id ?? ''))) return fail(40007);
    }
    const to = String(body.touser ?? '').split('|').filter(Boolean);
    const invalid = this.users ? to.filter((u) => !this.users!.has(u)) : [];
    if (!to.length || invalid.length === to.length) return fail(81013);
    return { invaliduser: invalid.join('|'), msgid: `fake_msg_${++this.msgSeq}` };
  }
}

/** The one `media` part of a multipart/form-data body. */
export function parseMultipart(req: Request): { data: Buffer; filename: string; contentType: string } | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(req.headers['content-type'] ?? '');
  if (!boundary || !Buffer.isBuffer(req.body)) return undefined;
  const delim = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const buf = req.body as Buffer;
  let pos = buf.indexOf(delim);
  while (pos >= 0) {
    const next = buf.indexOf(delim, pos + delim.length);
    if (next < 0) break;
    const part = buf.subarray(pos + delim.length + 2, next - 2); // skip CRLF after the delimiter and before the next
    const headerEnd = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    if (/name="media"/.test(headers)) {
      return {
        data: Buffer.from(part.subarray(headerEnd + 4)),
        filename: /filename="([^"]*)"/.exec(headers)?.[1] ?? 'media',
        contentType: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1] ?? 'application/octet-stream',
      };
    }
    pos = next;
  }
  return undefined;
}

// ---- Playing WeCom towards our callback URLs ----

export interface AppMessageFields {
  corpId: string;
  from: string;
  agentId: number;
  /** Seconds; default now. */
  createTime?: number;
  msgId?: string;
}

function common(f: AppMessageFields, type: string): Record<string, string | number> {
  return { ToUserName: f.corpId, FromUserName: f.from, CreateTime: f.createTime ?? Math.floor(Date.now() / 1000), MsgType: type };
}

/** A 64-bit-looking MsgId, as WeCom sends (beyond JS's safe integers on purpose). */
export function newMsgId(): string {
  return `${7000000000000000000n + BigInt(crypto.randomInt(1, 2 ** 47))}`;
}

/** Decrypted XML of a member's text message to the app (D90239). */
export function appTextXml(f: AppMessageFields & { content: string }): string {
  return buildXml({ ...common(f, 'text'), Content: f.content, MsgId: f.msgId ?? newMsgId(), AgentID: f.agentId });
}

/** Decrypted XML of a member's voice message (MediaId + Format amr). */
export function appVoiceXml(f: AppMessageFields & { mediaId: string; format?: string }): string {
  return buildXml({ ...common(f, 'voice'), MediaId: f.mediaId, Format: f.format ?? 'amr', MsgId: f.msgId ?? newMsgId(), AgentID: f.agentId });
}

/** Decrypted XML of an event (no MsgId: de-duplicated on FromUserName+CreateTime). */
export function appEventXml(f: AppMessageFields & { event: string; eventKey?: string }): string {
  return buildXml({ ...common(f, 'event'), Event: f.event, EventKey: f.eventKey ?? '', AgentID: f.agentId });
}

function withQuery(path: string, query: Record<string, string>): string {
  return `${path}?${new URLSearchParams(query).toString()}`;
}

/** What WeCom POSTs to `path` for this decrypted XML: `{ url, body }` (send body as text/xml). */
export function signedCallback(path: string, keys: CallbackKeys, plaintextXml: string, opts: { timestamp?: number; nonce?: string; agentId?: number } = {}): { url: string; body: string; query: Record<string, string> } {
  const env = sealCallback(keys, plaintextXml, opts);
  return { url: withQuery(path, env.query), body: env.body, query: env.query };
}

/** The GET WeCom sends when the admin saves the callback URL; the right answer is `echo`. */
export function verificationUrl(path: string, keys: CallbackKeys, echo: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const echostr = encrypt(keys, echo);
  const ts = String(timestamp);
  const nonce = String(crypto.randomInt(1e9, 1e10));
  return withQuery(path, { msg_signature: signature(keys.token, ts, nonce, echostr), timestamp: ts, nonce, echostr });
}

/** A random valid EncodingAESKey (43 letters and digits). */
export function randomAesKey(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(crypto.randomBytes(43), (b) => alphabet[b % alphabet.length]).join('');
}
