/**
 * The 智能机器人's callback URL (API mode, URL回调). Same crypto as the app callbacks (callbackCrypto.ts; D101033
 * 回调和回复的加解密方案) with ReceiveId "" and JSON instead of XML:
 *
 * - GET (URL verification): msg_signature/timestamp/nonce/echostr; answer the decrypted echostr as is within 1 s.
 * - POST: query msg_signature/timestamp/nonce, body `{"encrypt":"…"}`; the decrypted text is the message JSON
 *   (aibotProtocol.ts). D101033 allows answering with an empty body ("可以选择直接回复空包") instead of an encrypted
 *   passive reply `{encrypt, msgsignature, timestamp, nonce}`; we always answer empty AT ONCE and process after, and
 *   reply through the message's response_url (aibotCallbackChannel.ts), because our handlers run after the answer.
 * - Refused and never processed: a bad signature, a ReceiveId other than "", a timestamp outside the replay window
 *   (403); a malformed query or body (400).
 * - A repeat (WeCom re-sends when it got no answer) is dropped on `msgid` ("本次回调的唯一性标志，用于事件排重");
 *   the Bot's durable de-duplication on the same id (InboundMessage.platformId) catches repeats across restarts.
 */
import { Router } from 'express';
import { systemClock, type Clock } from '../../clock';
import type { Logger } from '../../log';
import { CallbackCryptoError, CallbackKeys, decrypt, verifySignature } from './callbackCrypto';
import { AnswerThenProcess, callbackBody, queryValue, refuse, urlVerification } from './callbackRouter';
import { AibotMessage, isAibotMessage } from './aibotProtocol';

export interface AibotCallbackOptions {
  keys: CallbackKeys;
  onMessage: (body: AibotMessage) => Promise<void>;
  clock?: Clock;
  replayWindowMs?: number;
  log?: Logger;
  rememberKeys?: number;
}

export interface AibotCallbackRouter {
  router: Router;
  idle(): Promise<void>;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function createAibotCallback(opts: AibotCallbackOptions): AibotCallbackRouter {
  const clock = opts.clock ?? systemClock;
  const windowMs = opts.replayWindowMs ?? 5 * 60_000;
  const log = opts.log;
  const queue = new AnswerThenProcess('wecom-aibot', opts.rememberKeys ?? 5000, log);
  const router = Router();

  router.get('/', urlVerification(opts.keys, 'wecom-aibot', log));

  // Read the way the XML callbacks are: over the limit, 413 and the connection closed instead of read to its end.
  router.post('/', callbackBody(), (req, res) => {
    const sig = queryValue(req, 'msg_signature');
    const timestamp = queryValue(req, 'timestamp');
    const nonce = queryValue(req, 'nonce');
    if (!sig || !timestamp || !nonce || !/^\d{1,12}$/.test(timestamp)) return refuse(res, 400, 'missing or malformed msg_signature, timestamp or nonce');
    const outer = typeof req.body === 'string' ? parseJson(req.body) : undefined;
    const encrypted = outer && typeof outer === 'object' ? (outer as Record<string, unknown>).encrypt : undefined;
    if (typeof encrypted !== 'string' || !encrypted) return refuse(res, 400, 'expected a JSON body {"encrypt": "…"}');
    if (!verifySignature(opts.keys, sig, timestamp, nonce, encrypted)) {
      log?.warn({ callback: 'wecom-aibot' }, 'aibot callback with a bad signature refused');
      return refuse(res, 403, 'bad signature');
    }
    if (Math.abs(clock.now().getTime() - Number(timestamp) * 1000) > windowMs) {
      log?.warn({ callback: 'wecom-aibot', timestamp }, 'aibot callback outside the replay window refused (or this server\'s clock is wrong)');
      return refuse(res, 403, 'stale timestamp');
    }
    let body: unknown;
    try {
      body = parseJson(decrypt(opts.keys, encrypted));
    } catch (err) {
      const reason = err instanceof CallbackCryptoError ? err.reason : 'decrypt';
      log?.warn({ callback: 'wecom-aibot', reason }, 'aibot callback refused');
      return refuse(res, reason === 'receiveId' ? 403 : 400, `refused: ${reason}`);
    }
    if (!isAibotMessage(body)) {
      log?.warn({ callback: 'wecom-aibot' }, 'aibot callback refused: the decrypted body is not a message');
      return refuse(res, 400, 'refused: not a message');
    }

    // The empty answer: no passive reply; the reply goes to response_url once the handlers have run.
    const msg = body;
    queue.accept(res, msg.msgid, () => opts.onMessage(msg));
  });

  return { router, idle: () => queue.idle() };
}
