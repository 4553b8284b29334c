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
}

export interface SendResult {
  /** Which route delivered it, e.g. `simulator`, `wecom-kf`. */
  route: string;
  /** The platform's id of the sent message, so a later quote of it can be traced back. */
  platformMsgId?: string;
}

export type InboundHandler = (msg: InboundMessage) => Promise<void>;

export interface Channel {
  readonly name: string;
  start(onMessage: InboundHandler): Promise<void>;
  stop(): Promise<void>;
  send(msg: OutboundMessage): Promise<SendResult>;
  /** The bytes of an inbound voice message, for recognition; a channel that cannot fetch them leaves this out. */
  voiceAudio?(msg: InboundMessage): Promise<VoiceAudio | undefined>;
}

/** A send that may work later (throttled, token expired, network): the outbox retries it with backoff. */
export class RetryableSendError extends Error {
  constructor(message: string, readonly retryAfterMs?: number) {
    super(message);
  }
}

/** A send that can never work (unknown recipient): the outbox marks it failed at once. */
export class PermanentSendError extends Error {}
