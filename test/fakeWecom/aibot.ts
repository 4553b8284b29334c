/**
 * FakeAibot: the WeCom endpoints of the 智能机器人 that take no access token, on 127.0.0.1 (random port), plus
 * helpers that play WeCom towards OUR aibot callback URL (JSON, real signatures and AES with ReceiveId "").
 * The token-checked APIs stay in ./server.ts (FakeWeCom); these live apart because they carry no access_token.
 *
 *   const bot = await FakeAibot.start();
 *   bot.webhookUrl('KEY')          a 群机器人 webhook (`/cgi-bin/webhook/send?key=KEY`), known to the fake
 *   bot.responseUrl()              a fresh single-use response_url (`/cgi-bin/aibot/response?response_code=…`)
 *
 * What it answers (shapes from D101138 主动回复消息 and D91770 群机器人配置说明, see ../../../shared/wecom-api.md §6):
 *   aibot/response   POST {msgtype: markdown, markdown: {content}} (or template_card) once per response_code, within
 *                    1 hour; a second use or an unknown code → errcode 60300 (the fake's own number: the real one is
 *                    not documented); empty content → 44004; content over 20480 bytes → 45002.
 *   webhook/send     POST {msgtype: text, text: {content ≤ 2048 bytes, mentioned_list?, mentioned_mobile_list?}},
 *                    {msgtype: markdown, markdown: {content ≤ 4096 bytes}} or {msgtype: voice, voice: {media_id}} (a media_id
 *                    uploaded with this key, else 40007); unknown key → 93000; more than 20 a minute per key
 *                    (`webhookPerMinute`) → 45009.
 *   webhook/upload_media   POST ?key=KEY&type=voice|file, multipart field `media` → {type, media_id, created_at}; a voice
 *                    must be AMR ("#!AMR" header; else 301017) of at most 2 MB. Kept in `bot.media` with its key.
 *   bot.calls        every request { api, query, body, errcode, at }; bot.sent(): the accepted ones (errcode 0).
 *   bot.failNext(api, errcode, times = 1)   the next calls to `api` ('aibot/response' | 'webhook/send') fail so.
 *
 * Playing WeCom: aibotText({...}) builds the decrypted JSON of a message (D100719), signedAibotCallback(path, keys,
 * json) gives the URL (msg_signature, timestamp, nonce) and the body `{"encrypt": …}` to POST.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { Request, Response } from 'express';
import { CallbackKeys, encrypt, signature } from '../../src/bot/wecom/callbackCrypto';
import { parseMultipart } from './server';

export interface AibotCall {
  api: 'aibot/response' | 'webhook/send' | string;
  query: Record<string, string>;
  body: any;
  errcode: number;
  at: number;
}

const ERRMSG: Record<number, string> = {
  40007: 'invalid media_id', 44004: 'empty content', 45002: 'content size out of limit', 45009: 'api freq out of limit',
  60300: 'response_code used or expired (fake)', 93000: 'invalid webhook url',
};

export class FakeAibot {
  readonly calls: AibotCall[] = [];
  /** Files uploaded with webhook/upload_media, by media_id. */
  readonly media = new Map<string, { key: string; type: string; data: Buffer; filename: string }>();
  /** webhook/send per key and (real) minute before 45009; the scenario runs over WeCom lift it (they play days in seconds). */
  webhookPerMinute = 20;
  url = '';
  private server?: http.Server;
  private readonly codes = new Map<string, { issuedAt: number; used: boolean }>();
  private readonly keys = new Set<string>();
  private readonly failures = new Map<string, number[]>();

  static async start(): Promise<FakeAibot> {
    const fake = new FakeAibot();
    const app = express();
    app.use(express.json({ limit: '1mb' }));
    app.use(express.raw({ type: 'multipart/form-data', limit: '25mb' }));
    app.post('/cgi-bin/webhook/upload_media', (req, res) => fake.upload(req, res));
    app.post('/cgi-bin/aibot/response', (req, res) => fake.answer(req, res, 'aibot/response', () => fake.response(req)));
    app.post('/cgi-bin/webhook/send', (req, res) => fake.answer(req, res, 'webhook/send', () => fake.webhook(req)));
    app.use((_req, res) => { res.status(404).json({ errcode: 404, errmsg: 'fake aibot: no such api' }); });
    await new Promise<void>((resolve) => { fake.server = app.listen(0, '127.0.0.1', () => resolve()); });
    fake.url = `http://127.0.0.1:${(fake.server!.address() as AddressInfo).port}`;
    return fake;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  webhookUrl(key: string): string {
    this.keys.add(key);
    return `${this.url}/cgi-bin/webhook/send?key=${key}`;
  }

  responseUrl(): string {
    const code = crypto.randomBytes(12).toString('hex');
    this.codes.set(code, { issuedAt: Date.now(), used: false });
    return `${this.url}/cgi-bin/aibot/response?response_code=${code}`;
  }

  failNext(api: string, errcode: number, times = 1): void {
    const list = this.failures.get(api) ?? [];
    for (let i = 0; i < times; i++) list.push(errcode);
    this.failures.set(api, list);
  }

  sent(api?: string): AibotCall[] {
    return this.calls.filter((c) => c.errcode === 0 && (!api || c.api === api));
  }

  /** Every accepted message's words (response_url markdown and webhook text/markdown). */
  texts(): string[] {
    return this.sent().map((c) => String(c.body?.markdown?.content ?? c.body?.text?.content ?? ''));
  }

  private answer(req: Request, res: Response, api: string, handle: () => number): void {
    const query = Object.fromEntries(Object.entries(req.query).map(([k, v]) => [k, String(v)]));
    const call: AibotCall = { api, query, body: req.body, errcode: 0, at: Date.now() };
    this.calls.push(call);
    const failed = this.failures.get(api)?.shift();
    call.errcode = failed ?? handle();
    res.json({ errcode: call.errcode, errmsg: call.errcode ? ERRMSG[call.errcode] ?? 'error' : 'ok' });
  }

  private upload(req: Request, res: Response): void {
    const query = Object.fromEntries(Object.entries(req.query).map(([k, v]) => [k, String(v)]));
    const call: AibotCall = { api: 'webhook/upload_media', query, body: undefined, errcode: 0, at: Date.now() };
    this.calls.push(call);
    const fail = (errcode: number, errmsg: string) => {
      call.errcode = errcode;
      res.json({ errcode, errmsg });
    };
    const failed = this.failures.get('webhook/upload_media')?.shift();
    if (failed) return fail(failed, ERRMSG[failed] ?? 'error');
    if (!this.keys.has(query.key ?? '')) return fail(93000, ERRMSG[93000]);
    if (query.type !== 'voice' && query.type !== 'file') return fail(40004, 'invalid media type');
    const file = parseMultipart(req);
    if (!file || file.data.length <= 5) return fail(40006, 'invalid file size');
    if (query.type === 'voice' && (file.data.length > 2 * 1024 * 1024 || !file.data.subarray(0, 5).equals(Buffer.from('#!AMR')))) return fail(301017, 'voice must be AMR, at most 2 MB');
    call.body = { filename: file.filename, size: file.data.length };
    const id = `hookmedia_${crypto.randomBytes(12).toString('hex')}`;
    this.media.set(id, { key: query.key, type: query.type, data: file.data, filename: file.filename });
    res.json({ errcode: 0, errmsg: 'ok', type: query.type, media_id: id, created_at: String(Math.floor(Date.now() / 1000)) });
  }

  private response(req: Request): number {
    const entry = this.codes.get(String(req.query.response_code ?? ''));
    if (!entry || entry.used || Date.now() - entry.issuedAt > 3600_000) return 60300;
    const content = contentOf(req.body);
    if (content === undefined || !content) return 44004;
    if (Buffer.byteLength(content) > 20480) return 45002;
    entry.used = true;
    return 0;
  }

  private webhook(req: Request): number {
    const key = String(req.query.key ?? '');
    if (!this.keys.has(key)) return 93000;
    const body = req.body ?? {};
    if (body.msgtype === 'voice') {
      const m = this.media.get(String(body.voice?.media_id ?? ''));
      return m && m.key === key && m.type === 'voice' ? this.paced(key) : 40007;
    }
    const content = contentOf(body);
    if (!content) return 44004;
    const max = body.msgtype === 'markdown' ? 4096 : 2048;
    if (Buffer.byteLength(content) > max) return 45002;
    if (body.text?.mentioned_list !== undefined && !(Array.isArray(body.text.mentioned_list) && body.text.mentioned_list.every((u: unknown) => typeof u === 'string'))) return 40058;
    return this.paced(key);
  }

  private paced(key: string): number {
    const recent = this.calls.filter((c) => c.api === 'webhook/send' && c.errcode === 0 && c.query.key === key && c.at > Date.now() - 60_000);
    return recent.length >= this.webhookPerMinute ? 45009 : 0;
  }
}

function contentOf(body: any): string | undefined {
  if (body?.msgtype === 'markdown') return typeof body.markdown?.content === 'string' ? body.markdown.content : undefined;
  if (body?.msgtype === 'text') return typeof body.text?.content === 'string' ? body.text.content : undefined;
  if (body?.msgtype === 'template_card') return body.template_card ? JSON.stringify(body.template_card) : undefined;
  return undefined;
}

// ---- Playing WeCom towards our aibot callback URL ----

export interface AibotTextFields {
  from: string;
  /** A group chat id; unset = a 1:1 chat. */
  chatid?: string;
  content: string;
  msgid?: string;
  responseUrl?: string;
  quote?: { msgtype: 'text'; text: { content: string } } | { msgtype: 'mixed'; mixed: { msg_item: Array<{ msgtype: string; text?: { content: string } }> } };
  aibotid?: string;
}

/** A msgid in the documented style ("CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI="). */
export function newAibotMsgId(): string {
  return crypto.randomBytes(22).toString('base64');
}

/** The decrypted JSON of a text message to the bot (D100719 文本消息). In a group the text starts with "@Bot". */
export function aibotText(f: AibotTextFields): Record<string, unknown> {
  return {
    msgid: f.msgid ?? newAibotMsgId(),
    aibotid: f.aibotid ?? 'AIBOTID',
    ...(f.chatid ? { chatid: f.chatid } : {}),
    chattype: f.chatid ? 'group' : 'single',
    from: { userid: f.from },
    create_time: Math.floor(Date.now() / 1000),
    ...(f.responseUrl ? { response_url: f.responseUrl } : {}),
    msgtype: 'text',
    text: { content: f.content },
    ...(f.quote ? { quote: f.quote } : {}),
  };
}

/** What WeCom POSTs to `path` for this message: URL with msg_signature, timestamp, nonce; body `{"encrypt": …}`. */
export function signedAibotCallback(path: string, keys: CallbackKeys, message: unknown, opts: { timestamp?: number; nonce?: string } = {}): { url: string; body: string } {
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = opts.nonce ?? String(crypto.randomInt(1e9, 1e10));
  const enc = encrypt(keys, typeof message === 'string' ? message : JSON.stringify(message));
  const query = new URLSearchParams({ msg_signature: signature(keys.token, timestamp, nonce, enc), timestamp, nonce });
  return { url: `${path}?${query.toString()}`, body: JSON.stringify({ encrypt: enc }) };
}
