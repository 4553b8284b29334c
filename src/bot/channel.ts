/** One interface for every channel (simulator, WeCom, Wechaty), in the spirit of Wechaty's Puppet. */
import type { Style } from '../locales';
import type { VoiceAudio } from '../speech/recognizer';

export interface InboundMessage {
  /** Adapter name, e.g. `simulator`. */
  channel: string;
  orgId: string;
  /** Sender address on that channel. */
  from: string;
  /** Set when the message was said in a group chat. */
  room?: string;
  text: string;
  voice?: {
    mediaId?: string; format?: string; url?: string;
    /** The recording's bytes when the adapter has them at hand (the simulator); else `Channel.voiceAudio` fetches them. */
    data?: Buffer;
    /** What recognition heard (src/speech/recognizer.ts), set by the bot before the handlers; '' = nothing understood. */
    transcript?: string;
  };
  /** Addresses @-mentioned in the message. */
  mentions: string[];
  quotedId?: string;
  /** The platform's own message id: inbound de-duplication key. */
  platformId: string;
  displayName?: string;
  at: Date;
}

export interface OutboundMessage {
  key: string;
  to: string;
  room?: string;
  text: string;
  style: Style;
  /** A voice message to forward (e.g. a grandmother's recording); `text` is its caption/fallback. */
  voice?: { mediaId: string };
  /**
   * A recording of `text` (AMR-NB, ≤ 60 s) for someone in voice style, made by delivery (src/speech). A channel
   * that cannot send audio yet sends the text alone; `hash` names the file in the speech cache.
   */
  audio?: { file: string; seconds: number; hash: string };
  /** Addresses to @-mention in a room. */
  mentions?: string[];
  /**
   * The inbound message this answers (filled by delivery from the outbox's `channel` and `inReplyTo`), for a channel
   * that answers a message in its own way (the AI bot's stream or response_url); absent for pushes.
   */
  replyTo?: { channel: string; platformId: string };
}

export interface SendResult {
  /** Which route delivered it, e.g. `simulator`, `wecom-kf`. */
  route: string;
  /** The platform's id of the sent message, so a later quote of it can be traced back. */
  platformMsgId?: string;
}

export type InboundHandler = (msg: InboundMessage) => Promise<void>;

/** Whom an address belongs to, as the router sees it: a family member, a staff member, a group chat. */
export type Audience = 'family' | 'staff' | 'room';

/** Whether a route can take a message to an address right now (see `Channel.reach`). */
export type Reach = 'open' | 'closed' | 'unknown';

/**
 * What a channel can do, declared once by each channel; the router (src/bot/router.ts) and start-up decide from these,
 * never from a channel's name.
 */
export interface ChannelCapabilities {
  /** The addresses it can send to without being asked (a group robot in callback mode only rooms; 学校通知 only parents). */
  reaches: readonly Audience[];
  /**
   * Audiences for whom pushes go through this channel first (while `reach` does not say 'closed'), before the routes
   * they last wrote from; among several channels the lower number first (微信客服 0, then 学校通知 1 for families).
   */
  prefers?: Partial<Record<Audience, number>>;
  /** A quote of one of our posts comes back as InboundMessage.quotedId. */
  quotes: boolean;
  /** Forwards a recording (OutboundMessage.voice) as a voice message; else its caption goes alone. */
  voice: boolean;
  /** Sends the recording of the text (OutboundMessage.audio); else the text alone. */
  audio: boolean;
  /**
   * The platform allows only so many messages after a person's last one (微信客服: 5 within 48 hours): such a channel
   * implements `reach`, and its `send` throws a FallbackSendError outside the window.
   */
  sendWindow?: { hours: number; messages: number };
}

export interface Channel {
  readonly name: string;
  readonly capabilities: ChannelCapabilities;
  start(onMessage: InboundHandler): Promise<void>;
  stop(): Promise<void>;
  send(msg: OutboundMessage): Promise<SendResult>;
  /** The bytes of an inbound voice message, for recognition; a channel that cannot fetch them leaves this out. */
  voiceAudio?(msg: InboundMessage): Promise<VoiceAudio | undefined>;
  /**
   * For a channel that reaches rooms: whether it can post to `room` before anyone spoke there since the start (a group
   * robot configured for that chat). Without it, a room is reached where it was last heard.
   */
  servesRoom?(room: string): boolean;
  /**
   * For a channel whose reach depends on the recipient (the 微信客服 window, a known parent_userid): whether `address`
   * can get a message now. A channel answering 'closed' is skipped by the router.
   */
  reach?(address: string): Promise<Reach>;
  /** `reach` for many addresses in a few queries (a page of deliveries). */
  reachMany?(addresses: string[]): Promise<Map<string, Reach>>;
}

/** A send that may work later (throttled, token expired, network): the outbox retries it with backoff. */
export class RetryableSendError extends Error {
  constructor(message: string, readonly retryAfterMs?: number) {
    super(message);
  }
}

/** A send that can never work (unknown recipient): the outbox marks it failed at once. */
export class PermanentSendError extends Error {}
