/**
 * `wecom-aibot` in callback mode (aibotCallback.ts, mounted at /wecom/aibot/callback): the callback is answered empty
 * at once; the reply goes to the message's `response_url` (D101138: one POST, markdown, valid 1 hour). The bot has no
 * documented HTTP API to post unasked, so new cases go through the group's 群机器人 webhook (D91770:
 * webhook/send?key=…, text with `mentioned_list`, 20 a minute per robot): one per room, WECOM_AIBOT_ROOM_WEBHOOKS.
 * A family's recording follows its case's text there as a voice message (webhook/upload_media, then msgtype voice);
 * the AI bot's own replies carry text only. The shared parts are in aibotChannel.ts; both URLs carry their own key
 * and go through the client's `postToKeyedUrl`.
 */
import type { ChannelCapabilities, OutboundMessage, Reach } from '../channel';
import { PermanentSendError, RetryableSendError } from '../channel';
import { createAibotCallback, AibotCallbackRouter } from './aibotCallback';
import { AibotBaseOptions, ReplyContext, WeComAibotChannel } from './aibotChannel';
import { toMarkdown } from './aibotProtocol';
import { Pacer, postToKeyedUrl, type PacingLimit } from './client';
import { errorFor, WeComPermanentError, WeComRetryableError } from './errors';

export interface AibotCallbackChannelOptions extends AibotBaseOptions {
  /** The bot's Token and EncodingAESKey (ReceiveId "" is forced). */
  callback: { token: string; encodingAESKey: string; replayWindowMs?: number };
  /** Room name (or chat id) → the group's 群机器人 webhook URL (WECOM_AIBOT_ROOM_WEBHOOKS). */
  webhooks?: Record<string, string>;
  /**
   * A recording's bytes by its id (a WeCom media_id or a file under DATA_DIR/media), for posting it to a group through
   * the webhook; undefined when it cannot be found. Without this option group posts carry the text only.
   */
  recording?: (id: string) => Promise<{ data: Buffer; filename: string } | undefined>;
  /** Pacing of each room's webhook (default 20 a minute, WeCom's limit); `false` = none (tests that play days in seconds). */
  webhookLimits?: PacingLimit[] | false;
  /** Per HTTP request (response_url, webhook). Default 10 s. */
  timeoutMs?: number;
}

/** Group-robot text ≤ 2048 bytes (D91770); the response_url's markdown is kept to the same. */
const WEBHOOK_TEXT_MAX_BYTES = 2048;
/** response_url lives 1 h (D101138); a margin for clocks and queues. */
const RESPONSE_URL_TTL_MS = 55 * 60_000;
/** 群机器人 webhook: 20 messages a minute per robot (D91770); the excess is refused with 45009. */
const WEBHOOK_LIMITS = [{ max: 20, windowMs: 60_000 }];
const WEBHOOK_THROTTLED = 45009;
/** D91770's answer for a wrong webhook key. */
const WEBHOOK_BAD_KEY = 93000;

export class WeComAibotCallbackChannel extends WeComAibotChannel {
  readonly mode = 'callback';
  /** Rooms with a webhook (a person can only be answered); quotes traced by their words; recordings through the webhook. */
  readonly capabilities: ChannelCapabilities;
  protected readonly maxPostBytes = WEBHOOK_TEXT_MAX_BYTES;
  protected readonly replyTtlMs = RESPONSE_URL_TTL_MS;
  private readonly callback: AibotCallbackRouter;
  private readonly webhooks: Map<string, string>;
  private readonly pacer?: Pacer;

  constructor(private readonly opts: AibotCallbackChannelOptions) {
    super(opts);
    this.capabilities = { reaches: ['room'], quotes: true, voice: !!opts.recording, audio: false };
    this.webhooks = new Map(Object.entries(opts.webhooks ?? {}));
    this.pacer = opts.webhookLimits === false ? undefined : new Pacer(opts.webhookLimits ?? WEBHOOK_LIMITS);
    this.callback = createAibotCallback({
      keys: { token: opts.callback.token, encodingAESKey: opts.callback.encodingAESKey, receiveId: '' },
      clock: this.clock, log: opts.log, replayWindowMs: opts.callback.replayWindowMs,
      onMessage: (body) => this.receive(body, {
        responseUrl: typeof body.response_url === 'string' && /^https?:\/\//.test(body.response_url) ? body.response_url : undefined,
      }),
    });
  }

  /** The callback URL's Express router. */
  get router() {
    return this.callback.router;
  }

  /** Only rooms with a webhook can be posted to unasked. */
  servesRoom(room: string): boolean {
    return this.webhookFor(room) !== undefined;
  }

  /** Rooms with a webhook are open; anything else is 'closed' (a person can only be answered, not through the router). */
  async reach(address: string): Promise<Reach> {
    return this.webhookFor(address) ? 'open' : 'closed';
  }

  async idle(): Promise<void> {
    await this.callback.idle();
    await super.idle();
  }

  /** The one POST to the message's response_url; false when WeCom refuses it (used, expired), so the answer is posted. */
  protected async answer(ctx: ReplyContext, text: string, mentions: string[]): Promise<boolean> {
    if (!ctx.responseUrl) return false;
    ctx.used = true; // claimed before the await: a response_url takes one POST
    let res: { errcode: number; errmsg?: string };
    try {
      res = await this.postTo(ctx.responseUrl, { msgtype: 'markdown', markdown: { content: toMarkdown(text, mentions) } }, 'aibot/response');
    } catch (err) {
      if (err instanceof RetryableSendError) {
        ctx.used = false; // not delivered as far as we know: the retry may use it
        throw err;
      }
      res = { errcode: -2, errmsg: (err as Error).message };
    }
    if (res.errcode === 0) return true;
    this.log?.warn({ channel: this.name, errcode: res.errcode, errmsg: res.errmsg }, 'aibot response_url refused (used or expired); posting instead');
    return false;
  }

  /** The room's webhook; a person cannot be written to unasked in this mode. */
  protected async post(msg: OutboundMessage, _chatid: string | undefined, text: string, mentions: string[]): Promise<string | undefined> {
    if (!msg.room) {
      throw new PermanentSendError('wecom-aibot (callback mode) can only answer a 1:1 message, not start a conversation: send 1:1 messages through wecom-app, or run the aibot on the long connection (WECOM_AIBOT_BOT_ID, WECOM_AIBOT_SECRET)');
    }
    const url = this.webhookFor(msg.room);
    if (!url) {
      throw new PermanentSendError(`wecom-aibot (callback mode) cannot post to room "${msg.room}" unasked: add the group's 群机器人 webhook (WECOM_AIBOT_ROOM_WEBHOOKS=${msg.room}=KEY), or run the aibot on the long connection (WECOM_AIBOT_BOT_ID, WECOM_AIBOT_SECRET)`);
    }
    this.pace(url, msg.room);
    const res = await this.postTo(url, { msgtype: 'text', text: { content: text, ...(mentions.length ? { mentioned_list: mentions } : {}) } }, 'webhook/send');
    if (res.errcode === 0) return undefined;
    if (res.errcode === WEBHOOK_BAD_KEY) {
      throw new WeComPermanentError('webhook/send', res.errcode, `wecom webhook/send ${res.errcode} (${res.errmsg}): the webhook key for room "${msg.room}" is wrong or the robot was removed from the group: copy it again from the group's 群机器人 → Webhook地址 into WECOM_AIBOT_ROOM_WEBHOOKS`);
    }
    throwIfThrottled('webhook/send', res.errcode, msg.room);
    throw errorFor('webhook/send', res.errcode, res.errmsg);
  }

  /** A recording reaches a group through its webhook, when recordings can be read at all. */
  protected recordingPoster(msg: OutboundMessage): ((mediaId: string, captioned: boolean) => Promise<void>) | undefined {
    const hook = msg.room && this.opts.recording ? this.webhookFor(msg.room) : undefined;
    return hook ? (id, captioned) => this.postVoice(msg, hook, id, captioned) : undefined;
  }

  /**
   * The recording after its caption, through the room's webhook (D91770: webhook/upload_media?type=voice, AMR ≤ 2 MB,
   * then msgtype voice). Throttling and network trouble are retried (the caption is not repeated); a recording that
   * cannot be had or is refused leaves the caption alone, as the other channels do.
   */
  private async postVoice(msg: OutboundMessage, hook: string, id: string, captioned: boolean): Promise<void> {
    const skip = (why: string): void => {
      if (!captioned) throw new PermanentSendError(`wecom-aibot: ${why}; the message had no text`);
      this.log?.warn({ channel: this.name, key: msg.key, why }, 'voice not forwarded to the group; the text went alone');
    };
    const file = await this.opts.recording!(id).catch((err: unknown) => {
      if (err instanceof RetryableSendError) throw err;
      return undefined;
    });
    if (!file) return skip(`recording ${id} not found`);
    this.pace(hook, msg.room!);
    const uploadUrl = new URL(hook);
    uploadUrl.pathname = uploadUrl.pathname.replace(/\/send$/, '/upload_media');
    uploadUrl.searchParams.set('type', 'voice');
    const form = new FormData();
    form.append('media', new Blob([new Uint8Array(file.data)], { type: 'application/octet-stream' }), file.filename);
    // An answer that is not WeCom's leaves the caption alone too; only network trouble and 5xx are retried.
    const answerOf = (err: unknown) => {
      if (err instanceof WeComPermanentError) return { errcode: -2, errmsg: err.message };
      throw err;
    };
    const up = await this.postTo(uploadUrl.toString(), form, 'webhook/upload_media').catch(answerOf) as { errcode: number; errmsg?: string; media_id?: string };
    if (up.errcode === WEBHOOK_THROTTLED) throw new WeComRetryableError('webhook/upload_media', up.errcode, 'wecom webhook/upload_media 45009: throttled; retried after a pause', 60_000);
    if (up.errcode || !up.media_id) return skip(`webhook/upload_media ${up.errcode} ${up.errmsg ?? ''}`);
    const res = await this.postTo(hook, { msgtype: 'voice', voice: { media_id: up.media_id } }, 'webhook/send').catch(answerOf);
    throwIfThrottled('webhook/send', res.errcode, msg.room!);
    if (res.errcode) skip(`webhook/send voice ${res.errcode} ${res.errmsg ?? ''}`);
  }

  /** Takes one of the room robot's 20 messages a minute, or throws a retry after the wait (real time: WeCom's minutes). */
  private pace(hook: string, room: string): void {
    const wait = this.pacer?.take([hook], this.now()) ?? 0;
    if (wait > 0) throw new RetryableSendError(`wecom webhook/send: the room "${room}" robot's 20 messages a minute are used up; retried in ${Math.ceil(wait / 1000)} s`, wait);
  }

  private postTo(url: string, body: unknown, api: string) {
    return postToKeyedUrl(url, body, api, this.opts.timeoutMs);
  }

  private webhookFor(room: string): string | undefined {
    return this.webhooks.get(room) ?? this.webhooks.get(this.rooms.chatidOf(room));
  }
}

function throwIfThrottled(api: string, errcode: number, room: string): void {
  if (errcode === WEBHOOK_THROTTLED) throw new WeComRetryableError(api, errcode, `wecom ${api} 45009: the room "${room}" robot sent more than 20 messages a minute; retried after a pause`, 60_000);
}
