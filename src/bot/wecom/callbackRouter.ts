/**
 * An Express Router for one encrypted-XML WeCom callback URL (self-built app, 微信客服, 学校通知 events):
 *
 * - GET (URL verification when the admin saves the URL): check the signature over the echostr, decrypt it and
 *   answer the plaintext as is (no quotes, no newline), synchronously, well within WeCom's 1 s.
 * - POST: check the query (msg_signature, timestamp, nonce), parse the outer XML, check the signature, refuse a
 *   timestamp outside ±replayWindowMs of the clock (a replayed old callback), decrypt, check the ReceiveId,
 *   parse the inner XML, then answer 200 with an empty body AT ONCE and only then run `onMessage`: WeCom drops
 *   the connection after 5 s and re-sends, so nothing slow happens before the answer.
 * - Anything wrong answers 400 (malformed) or 403 (signature, ReceiveId, stale timestamp) and runs nothing; a body
 *   over the limit answers 413 without being read (see `callbackBody`).
 * - A repeat (WeCom's own retries) is dropped here on `dedupeKey` (MsgId; events on FromUserName+CreateTime)
 *   for the last few thousand callbacks; adapters should also use that key as the InboundMessage's
 *   platformId, so that the Bot's durable de-duplication catches repeats across restarts and instances.
 *
 * Mount it with `http.use('/wecom/app/callback', r.router)`. `idle()` resolves when every accepted callback
 * has been processed (tests, graceful stop).
 */
import { Request, RequestHandler, Response, Router } from 'express';
import { systemClock, type Clock } from '../../clock';
import type { Logger } from '../../log';
import { CallbackCryptoError, CallbackKeys, decrypt, field, parseXml, verifySignature, XmlFields } from './callbackCrypto';

export interface CallbackRouterOptions {
  /** For logs, e.g. `wecom-app`. */
  name: string;
  keys: CallbackKeys;
  /** Decrypted inner message; runs after the HTTP answer. Errors are logged, never answered. */
  onMessage: (fields: XmlFields) => Promise<void>;
  clock?: Clock;
  /** Default 5 minutes each way. */
  replayWindowMs?: number;
  log?: Logger;
  /** Largest accepted body in bytes. Default 256 kB (a callback is a few hundred bytes). */
  bodyLimit?: number;
  /** How many recent dedupe keys to remember. Default 5000. */
  rememberKeys?: number;
}

export interface CallbackRouter {
  router: Router;
  /** Resolves when all accepted callbacks have been processed. */
  idle(): Promise<void>;
}

/** MsgId for messages; FromUserName+CreateTime(+Event) for events, which have no MsgId (D90238). */
export function dedupeKey(fields: XmlFields): string {
  const msgId = field(fields, 'MsgId');
  if (msgId) return msgId;
  return `${field(fields, 'FromUserName')}:${field(fields, 'CreateTime')}:${field(fields, 'Event')}`;
}

/** A `+` in a base64 query value arrives as a space when the sender did not percent-encode it. */
export function queryValue(req: Request, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  return typeof v === 'string' && v.length > 0 && v.length <= 4096 ? v.replace(/ /g, '+') : undefined;
}

export function refuse(res: Response, status: 400 | 403, reason: string): void {
  res.status(status).type('text/plain').send(reason);
}

const DEFAULT_BODY_LIMIT = 256 * 1024;

/**
 * Reads a callback body as text, up to `limit` bytes. Larger: 413 at once — by Content-Length before reading a
 * byte, or as soon as a streamed body passes the limit — and the connection is closed instead of read to its end
 * (body-parser reads and discards the whole rest, which is what someone sending gigabytes wants). The socket is
 * dropped a moment after the answer, once the sender had time to read it (closing with unread data sends a reset,
 * which can make a client lose the answer).
 */
export function callbackBody(limit = DEFAULT_BODY_LIMIT): RequestHandler {
  return (req, res, next) => {
    const tooLarge = (): void => {
      req.pause();
      res.set('Connection', 'close');
      res.status(413).type('text/plain').send('body too large');
      res.once('finish', () => setTimeout(() => req.socket.destroy(), 200).unref());
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        return tooLarge();
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      req.body = Buffer.concat(chunks).toString('utf8');
      next();
    });
    req.on('error', () => {
      // The sender went away mid-body: nobody is left to answer.
      done = true;
    });
  };
}

/**
 * GET (URL verification when the admin saves the URL): check the signature over the echostr, decrypt it and answer
 * the plaintext exactly (WeCom compares it byte for byte), synchronously, within WeCom's 1 s. Shared by every
 * callback URL, XML or JSON alike.
 */
export function urlVerification(keys: CallbackKeys, name: string, log?: Logger): RequestHandler {
  return (req, res) => {
    const sig = queryValue(req, 'msg_signature');
    const timestamp = queryValue(req, 'timestamp');
    const nonce = queryValue(req, 'nonce');
    const echostr = queryValue(req, 'echostr');
    if (!sig || !timestamp || !nonce || !echostr) return refuse(res, 400, 'missing msg_signature, timestamp, nonce or echostr');
    if (!verifySignature(keys, sig, timestamp, nonce, echostr)) {
      log?.warn({ callback: name }, 'wecom URL verification with a bad signature: check the Token setting');
      return refuse(res, 403, 'bad signature');
    }
    try {
      const plain = decrypt(keys, echostr);
      log?.info({ callback: name }, 'wecom callback URL verified');
      res.status(200).type('text/plain').send(plain);
    } catch (err) {
      log?.warn({ callback: name, reason: (err as Error).message }, 'wecom URL verification failed: check the EncodingAESKey and CorpID settings');
      refuse(res, err instanceof CallbackCryptoError && err.reason === 'receiveId' ? 403 : 400, 'cannot decrypt echostr');
    }
  };
}

/**
 * What every callback does once the request is proven genuine: drop a repeat, answer 200 with an empty body AT ONCE
 * (WeCom re-sends after 5 s), then run the work; `idle()` waits for accepted work (tests, graceful stop).
 */
export class AnswerThenProcess {
  private readonly seen = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly name: string, private readonly remember: number, private readonly log?: Logger) {}

  accept(res: Response, key: string, work: () => Promise<void>): void {
    if (this.seen.has(key)) {
      this.log?.info({ callback: this.name, key }, 'repeated wecom callback dropped');
      res.status(200).type('text/plain').send('');
      return;
    }
    if (this.remember > 0) {
      this.seen.add(key);
      if (this.seen.size > this.remember) this.seen.delete(this.seen.values().next().value as string);
    }
    res.status(200).type('text/plain').send('');
    const task: Promise<void> = Promise.resolve()
      .then(work)
      .catch((err) => this.log?.error({ err, callback: this.name, key }, 'wecom callback processing failed'))
      .finally(() => this.inflight.delete(task));
    this.inflight.add(task);
  }

  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }
}

export function createCallbackRouter(opts: CallbackRouterOptions): CallbackRouter {
  const clock = opts.clock ?? systemClock;
  const windowMs = opts.replayWindowMs ?? 5 * 60_000;
  const log = opts.log;
  const queue = new AnswerThenProcess(opts.name, opts.rememberKeys ?? 5000, log);
  const router = Router();

  router.get('/', urlVerification(opts.keys, opts.name, log));

  router.post('/', callbackBody(opts.bodyLimit), (req, res) => {
    const sig = queryValue(req, 'msg_signature');
    const timestamp = queryValue(req, 'timestamp');
    const nonce = queryValue(req, 'nonce');
    if (!sig || !timestamp || !nonce || !/^\d{1,12}$/.test(timestamp)) return refuse(res, 400, 'missing or malformed msg_signature, timestamp or nonce');
    if (typeof req.body !== 'string' || !req.body) return refuse(res, 400, 'empty body');
    let inner: XmlFields;
    try {
      const encrypted = field(parseXml(req.body), 'Encrypt');
      if (!encrypted) return refuse(res, 400, 'no Encrypt element');
      if (!verifySignature(opts.keys, sig, timestamp, nonce, encrypted)) {
        log?.warn({ callback: opts.name }, 'wecom callback with a bad signature refused');
        return refuse(res, 403, 'bad signature');
      }
      // The signature covers the timestamp, so a replay must carry the original one: refuse it once old.
      if (Math.abs(clock.now().getTime() - Number(timestamp) * 1000) > windowMs) {
        log?.warn({ callback: opts.name, timestamp }, 'wecom callback outside the replay window refused (or this server\'s clock is wrong)');
        return refuse(res, 403, 'stale timestamp');
      }
      inner = parseXml(decrypt(opts.keys, encrypted));
    } catch (err) {
      const reason = err instanceof CallbackCryptoError ? err.reason : 'xml';
      log?.warn({ callback: opts.name, reason }, 'wecom callback refused');
      return refuse(res, reason === 'receiveId' ? 403 : 400, `refused: ${reason}`);
    }

    // Answer first (empty body = no passive reply), process after.
    queue.accept(res, dedupeKey(inner), () => opts.onMessage(inner));
  });

  return { router, idle: () => queue.idle() };
}
