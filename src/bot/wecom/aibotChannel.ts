/**
 * `wecom-aibot`: the 智能机器人 (AI bot) in the teachers' group chats. It hears the messages that @-mention it (text,
 * 图文混排, quotes; in a 1:1 chat also voice, already transcribed), answers them, and posts new cases to the group
 * with the pairing teacher @-mentioned. Two modes (../shared/wecom-api.md §6), one configured per bot, each its own
 * small adapter over the parts here:
 *
 * - Long connection (aibotLongConnection.ts; preferred, no public URL needed — most village schools have none).
 * - Callback URL (aibotCallbackChannel.ts, mounted at /wecom/aibot/callback), with the groups' 群机器人 webhooks to
 *   post unasked.
 *
 * Shared here: the message → InboundMessage mapping, the room names, the quote lookup, the reply contexts (what it
 * takes to answer a message, found by OutboundMessage.replyTo) and the sending of a message in parts.
 *
 * Rooms: our room names (School.teacherRoom, e.g. `teachers`) map to chat ids through WECOM_AIBOT_ROOMS; an unknown
 * chat id is its own room name. Every message into a group has phone numbers masked here as well (DESIGN §6:
 * phones only to their owner) — the handlers mask them already; a group adapter must not rely on that alone.
 *
 * A quote carries the quoted words but no message id, so quotedId is found by matching those words against the
 * room's recent posts (aibotQuote.ts). A message sent in several parts remembers the parts that went out
 * (messageParts.ts), so the outbox's retry does not repeat them.
 */
import { systemClock, type Clock } from '../../clock';
import { maskPhones, type Logger } from '../../log';
import { Channel, ChannelCapabilities, InboundHandler, InboundMessage, OutboundMessage, PermanentSendError, Reach, SendResult } from '../channel';
import { AibotMessage, messageText, quoteText, RoomBook, stripMentions } from './aibotProtocol';
import { outboxQuoteResolver, QuoteResolver } from './aibotQuote';
import { Part, PartProgress, splitBytes } from './messageParts';

const AIBOT_CHANNEL = 'wecom-aibot';

/** What both modes take. */
export interface AibotBaseOptions {
  orgId: string;
  /** Room name → chat id (WECOM_AIBOT_ROOMS). */
  rooms?: Record<string, string>;
  /** Quoted words → the platform id of our post (default: the room's recent posts in the outbox). */
  resolveQuote?: QuoteResolver;
  /** Clock for the callback's replay window and the messages' time. */
  clock?: Clock;
  log?: Logger;
  /** Real time in ms: the reply windows are WeCom's, not the simulated clock's. */
  now?: () => number;
}

/** Room for the `<@userid>` tags and the zero-width guards added to each piece. */
const MARKUP_RESERVE = 400;
/** Reply contexts kept; the oldest beyond their window go first. */
const MAX_CONTEXTS = 2000;

/** What it takes to answer one message: its sender and chat, and the mode's way back (a stream, a response_url). */
export interface ReplyContext {
  userid: string;
  chatid?: string;
  responseUrl?: string;
  frame?: { headers: { req_id: string } };
  at: number;
  used: boolean;
}

export abstract class WeComAibotChannel implements Channel {
  readonly name = AIBOT_CHANNEL;
  abstract readonly mode: 'long-connection' | 'callback';
  abstract readonly capabilities: ChannelCapabilities;
  protected readonly rooms: RoomBook;
  protected readonly clock: Clock;
  /** Real time (see AibotBaseOptions.now): WeCom's reply windows. */
  protected readonly now: () => number;
  protected readonly log?: Logger;
  protected onMessage?: InboundHandler;
  protected readonly unnamedChats = new Set<string>();
  private readonly resolveQuote: QuoteResolver;
  private readonly contexts = new Map<string, ReplyContext>();
  private readonly parts: PartProgress;
  private readonly inflight = new Set<Promise<void>>();

  /** The largest post in bytes (markdown on the long connection, a webhook's text in callback mode). */
  protected abstract readonly maxPostBytes: number;
  /** How long a reply context can answer its message (a stream ~6 min, a response_url 1 h). */
  protected abstract readonly replyTtlMs: number;

  protected constructor(private readonly base: AibotBaseOptions) {
    this.clock = base.clock ?? systemClock;
    this.now = base.now ?? Date.now;
    this.log = base.log;
    this.rooms = new RoomBook(base.rooms);
    this.resolveQuote = base.resolveQuote ?? outboxQuoteResolver(base.orgId, AIBOT_CHANNEL);
    this.parts = new PartProgress(AIBOT_CHANNEL, base.log);
  }

  /**
   * Whether a push to this room can go through the aibot without anyone having written first (for the router).
   */
  abstract servesRoom(room: string): boolean;

  /** For the router: whether an address can be posted to now ('closed': delivery picks another route). */
  abstract reach(address: string): Promise<Reach>;

  /** The answer to the message itself; false when that way is closed (used, expired, refused) and a post must do. */
  protected abstract answer(ctx: ReplyContext, text: string, mentions: string[]): Promise<boolean>;

  /** A post nobody asked for, to the room's chat or a person. Returns a platform id if WeCom gave one. */
  protected abstract post(msg: OutboundMessage, chatid: string | undefined, text: string, mentions: string[]): Promise<string | undefined>;

  /** How this mode posts the recording `msg` forwards (after its caption); undefined when it cannot. */
  protected recordingPoster(_msg: OutboundMessage): ((mediaId: string, captioned: boolean) => Promise<void>) | undefined {
    return undefined;
  }

  async start(onMessage: InboundHandler): Promise<void> {
    this.onMessage = onMessage;
  }

  async stop(): Promise<void> {
    await this.idle();
    this.onMessage = undefined;
  }

  /** Resolves when every accepted message has gone through the bot. */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }

  protected track(p: Promise<void>): void {
    const task = p.catch((err) => this.log?.error({ err, channel: this.name }, 'aibot message processing failed')).finally(() => this.inflight.delete(task));
    this.inflight.add(task);
  }

  /**
   * A message body → an InboundMessage (undefined for events, images, files: logged and skipped). `quotedId` is
   * resolved here (an outbox lookup), so this is async.
   */
  async toInbound(body: AibotMessage): Promise<InboundMessage | undefined> {
    const log = this.log;
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
      channel: this.name, orgId: this.base.orgId, from, room, text, mentions: [], platformId: body.msgid, at: this.clock.now(),
      ...(quotedId ? { quotedId } : {}),
    };
  }

  /** A message → the bot, remembering how to answer it (`way`: the mode's stream frame or response_url). */
  protected async receive(body: AibotMessage, way: Pick<ReplyContext, 'frame' | 'responseUrl'>): Promise<void> {
    const msg = await this.toInbound(body);
    if (!msg) return;
    if (!this.onMessage) {
      this.log?.error({ channel: this.name, platformId: msg.platformId }, 'aibot message arrived before the channel started: dropped');
      return;
    }
    this.contexts.set(body.msgid, { userid: msg.from, chatid: body.chattype === 'group' ? body.chatid : undefined, ...way, at: this.now(), used: false });
    if (this.contexts.size > MAX_CONTEXTS) {
      const oldest = this.now() - this.replyTtlMs;
      for (const [k, c] of this.contexts) if (c.at < oldest || this.contexts.size > MAX_CONTEXTS) this.contexts.delete(k);
    }
    await this.onMessage(msg);
  }

  /** The open reply context of the message `msg` answers (OutboundMessage.replyTo), if it can still be used. */
  private replyContext(msg: OutboundMessage, chatid: string | undefined): ReplyContext | undefined {
    const ctx = msg.replyTo?.channel === this.name ? this.contexts.get(msg.replyTo.platformId) : undefined;
    if (!ctx || ctx.used || ctx.chatid !== chatid || (!chatid && ctx.userid !== msg.to)) return undefined;
    if (this.now() - ctx.at > this.replyTtlMs || (!ctx.frame && !ctx.responseUrl)) return undefined;
    return ctx;
  }

  async send(msg: OutboundMessage): Promise<SendResult> {
    const chatid = msg.room ? this.rooms.chatidOf(msg.room) : undefined;
    const text = msg.room ? maskPhones(msg.text) : msg.text;
    const postRecording = msg.voice ? this.recordingPoster(msg) : undefined;
    if (!text.trim() && !postRecording) {
      throw new PermanentSendError(msg.voice ? 'wecom-aibot cannot forward this voice recording (no webhook for the room); the message had no text' : 'wecom-aibot: empty message');
    }
    if (msg.voice && !postRecording) this.log?.info({ channel: this.name, key: msg.key }, 'aibot sends the text only: recordings go to a group through its webhook (callback mode), and 1:1 through the app');
    const mentions = msg.room ? (msg.mentions ?? []) : [];
    const reply = this.replyContext(msg, chatid);
    const pieces = text.trim() ? splitBytes(text, this.maxPostBytes - MARKUP_RESERVE) : [];
    const parts: Part[] = pieces.map((content) => ({ kind: 'text', content }));
    if (postRecording && msg.voice) parts.push({ kind: 'voice', mediaId: msg.voice.mediaId });

    const first = await this.parts.send(msg.key, parts, async (part, i) => {
      if (part.kind === 'voice') {
        await postRecording!(part.mediaId, pieces.length > 0);
        return {};
      }
      const withMentions = i === 0 ? mentions : [];
      if (i === 0 && reply && await this.answer(reply, part.content, withMentions)) return {};
      const id = await this.post(msg, chatid, part.content, withMentions);
      return { msgid: i === 0 ? id : undefined };
    });
    return { route: this.name, platformMsgId: first ?? `${this.name}:${msg.key}` };
  }
}
