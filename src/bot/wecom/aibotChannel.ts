/**
 * `wecom-aibot`: the 智能机器人 (AI bot) in the teachers' group chats. It hears the messages that @-mention it (text,
 * 图文混排, quotes; in a 1:1 chat also voice, already transcribed), answers them, and posts new cases to the group
 * with the pairing teacher @-mentioned. Two modes (../shared/wecom-api.md §6), one configured per bot:
 *
 * - Long connection (preferred, no public URL needed — most village schools have none): `@wecom/aibot-node-sdk`
 *   (aibotSdk.ts). Reply = a finished stream on the message's req_id (`replyStream`, within the ~6 min WeCom waits
 *   for a stream); anything else = `aibot_send_msg` to the chat id (or the userid in 1:1), markdown.
 * - Callback URL (aibotCallback.ts, mounted at /wecom/aibot/callback): the callback is answered empty at once;
 *   the reply goes to the message's `response_url` (D101138: one POST, markdown, valid 1 hour). The bot has no
 *   documented HTTP API to post unasked, so new cases go through the group's 群机器人 webhook (D91770:
 *   webhook/send?key=…, text with `mentioned_list`, 20 a minute per robot): one per room, WECOM_AIBOT_ROOM_WEBHOOKS.
 *   A family's recording follows its case's text there as a voice message (webhook/upload_media, then msgtype voice);
 *   the AI bot's own replies and the long connection carry text only (recordings reach teachers 1:1 through the app).
 *
 * Rooms: our room names (School.teacherRoom, e.g. `teachers`) map to chat ids through WECOM_AIBOT_ROOMS; an unknown
 * chat id is its own room name. Every message into a group has phone numbers masked here as well (DESIGN §6:
 * phones only to their owner) — the handlers mask them already; a group adapter must not rely on that alone.
 *
 * A quote carries the quoted words but no message id, so quotedId is found by matching those words against the
 * room's recent posts (aibotQuote.ts). A message sent in several parts remembers the parts that went out, so the
 * outbox's retry does not repeat them (as in appChannel.ts).
 */
import { systemClock, type Clock } from '../../clock';
import { maskPhones, type Logger } from '../../log';
import { Channel, ChannelCapabilities, InboundHandler, InboundMessage, OutboundMessage, PermanentSendError, RetryableSendError, SendResult } from '../channel';
import { createAibotCallback, AibotCallbackRouter } from './aibotCallback';
import { AibotMessage, isAibotMessage, messageText, quoteText, RoomBook, stripMentions, toMarkdown } from './aibotProtocol';
import { outboxQuoteResolver, QuoteResolver } from './aibotQuote';
import { AibotAck, AibotConnection, AibotFrame, newStreamId } from './aibotSdk';
import { splitBytes } from './appChannel';
import type { CallbackKeys } from './callbackCrypto';
import { Pacer, type PacingLimit } from './client';
import { errorFor, WeComPermanentError, WeComRetryableError } from './errors';

const AIBOT_CHANNEL = 'wecom-aibot';

export interface WeComAibotChannelOptions {
  orgId: string;
  /** Callback mode: the bot's Token and EncodingAESKey (ReceiveId "" is forced). */
  callback?: { token: string; encodingAESKey: string; replayWindowMs?: number };
  /** Long-connection mode: the SDK client (or a stub in tests). */
  connection?: AibotConnection;
  /** Room name → chat id (WECOM_AIBOT_ROOMS). */
  rooms?: Record<string, string>;
  /** Room name (or chat id) → the group's 群机器人 webhook URL (WECOM_AIBOT_ROOM_WEBHOOKS). */
  webhooks?: Record<string, string>;
  /** Quoted words → the platform id of our post (default: the room's recent posts in the outbox). */
  resolveQuote?: QuoteResolver;
  /** Clock for the callback's replay window and the messages' time. */
  clock?: Clock;
  log?: Logger;
  /** Per HTTP request (response_url, webhook). Default 10 s. */
  timeoutMs?: number;
  /** Real time in ms: the reply windows are WeCom's, not the simulated clock's. */
  now?: () => number;
  /**
   * A recording's bytes by its id (a WeCom media_id or a file under DATA_DIR/media), for posting it to a group through
   * the webhook; undefined when it cannot be found. Without this option group posts carry the text only.
   */
  recording?: (id: string) => Promise<{ data: Buffer; filename: string } | undefined>;
  /** Pacing of each room's webhook (default 20 a minute, WeCom's limit); `false` = none (tests that play days in seconds). */
  webhookLimits?: PacingLimit[] | false;
}

/** Markdown and webhook text limits: group-robot markdown ≤ 4096 bytes, text ≤ 2048 (D91770); AI-bot markdown taken as the same. */
const MARKDOWN_MAX_BYTES = 4096;
const WEBHOOK_TEXT_MAX_BYTES = 2048;
/** Room for the `<@userid>` tags and the zero-width guards added to each piece. */
const MARKUP_RESERVE = 400;
/** response_url lives 1 h (D101138); a stream is awaited up to 6 min (D100719). Margins for clocks and queues. */
const RESPONSE_URL_TTL_MS = 55 * 60_000;
const STREAM_TTL_MS = 5 * 60_000;
/** 群机器人 webhook: 20 messages a minute per robot (D91770); the excess is refused with 45009. */
const WEBHOOK_LIMITS = [{ max: 20, windowMs: 60_000 }];
/** D91770's answer for a wrong webhook key. */
const WEBHOOK_BAD_KEY = 93000;

interface ReplyContext {
  userid: string;
  chatid?: string;
  responseUrl?: string;
  frame?: { headers: { req_id: string } };
  at: number;
  used: boolean;
}

export class WeComAibotChannel implements Channel {
  readonly name = AIBOT_CHANNEL;
  readonly mode: 'long-connection' | 'callback';
  private readonly callback?: AibotCallbackRouter;
  private readonly rooms: RoomBook;
  private readonly webhooks: Map<string, string>;
  private readonly resolveQuote: QuoteResolver;
  private readonly clock: Clock;
  private readonly now: () => number;
  private readonly pacer?: Pacer;
  private onMessage?: InboundHandler;
  private readonly contexts = new Map<string, ReplyContext>();
  private readonly progress = new Map<string, Set<number>>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly unnamedChats = new Set<string>();
  /**
   * Teachers' groups; quotes traced by their words (aibotQuote.ts). On the long connection also members 1:1
   * (aibot_send_msg to a userid); in callback mode a person can only be answered, and a recording reaches a group
   * through its webhook.
   */
  readonly capabilities: ChannelCapabilities;

  constructor(private readonly opts: WeComAibotChannelOptions) {
    if (Boolean(opts.callback) === Boolean(opts.connection)) throw new Error('wecom-aibot: give either `callback` or `connection`');
    this.mode = opts.connection ? 'long-connection' : 'callback';
    this.capabilities = this.mode === 'long-connection'
      ? { reaches: ['staff', 'room'], quotes: true, voice: false, audio: false }
      : { reaches: ['room'], quotes: true, voice: !!opts.recording, audio: false };
    this.clock = opts.clock ?? systemClock;
    this.now = opts.now ?? Date.now;
    this.pacer = opts.webhookLimits === false ? undefined : new Pacer(opts.webhookLimits ?? WEBHOOK_LIMITS);
    this.rooms = new RoomBook(opts.rooms);
    this.webhooks = new Map(Object.entries(opts.webhooks ?? {}));
    this.resolveQuote = opts.resolveQuote ?? outboxQuoteResolver(opts.orgId, AIBOT_CHANNEL);
    if (opts.callback) {
      const keys: CallbackKeys = { token: opts.callback.token, encodingAESKey: opts.callback.encodingAESKey, receiveId: '' };
      this.callback = createAibotCallback({
        keys, clock: this.clock, log: opts.log, replayWindowMs: opts.callback.replayWindowMs,
        onMessage: (body) => this.receive(body),
      });
    }
  }

  /** The callback URL's Express router (callback mode only). */
  get router() {
    if (!this.callback) throw new Error('wecom-aibot runs on the long connection: there is no callback router');
    return this.callback.router;
  }

  /**
   * Whether a push to this room can go through the aibot without anyone having written first: on the long
   * connection every group the bot is in; in callback mode only rooms with a webhook. (For the router.)
   */
  servesRoom(room: string): boolean {
    if (this.mode === 'long-connection') return true;
    return this.webhookFor(room) !== undefined;
  }

  /**
   * For the router's RouteProbe (src/bot/router.ts): in callback mode the aibot can post only to rooms with a webhook
   * (a person can only be answered, which does not go through the router) — anything else is 'closed', so that
   * delivery picks another route; on the long connection rooms are open and people unknown.
   */
  async reach(address: string): Promise<'open' | 'closed' | 'unknown'> {
    if (this.mode === 'callback') return this.webhookFor(address) ? 'open' : 'closed';
    return this.rooms.names().includes(address) || this.rooms.knows(address) || this.unnamedChats.has(address) ? 'open' : 'unknown';
  }

  /** The room names configured in WECOM_AIBOT_ROOMS / WECOM_AIBOT_ROOM_WEBHOOKS. */
  configuredRooms(): string[] {
    return [...new Set([...this.rooms.names(), ...this.webhooks.keys()].map((r) => this.rooms.roomOf(r)))];
  }

  async start(onMessage: InboundHandler): Promise<void> {
    this.onMessage = onMessage;
    const conn = this.opts.connection;
    if (!conn) return;
    const log = this.opts.log;
    conn.on('message', (frame: AibotFrame) => this.track(this.receiveFrame(frame)));
    conn.on('authenticated', () => log?.info({ channel: this.name }, 'aibot long connection authenticated'));
    conn.on('disconnected', (reason: string) => {
      // WeCom keeps one connection per bot: a newer one (another instance) takes over and the SDK does not reconnect.
      if (/new connection/i.test(String(reason))) log?.error({ channel: this.name, reason }, 'aibot: another instance connected with the same WECOM_AIBOT_BOT_ID and took over; this one no longer hears the groups. Run one instance per bot.');
      else log?.warn({ channel: this.name, reason }, 'aibot long connection closed; the SDK reconnects');
    });
    conn.on('reconnecting', (attempt: number) => log?.info({ channel: this.name, attempt }, 'aibot reconnecting'));
    conn.on('error', (err: Error) => {
      const auth = /auth/i.test(err.message) || (err as { code?: string }).code === 'WS_AUTH_FAILURE_EXHAUSTED';
      log?.error({ channel: this.name, err: err.message }, auth
        ? 'aibot authentication failed: check WECOM_AIBOT_BOT_ID and WECOM_AIBOT_SECRET (智能机器人 → API模式 → 长连接)'
        : 'aibot long connection error');
    });
    conn.connect();
  }

  async stop(): Promise<void> {
    this.opts.connection?.disconnect();
    await this.idle();
    this.onMessage = undefined;
  }

  /** Resolves when every accepted message has gone through the bot. */
  async idle(): Promise<void> {
    await this.callback?.idle();
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }

  private track(p: Promise<void>): void {
    const task = p.catch((err) => this.opts.log?.error({ err, channel: this.name }, 'aibot message processing failed')).finally(() => this.inflight.delete(task));
    this.inflight.add(task);
  }

  private async receiveFrame(frame: AibotFrame): Promise<void> {
    if (!frame?.headers?.req_id || !isAibotMessage(frame.body)) {
      this.opts.log?.warn({ channel: this.name }, 'aibot frame without req_id or message body skipped');
      return;
    }
    await this.receive(frame.body, { headers: { req_id: frame.headers.req_id } });
  }

  /**
   * A message body → an InboundMessage (undefined for events, images, files: logged and skipped). `quotedId` is
   * resolved here (an outbox lookup), so this is async.
   */
  async toInbound(body: AibotMessage): Promise<InboundMessage | undefined> {
    const log = this.opts.log;
    const from = body.from?.userid;
    const raw = messageText(body);
    if (!from || raw === undefined) {
      log?.info({ channel: this.name, msgtype: body.msgtype, event: body.event?.eventtype }, 'aibot message not handled');
      return undefined;
    }
    const chatid = body.chattype === 'group' ? body.chatid : undefined;
    const room = chatid ? this.rooms.roomOf(chatid) : undefined;
    if (chatid && !this.rooms.knows(chatid) && !this.unnamedChats.has(chatid)) {
      this.unnamedChats.add(chatid);
      log?.info({ channel: this.name, chatid }, 'aibot heard from a group chat not named in WECOM_AIBOT_ROOMS: its room is the chat id itself (name it with WECOM_AIBOT_ROOMS=teachers=CHATID, or put the chat id into the school\'s 教师群)');
    }
    const text = chatid ? stripMentions(raw) : raw.trim();
    const quoted = chatid ? quoteText(body.quote) : '';
    const quotedId = quoted && room ? await this.resolveQuote(room, quoted).catch((err) => {
      log?.warn({ channel: this.name, err: (err as Error).message }, 'aibot quote lookup failed');
      return undefined;
    }) : undefined;
    return {
      channel: this.name, orgId: this.opts.orgId, from, room, text, mentions: [], platformId: body.msgid, at: this.clock.now(),
      ...(quotedId ? { quotedId } : {}),
    };
  }

  private async receive(body: AibotMessage, frame?: { headers: { req_id: string } }): Promise<void> {
    const msg = await this.toInbound(body);
    if (!msg) return;
    if (!this.onMessage) {
      this.opts.log?.error({ channel: this.name, platformId: msg.platformId }, 'aibot message arrived before the channel started: dropped');
      return;
    }
    this.remember(body.msgid, {
      userid: msg.from, chatid: body.chattype === 'group' ? body.chatid : undefined,
      responseUrl: typeof body.response_url === 'string' && /^https?:\/\//.test(body.response_url) ? body.response_url : undefined,
      frame, at: this.now(), used: false,
    });
    await this.onMessage(msg);
  }

  private remember(msgid: string, ctx: ReplyContext): void {
    this.contexts.set(msgid, ctx);
    if (this.contexts.size > 2000) {
      const oldest = this.now() - RESPONSE_URL_TTL_MS;
      for (const [k, c] of this.contexts) if (c.at < oldest || this.contexts.size > 2000) this.contexts.delete(k);
    }
  }

  /** The open reply context of the message `msg` answers (OutboundMessage.replyTo), if it can still be used. */
  private replyContext(msg: OutboundMessage, chatid: string | undefined): ReplyContext | undefined {
    const ctx = msg.replyTo?.channel === this.name ? this.contexts.get(msg.replyTo.platformId) : undefined;
    if (!ctx || ctx.used || ctx.chatid !== chatid || (!chatid && ctx.userid !== msg.to)) return undefined;
    const ttl = ctx.frame ? STREAM_TTL_MS : RESPONSE_URL_TTL_MS;
    if (this.now() - ctx.at > ttl || (!ctx.frame && !ctx.responseUrl)) return undefined;
    return ctx;
  }

  async send(msg: OutboundMessage): Promise<SendResult> {
    const chatid = msg.room ? this.rooms.chatidOf(msg.room) : undefined;
    const text = msg.room ? maskPhones(msg.text) : msg.text;
    // A recording reaches a group through its 群机器人 webhook (callback mode); the AI bot itself cannot send one.
    const voiceHook = msg.voice && msg.room && this.mode === 'callback' && this.opts.recording ? this.webhookFor(msg.room) : undefined;
    if (!text.trim() && !voiceHook) {
      throw new PermanentSendError(msg.voice ? 'wecom-aibot cannot forward this voice recording (no webhook for the room); the message had no text' : 'wecom-aibot: empty message');
    }
    if (msg.voice && !voiceHook) this.opts.log?.info({ channel: this.name, key: msg.key }, 'aibot sends the text only: recordings go to a group through its webhook (callback mode), and 1:1 through the app');
    const mentions = msg.room ? (msg.mentions ?? []) : [];
    const reply = this.replyContext(msg, chatid);
    const postLimit = this.mode === 'callback' ? WEBHOOK_TEXT_MAX_BYTES : MARKDOWN_MAX_BYTES;
    const pieces = text.trim() ? splitBytes(text, Math.min(MARKDOWN_MAX_BYTES, postLimit) - MARKUP_RESERVE) : [];

    const done = this.progress.get(msg.key) ?? new Set<number>();
    let platformMsgId = `${this.name}:${msg.key}`;
    for (const [i, piece] of pieces.entries()) {
      if (done.has(i)) continue;
      const withMentions = i === 0 ? mentions : [];
      try {
        const sentAs = i === 0 && reply ? await this.tryReply(reply, piece, withMentions) : undefined;
        if (!sentAs) {
          const id = await this.post(msg, chatid, piece, withMentions);
          if (i === 0 && id) platformMsgId = id;
        }
      } catch (err) {
        if (done.size) this.rememberProgress(msg.key, done);
        throw err;
      }
      done.add(i);
    }
    if (voiceHook && msg.voice && !done.has(pieces.length)) {
      try {
        await this.postVoice(msg, voiceHook, msg.voice.mediaId, done.size > 0);
      } catch (err) {
        if (done.size) this.rememberProgress(msg.key, done);
        throw err;
      }
    }
    this.progress.delete(msg.key);
    return { route: this.name, platformMsgId };
  }

  /**
   * The recording after its caption, through the room's webhook (D91770: webhook/upload_media?type=voice, AMR ≤ 2 MB,
   * then msgtype voice). Throttling and network trouble are retried (the caption is not repeated); a recording that
   * cannot be had or is refused leaves the caption alone, as the other channels do.
   */
  private async postVoice(msg: OutboundMessage, hook: string, id: string, captioned: boolean): Promise<void> {
    const skip = (why: string): void => {
      if (!captioned) throw new PermanentSendError(`wecom-aibot: ${why}; the message had no text`);
      this.opts.log?.warn({ channel: this.name, key: msg.key, why }, 'voice not forwarded to the group; the text went alone');
    };
    const file = await this.opts.recording!(id).catch((err: unknown) => {
      if (err instanceof RetryableSendError) throw err;
      return undefined;
    });
    if (!file) return skip(`recording ${id} not found`);
    const wait = this.pacer?.take([hook], this.now()) ?? 0;
    if (wait > 0) throw new RetryableSendError(`wecom webhook/send: the room "${msg.room}" robot's 20 messages a minute are used up; retried in ${Math.ceil(wait / 1000)} s`, wait);
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
    const up = await this.postTo(uploadUrl.toString(), { body: form }, 'webhook/upload_media').catch(answerOf) as { errcode: number; errmsg?: string; media_id?: string };
    if (up.errcode === 45009) throw new WeComRetryableError('webhook/upload_media', up.errcode, 'wecom webhook/upload_media 45009: throttled; retried after a pause', 60_000);
    if (up.errcode || !up.media_id) return skip(`webhook/upload_media ${up.errcode} ${up.errmsg ?? ''}`);
    const res = await this.postJson(hook, { msgtype: 'voice', voice: { media_id: up.media_id } }, 'webhook/send').catch(answerOf);
    if (res.errcode === 45009) throw new WeComRetryableError('webhook/send', res.errcode, `wecom webhook/send 45009: the room "${msg.room}" robot sent more than 20 messages a minute; retried after a pause`, 60_000);
    if (res.errcode) skip(`webhook/send voice ${res.errcode} ${res.errmsg ?? ''}`);
  }

  /** The answer to the message itself; undefined when that way is closed (used, expired, refused) and a post must do. */
  private async tryReply(ctx: ReplyContext, text: string, mentions: string[]): Promise<'reply' | undefined> {
    const content = toMarkdown(text, mentions);
    ctx.used = true; // claimed before the await: a response_url takes one POST
    if (ctx.frame && this.opts.connection) {
      try {
        const ack = await this.opts.connection.replyStream(ctx.frame, newStreamId(), content, true);
        if (ack?.errcode) throw ack;
        return 'reply';
      } catch (err) {
        this.opts.log?.warn({ channel: this.name, err: describe(err) }, 'aibot stream reply refused; posting instead');
        return undefined;
      }
    }
    let res: { errcode: number; errmsg?: string };
    try {
      res = await this.postJson(ctx.responseUrl!, { msgtype: 'markdown', markdown: { content } }, 'aibot/response');
    } catch (err) {
      if (err instanceof RetryableSendError) {
        ctx.used = false; // not delivered as far as we know: the retry may use it
        throw err;
      }
      res = { errcode: -2, errmsg: (err as Error).message };
    }
    if (res.errcode === 0) return 'reply';
    this.opts.log?.warn({ channel: this.name, errcode: res.errcode, errmsg: res.errmsg }, 'aibot response_url refused (used or expired); posting instead');
    return undefined;
  }

  /** A post nobody asked for: aibot_send_msg on the long connection, the room's webhook in callback mode. Returns a platform id if WeCom gave one. */
  private async post(msg: OutboundMessage, chatid: string | undefined, text: string, mentions: string[]): Promise<string | undefined> {
    const conn = this.opts.connection;
    if (conn) {
      let ack: AibotAck;
      try {
        ack = await conn.sendMessage(chatid ?? msg.to, { msgtype: 'markdown', markdown: { content: toMarkdown(text, mentions) } });
      } catch (err) {
        throw sdkError(err);
      }
      if (ack?.errcode) throw sdkError(ack);
      const id = (ack?.body as { msgid?: unknown } | undefined)?.msgid;
      return typeof id === 'string' && id ? id : undefined;
    }
    if (!msg.room) {
      throw new PermanentSendError('wecom-aibot (callback mode) can only answer a 1:1 message, not start a conversation: send 1:1 messages through wecom-app, or run the aibot on the long connection (WECOM_AIBOT_BOT_ID, WECOM_AIBOT_SECRET)');
    }
    const url = this.webhookFor(msg.room);
    if (!url) {
      throw new PermanentSendError(`wecom-aibot (callback mode) cannot post to room "${msg.room}" unasked: add the group's 群机器人 webhook (WECOM_AIBOT_ROOM_WEBHOOKS=${msg.room}=KEY), or run the aibot on the long connection (WECOM_AIBOT_BOT_ID, WECOM_AIBOT_SECRET)`);
    }
    const wait = this.pacer?.take([url], this.now()) ?? 0;
    if (wait > 0) throw new RetryableSendError(`wecom webhook/send: the room "${msg.room}" robot's 20 messages a minute are used up; retried in ${Math.ceil(wait / 1000)} s`, wait);
    const res = await this.postJson(url, { msgtype: 'text', text: { content: text, ...(mentions.length ? { mentioned_list: mentions } : {}) } }, 'webhook/send');
    if (res.errcode === 0) return undefined;
    if (res.errcode === WEBHOOK_BAD_KEY) {
      throw new WeComPermanentError('webhook/send', res.errcode, `wecom webhook/send ${res.errcode} (${res.errmsg ?? ''}): the webhook key for room "${msg.room}" is wrong or the robot was removed from the group: copy it again from the group's 群机器人 → Webhook地址 into WECOM_AIBOT_ROOM_WEBHOOKS`);
    }
    if (res.errcode === 45009) throw new WeComRetryableError('webhook/send', res.errcode, `wecom webhook/send 45009: the room "${msg.room}" robot sent more than 20 messages a minute; retried after a pause`, 60_000);
    throw errorFor('webhook/send', res.errcode, res.errmsg);
  }

  private webhookFor(room: string): string | undefined {
    return this.webhooks.get(room) ?? this.webhooks.get(this.rooms.chatidOf(room));
  }

  /** POSTs JSON to a WeCom URL that needs no token (response_url, webhook). Network trouble and 5xx are retryable. */
  private async postJson(url: string, body: unknown, api: string): Promise<{ errcode: number; errmsg?: string }> {
    return this.postTo(url, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }, api);
  }

  private async postTo(url: string, init: { headers?: Record<string, string>; body: string | FormData }, api: string): Promise<{ errcode: number; errmsg?: string }> {
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', ...init, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000) });
    } catch (err) {
      // The URL holds the webhook key: never in a message or a log.
      throw new WeComRetryableError(api, undefined, `wecom ${api}: network error (${(err as Error).name}); retried later`);
    }
    if (res.status >= 500) throw new WeComRetryableError(api, undefined, `wecom ${api}: HTTP ${res.status}; retried later`);
    const json = await res.json().catch(() => undefined) as { errcode?: unknown; errmsg?: unknown } | undefined;
    if (!json || typeof json.errcode !== 'number') {
      throw new WeComPermanentError(api, undefined, `wecom ${api}: unexpected answer (HTTP ${res.status}); is the URL a WeCom one?`);
    }
    return { ...json, errcode: json.errcode, errmsg: typeof json.errmsg === 'string' ? json.errmsg : undefined };
  }

  private rememberProgress(key: string, done: Set<number>): void {
    this.progress.set(key, done);
    if (this.progress.size > 1000) this.progress.delete(this.progress.keys().next().value as string);
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  const a = err as AibotAck;
  return a && typeof a === 'object' && 'errcode' in a ? `${a.errcode} ${a.errmsg ?? ''}` : String(err);
}

/**
 * An SDK failure → the outbox's error. Not connected, an ack that never came, the connection closing: retryable.
 * An ack with an errcode: WeCom's answer, classified like every WeCom error (unknown codes are permanent).
 */
function sdkError(err: unknown): Error {
  if (err && typeof err === 'object' && !(err instanceof Error) && typeof (err as AibotAck).errcode === 'number') {
    const a = err as AibotAck;
    return errorFor('aibot_send_msg', a.errcode!, a.errmsg);
  }
  return new WeComRetryableError('aibot_send_msg', undefined, `wecom aibot_send_msg: ${describe(err)}; retried when the long connection is back`, 30_000);
}
