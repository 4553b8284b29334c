/**
 * `wecom-aibot` on the long connection (`@wecom/aibot-node-sdk`, aibotSdk.ts): no public URL needed. A reply is a
 * finished stream on the message's req_id (`replyStream`, within the ~6 min WeCom waits for a stream); anything else is
 * `aibot_send_msg` to the chat id (or the userid in 1:1), markdown. Text only: recordings reach teachers 1:1 through
 * the app. The shared parts are in aibotChannel.ts.
 */
import type { ChannelCapabilities, InboundHandler, OutboundMessage, Reach } from '../channel';
import { isAibotMessage, toMarkdown } from './aibotProtocol';
import { AibotAck, AibotConnection, AibotFrame, newStreamId } from './aibotSdk';
import { AibotBaseOptions, ReplyContext, WeComAibotChannel } from './aibotChannel';
import { errorFor, WeComRetryableError } from './errors';

export interface AibotLongConnectionOptions extends AibotBaseOptions {
  /** The SDK client (or a stub in tests). */
  connection: AibotConnection;
}

/** AI-bot markdown ≤ 4096 bytes (taken as the group robot's, D91770). */
const MARKDOWN_MAX_BYTES = 4096;
/** A stream is awaited up to 6 min (D100719); a margin for clocks and queues. */
const STREAM_TTL_MS = 5 * 60_000;

export class WeComAibotLongConnection extends WeComAibotChannel {
  readonly mode = 'long-connection';
  /** Teachers' groups and members 1:1 (aibot_send_msg to a userid); quotes traced by their words (aibotQuote.ts); text only. */
  readonly capabilities: ChannelCapabilities = { reaches: ['staff', 'room'], quotes: true, voice: false, audio: false };
  protected readonly maxPostBytes = MARKDOWN_MAX_BYTES;
  protected readonly replyTtlMs = STREAM_TTL_MS;
  private readonly connection: AibotConnection;

  constructor(opts: AibotLongConnectionOptions) {
    super(opts);
    this.connection = opts.connection;
  }

  /** Every group the bot is in. */
  servesRoom(_room: string): boolean {
    return true;
  }

  /** Rooms are open; people unknown (the router then goes by where they wrote from). */
  async reach(address: string): Promise<Reach> {
    return this.rooms.names().includes(address) || this.rooms.knows(address) || this.unnamedChats.has(address) ? 'open' : 'unknown';
  }

  async start(onMessage: InboundHandler): Promise<void> {
    await super.start(onMessage);
    const conn = this.connection;
    const log = this.log;
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
    this.connection.disconnect();
    await super.stop();
  }

  private async receiveFrame(frame: AibotFrame): Promise<void> {
    if (!frame?.headers?.req_id || !isAibotMessage(frame.body)) {
      this.log?.warn({ channel: this.name }, 'aibot frame without req_id or message body skipped');
      return;
    }
    await this.receive(frame.body, { frame: { headers: { req_id: frame.headers.req_id } } });
  }

  /** A finished stream on the message's req_id; false when WeCom refuses it (expired), so the answer is posted. */
  protected async answer(ctx: ReplyContext, text: string, mentions: string[]): Promise<boolean> {
    if (!ctx.frame) return false;
    ctx.used = true; // claimed before the await: a stream answers once
    try {
      const ack = await this.connection.replyStream(ctx.frame, newStreamId(), toMarkdown(text, mentions), true);
      if (ack?.errcode) throw ack;
      return true;
    } catch (err) {
      this.log?.warn({ channel: this.name, err: describe(err) }, 'aibot stream reply refused; posting instead');
      return false;
    }
  }

  /** aibot_send_msg to the room's chat id, or to the userid 1:1. */
  protected async post(msg: OutboundMessage, chatid: string | undefined, text: string, mentions: string[]): Promise<string | undefined> {
    let ack: AibotAck;
    try {
      ack = await this.connection.sendMessage(chatid ?? msg.to, { msgtype: 'markdown', markdown: { content: toMarkdown(text, mentions) } });
    } catch (err) {
      throw sdkError(err);
    }
    if (ack?.errcode) throw sdkError(ack);
    const id = (ack?.body as { msgid?: unknown } | undefined)?.msgid;
    return typeof id === 'string' && id ? id : undefined;
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
