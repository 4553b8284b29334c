/**
 * WeComClient: the one way our adapters talk to the WeCom server API (https://qyapi.weixin.qq.com, or
 * WECOM_API_BASE so that a fake server can stand in). One client per app (corp + secret).
 *
 * - Access tokens are cached per app in a TokenCache (shared by default across clients of the same app),
 *   with one refresh in flight at a time, refreshed 5 min before expiry, and dropped and retried once when
 *   WeCom answers 40001/40014/41001/42001 (WeCom may invalidate a token early).
 * - -1, 45009 and 45033 are retried in process with exponential backoff (maxTries in all); when the tries are
 *   exhausted a WeComRetryableError (= RetryableSendError) carries a retry-after for the outbox.
 * - Network errors, timeouts and HTTP 5xx are not retried in process: a message/send that timed out may have
 *   been delivered, so the outbox decides (at-least-once), with its own backoff.
 * - message/send is paced per recipient (30/min and 1000/h per member per app): WeCom silently DROPS the excess,
 *   so the client refuses to send past it and throws a WeComRetryableError with the wait instead.
 * - Every other error code throws a WeComPermanentError whose message tells an operator what to fix (errors.ts).
 *
 * Other adapters (kf, 学校通知, school contacts) call `client.post('/cgi-bin/kf/sync_msg', body)` or
 * `client.get('/cgi-bin/school/user/get', { userid })` and get the same token, retry and error handling. URLs that
 * carry their own key instead of a token (the AI bot's response_url, a group robot's webhook) go through
 * `postToKeyedUrl`, over the same HTTP exchange.
 */
import crypto from 'node:crypto';
import type { Logger } from '../../log';
import { classify, errorFor, operatorMessage, WeComPermanentError, WeComRetryableError } from './errors';

export const DEFAULT_API_BASE = 'https://qyapi.weixin.qq.com';

/** Fields every WeCom JSON answer has. */
export interface WeComResult {
  errcode: number;
  errmsg: string;
}

export interface SendMessageResult extends WeComResult {
  msgid?: string;
  invaliduser?: string;
  invalidparty?: string;
  invalidtag?: string;
  unlicenseduser?: string;
  response_code?: string;
}

export interface MediaFile {
  data: Buffer;
  contentType: string;
  filename?: string;
}

export type MediaType = 'image' | 'voice' | 'video' | 'file';

export interface PacingLimit {
  max: number;
  windowMs: number;
}

/** D90236: per app, to one member, at most 30 a minute and 1000 an hour. */
const APP_MESSAGE_LIMITS: PacingLimit[] = [
  { max: 30, windowMs: 60_000 },
  { max: 1000, windowMs: 3_600_000 },
];

export interface WeComClientOptions {
  corpId: string;
  secret: string;
  /** The app's AgentId: filled in as `agentid` of message/send. */
  agentId?: number;
  /** Default https://qyapi.weixin.qq.com (WECOM_API_BASE). */
  apiBase?: string;
  /** Per HTTP request. Default 10 s. */
  timeoutMs?: number;
  /** Attempts for -1/45009/45033 before the error goes to the caller. Default 3. */
  maxTries?: number;
  /** First backoff wait; doubles each try. Default 500 ms. */
  backoffMs?: number;
  /** Refresh a token this long before WeCom says it expires. Default 5 min. */
  refreshEarlyMs?: number;
  /** Per-recipient limits for message/send; `false` turns pacing off. Default APP_MESSAGE_LIMITS. */
  pacing?: PacingLimit[] | false;
  /** Share one cache between clients of the same app (default: the process-wide cache). */
  tokens?: TokenCache;
  /** Share one pacer between clients of the same app. */
  pacer?: Pacer;
  /** Real time in ms (token expiry and pacing are about the real WeCom server, not the simulated clock). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  log?: Logger;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Access tokens per app, with at most one fetch in flight per app. */
export class TokenCache {
  private readonly entries = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<string>>();

  async get(key: string, now: number, fetch: () => Promise<CachedToken>): Promise<string> {
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return hit.token;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = fetch().then((t) => {
        this.entries.set(key, t);
        return t.token;
      }).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /** Drops `token` if it is still the cached one, so that concurrent failures trigger a single refetch. */
  invalidate(key: string, token: string): void {
    if (this.entries.get(key)?.token === token) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

const sharedTokenCache = new TokenCache();

/** Sliding-window limits per key (in memory: one process sends for one app). */
export class Pacer {
  private readonly sent = new Map<string, number[]>();
  private takes = 0;
  private readonly longest: number;

  constructor(private readonly limits: PacingLimit[]) {
    this.longest = Math.max(0, ...limits.map((l) => l.windowMs));
  }

  /** Records one send for every key and returns 0, or returns how many ms to wait (recording nothing). */
  take(keys: string[], now: number): number {
    if (++this.takes % 500 === 0) this.sweep(now);
    let wait = 0;
    for (const key of keys) {
      const times = this.prune(key, now);
      for (const { max, windowMs } of this.limits) {
        const inWindow = times.filter((t) => t > now - windowMs);
        if (inWindow.length >= max) wait = Math.max(wait, inWindow[inWindow.length - max] + windowMs - now);
      }
    }
    if (wait > 0) return wait;
    for (const key of keys) {
      const times = this.sent.get(key) ?? [];
      times.push(now);
      this.sent.set(key, times);
    }
    return 0;
  }

  private prune(key: string, now: number): number[] {
    const times = (this.sent.get(key) ?? []).filter((t) => t > now - this.longest);
    if (times.length) this.sent.set(key, times);
    else this.sent.delete(key);
    return times;
  }

  private sweep(now: number): void {
    for (const key of [...this.sent.keys()]) this.prune(key, now);
  }
}

interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  form?: () => FormData;
  /** Binary answer expected (media/get); a JSON answer is then an error. */
  binary?: boolean;
}

export class WeComClient {
  readonly apiBase: string;
  readonly corpId: string;
  readonly agentId?: number;
  private readonly tokenKey: string;
  private readonly tokens: TokenCache;
  private readonly pacer?: Pacer;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: WeComClientOptions) {
    this.apiBase = (opts.apiBase ?? DEFAULT_API_BASE).replace(/\/+$/, '');
    this.corpId = opts.corpId;
    this.agentId = opts.agentId;
    // The secret itself never sits in a map key that could end up in a dump.
    const secretHash = crypto.createHash('sha256').update(opts.secret).digest('hex').slice(0, 16);
    this.tokenKey = `${this.apiBase}|${opts.corpId}|${secretHash}`;
    this.tokens = opts.tokens ?? sharedTokenCache;
    this.pacer = opts.pacer ?? (opts.pacing === false ? undefined : new Pacer(opts.pacing ?? APP_MESSAGE_LIMITS));
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** A valid access token for this app (cached; one fetch at a time). */
  async accessToken(): Promise<string> {
    return this.tokens.get(this.tokenKey, this.now(), () => this.fetchToken());
  }

  async get<T extends object = Record<string, unknown>>(path: string, query?: RequestSpec['query']): Promise<T & WeComResult> {
    return (await this.request({ method: 'GET', path, query })) as T & WeComResult;
  }

  async post<T extends object = Record<string, unknown>>(path: string, body: unknown, query?: RequestSpec['query']): Promise<T & WeComResult> {
    return (await this.request({ method: 'POST', path, query, json: body })) as T & WeComResult;
  }

  /**
   * POST /cgi-bin/message/send with this app's agentid, paced per recipient in `touser` ("a|b").
   * A WeComPermanentError(81013) when WeCom lists every recipient as invalid.
   */
  async sendMessage(body: { touser: string; msgtype: string; [field: string]: unknown }): Promise<SendMessageResult> {
    const api = 'message/send';
    const users = body.touser.split('|').filter(Boolean);
    if (this.pacer) {
      const wait = this.pacer.take(users.map((u) => `${this.corpId}:${this.agentId ?? ''}:${u}`), this.now());
      if (wait > 0) {
        throw new WeComRetryableError(api, undefined, `wecom ${api}: pacing, at most 30 messages a minute (1000 an hour) to one member; waiting ${Math.ceil(wait / 1000)} s`, wait + 250);
      }
    }
    const res = await this.post<SendMessageResult>('/cgi-bin/message/send', { agentid: this.agentId, ...body });
    const invalid = (res.invaliduser ?? '').split('|').filter(Boolean);
    if (users.length && users.every((u) => invalid.includes(u))) {
      const message = operatorMessage(api, 81013, `invaliduser ${res.invaliduser}`);
      this.opts.log?.warn({ api, errcode: 81013 }, message);
      throw new WeComPermanentError(api, 81013, message);
    }
    return res;
  }

  async sendText(touser: string, content: string): Promise<SendMessageResult> {
    return this.sendMessage({ touser, msgtype: 'text', text: { content } });
  }

  async sendVoice(touser: string, mediaId: string): Promise<SendMessageResult> {
    return this.sendMessage({ touser, msgtype: 'voice', voice: { media_id: mediaId } });
  }

  /** POST /cgi-bin/media/upload (multipart field `media`); the media_id lasts 3 days. */
  async uploadMedia(type: MediaType, data: Uint8Array, filename: string, contentType = 'application/octet-stream'): Promise<{ type: string; media_id: string; created_at: string }> {
    const res = await this.request({
      method: 'POST', path: '/cgi-bin/media/upload', query: { type },
      form: () => {
        const form = new FormData();
        form.append('media', new Blob([data], { type: contentType }), filename);
        return form;
      },
    });
    return res as unknown as { type: string; media_id: string; created_at: string };
  }

  /** GET /cgi-bin/media/get: the file (e.g. a voice message's AMR), or a WeCom error. */
  async getMedia(mediaId: string): Promise<MediaFile> {
    return (await this.request({ method: 'GET', path: '/cgi-bin/media/get', query: { media_id: mediaId }, binary: true })) as unknown as MediaFile;
  }

  private apiName(path: string): string {
    return path.replace(/^\/cgi-bin\//, '');
  }

  /** Runs one API call with token handling and in-process retries; see the header comment. */
  private async request(spec: RequestSpec): Promise<Record<string, unknown>> {
    const api = this.apiName(spec.path);
    const maxTries = this.opts.maxTries ?? 3;
    let tokenRetried = false;
    for (let attempt = 1; ; attempt++) {
      const token = await this.accessToken();
      const answer = await this.fetchOnce(spec, token);
      if (!('errcode' in answer) || !answer.errcode) return answer.body;
      const { errcode, errmsg } = answer;
      const kind = classify(errcode);
      if (kind === 'token' && !tokenRetried) {
        tokenRetried = true;
        this.tokens.invalidate(this.tokenKey, token);
        this.opts.log?.info({ api, errcode }, 'wecom access token rejected: refetching once');
        attempt--; // a token refresh is not a throttling try
        continue;
      }
      if (kind === 'retry' && attempt < maxTries) {
        const wait = (this.opts.backoffMs ?? 500) * 2 ** (attempt - 1);
        this.opts.log?.info({ api, errcode, attempt, wait }, 'wecom busy or throttled: backing off');
        await this.sleep(wait);
        continue;
      }
      const err = errorFor(api, errcode, errmsg);
      this.opts.log?.warn({ api, errcode, permanent: err instanceof WeComPermanentError }, err.message);
      throw err;
    }
  }

  private async fetchToken(): Promise<CachedToken> {
    const api = 'gettoken';
    const answer = await this.fetchOnce({ method: 'GET', path: '/cgi-bin/gettoken', query: { corpid: this.corpId, corpsecret: this.opts.secret } });
    if ('errcode' in answer && answer.errcode) {
      const { errcode, errmsg } = answer;
      // From gettoken, 40001/40013/40091 mean the configured corp id or secret is wrong: no retry can help.
      if (classify(errcode) === 'token' || [40013, 40091].includes(errcode)) {
        const message = operatorMessage(api, errcode, errmsg);
        this.opts.log?.error({ api, errcode }, message);
        throw new WeComPermanentError(api, errcode, message);
      }
      throw errorFor(api, errcode, errmsg);
    }
    const body = answer.body as { access_token?: string; expires_in?: number };
    if (!body.access_token) throw new WeComRetryableError(api, undefined, 'wecom gettoken: answer without access_token');
    const ttlMs = (body.expires_in ?? 7200) * 1000;
    const early = Math.min(this.opts.refreshEarlyMs ?? 5 * 60_000, ttlMs / 2);
    return { token: body.access_token, expiresAt: this.now() + ttlMs - early };
  }

  /** One HTTP exchange. Network trouble and 5xx become WeComRetryableError; WeCom errors are returned. */
  private async fetchOnce(spec: RequestSpec, token?: string): Promise<{ body: Record<string, unknown> } | { errcode: number; errmsg: string; body: Record<string, unknown> }> {
    const api = this.apiName(spec.path);
    const url = new URL(this.apiBase + spec.path);
    if (spec.path !== '/cgi-bin/gettoken' && token) url.searchParams.set('access_token', token);
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const { res, buf } = await exchange(url, {
      method: spec.method,
      ...(spec.json !== undefined ? jsonBody(spec.json) : { body: spec.form?.() }),
    }, api, this.opts.timeoutMs, `check that this server reaches ${this.apiBase}`);
    const type = res.headers.get('content-type') ?? '';
    const looksJson = /json/i.test(type) || (/text\/plain/i.test(type) && buf[0] === 0x7b);
    if (spec.binary && !looksJson && res.ok) {
      const disposition = res.headers.get('content-disposition') ?? '';
      const filename = /filename="?([^";]+)"?/i.exec(disposition)?.[1];
      return { body: { data: buf, contentType: type, ...(filename ? { filename } : {}) } };
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
    } catch {
      // A 4xx page that is not WeCom's JSON: most likely WECOM_API_BASE points somewhere else.
      if (res.status >= 400) throw new WeComPermanentError(api, undefined, `wecom ${api}: HTTP ${res.status} from ${this.apiBase}; check WECOM_API_BASE`);
      throw new WeComRetryableError(api, undefined, `wecom ${api}: HTTP ${res.status}, answer is not JSON`);
    }
    const errcode = Number(body.errcode ?? 0);
    if (errcode) return { errcode, errmsg: String(body.errmsg ?? ''), body };
    if (!res.ok) throw new WeComPermanentError(api, undefined, `wecom ${api}: HTTP ${res.status}`);
    return { body };
  }
}

function jsonBody(body: unknown): { headers: Record<string, string>; body: string } {
  return { headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) };
}

/**
 * One HTTP exchange with WeCom: network trouble, timeouts and HTTP 5xx become a WeComRetryableError (not retried
 * here: a send that timed out may have been delivered, so the outbox decides). `hint` ends the network error's
 * message; the URL itself never goes into an error (a webhook's holds its key).
 */
async function exchange(url: URL | string, init: { method: string; headers?: Record<string, string>; body?: string | FormData }, api: string,
  timeoutMs = 10_000, hint = 'retried later'): Promise<{ res: Response; buf: Buffer }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    // The cause's code (ECONNREFUSED…) or the error's name, not its message: a message may quote the URL, and with it
    // an access token or a webhook key.
    const e = err as Error & { cause?: { code?: unknown } };
    const reason = e.name === 'TimeoutError' ? 'timed out' : typeof e.cause?.code === 'string' ? e.cause.code : e.name;
    throw new WeComRetryableError(api, undefined, `wecom ${api}: network error (${reason}); ${hint}`);
  }
  if (res.status >= 500) throw new WeComRetryableError(api, undefined, `wecom ${api}: HTTP ${res.status}; retried later`);
  return { res, buf: Buffer.from(await res.arrayBuffer()) };
}

/**
 * POSTs to a WeCom URL that carries its own key instead of an access token (the AI bot's response_url, a group
 * robot's webhook): JSON, or a multipart form for an upload. Returns WeCom's answer with its errcode, for the caller
 * to judge; an answer that is not WeCom's JSON is a WeComPermanentError.
 */
export async function postToKeyedUrl(url: string, body: unknown, api: string, timeoutMs?: number): Promise<WeComResult & Record<string, unknown>> {
  const { res, buf } = await exchange(url, { method: 'POST', ...(body instanceof FormData ? { body } : jsonBody(body)) }, api, timeoutMs);
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
  } catch { /* judged below */ }
  if (!json || typeof json.errcode !== 'number') {
    throw new WeComPermanentError(api, undefined, `wecom ${api}: unexpected answer (HTTP ${res.status}); is the URL a WeCom one?`);
  }
  return { ...json, errcode: json.errcode, errmsg: typeof json.errmsg === 'string' ? json.errmsg : '' };
}
