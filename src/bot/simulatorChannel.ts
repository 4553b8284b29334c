/**
 * The embedded default channel: inbound from HTTP `/sim/messages`, outbound recorded as inboxes in the database.
 *
 * The template for a new channel (docs/ARCHITECTURE.md "How to add… a channel"): a `name` (the outbox's route and
 * the routes people write from), `capabilities` (whom it reaches and prefers, rooms, quotes, recordings, a send
 * window — the router decides from these), `start(onMessage)` handing each platform message to the bot as an
 * InboundMessage, `stop`, and `send` turning an OutboundMessage into one platform call, idempotent per `msg.key`
 * (a retry after a crash must not send twice) and returning the platform's message id. A real platform adds: errors
 * as RetryableSendError / PermanentSendError (FallbackSendError when the route is closed for this person), `reach`
 * when whether an address can be reached depends on the person, `servesRoom` for rooms it can post to unasked, and
 * `msg.replyTo` when it answers a message in its own way.
 */
import { SimMessage } from '../models/simMessage';
import type { Clock } from '../clock';
import { Channel, ChannelCapabilities, InboundHandler, InboundMessage, OutboundMessage, SendResult } from './channel';

export interface SimInboxMessage {
  id: string;
  to: string;
  room?: string;
  text: string;
  voice?: string;
  /** A recording of the text: GET `url` (relative to the bot) answers the AMR-NB file. */
  audio?: { url: string; seconds: number };
  mentions?: string[];
  style: string;
  at: string;
}

export class SimulatorChannel implements Channel {
  readonly name = 'simulator';
  /** Anyone, any room; keeps the quoted id, the forwarded recording and the recording of the text as they came. */
  readonly capabilities: ChannelCapabilities = { reaches: ['family', 'staff', 'room'], quotes: true, voice: true, audio: true };
  private onMessage?: InboundHandler;

  constructor(private readonly orgId: string, private readonly clock: Clock) {}

  async start(onMessage: InboundHandler): Promise<void> {
    this.onMessage = onMessage;
  }

  async stop(): Promise<void> {
    this.onMessage = undefined;
  }

  /** Called by the `/sim/messages` route. */
  async receive(msg: InboundMessage): Promise<void> {
    if (!this.onMessage) throw new Error('simulator channel is not started');
    await this.onMessage(msg);
  }

  async send(msg: OutboundMessage): Promise<SendResult> {
    // Keyed by the outbox key, so a retried send after a crash records one message, not two.
    try {
      const doc = await SimMessage.create({
        orgId: this.orgId, to: msg.room ?? msg.to, room: msg.room, text: msg.text, style: msg.style, at: this.clock.now(), outboxKey: msg.key,
        voice: msg.voice?.mediaId, mentions: msg.mentions,
        ...(msg.replyTo?.channel === this.name ? { inReplyTo: msg.replyTo.platformId } : {}),
        ...(msg.audio ? { audio: { hash: msg.audio.hash, seconds: msg.audio.seconds } } : {}),
      });
      return { route: this.name, platformMsgId: String(doc._id) };
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
      const existing = await SimMessage.findOne({ orgId: this.orgId, outboxKey: msg.key }).lean();
      return { route: this.name, platformMsgId: existing ? String(existing._id) : undefined };
    }
  }

  async inbox(address: string): Promise<SimInboxMessage[]> {
    const docs = await SimMessage.find({ orgId: this.orgId, to: address }).sort({ at: 1, _id: 1 }).lean();
    return docs.map(toInboxMessage);
  }

  /** What was delivered in direct answer to an inbound message (reply keys are `reply:simulator:ID:N`, see context.ts). */
  async repliesTo(platformId: string): Promise<SimInboxMessage[]> {
    const docs = await SimMessage.find({ orgId: this.orgId, inReplyTo: platformId }).lean();
    // Pieces in the order they were written (N), not by delivery time.
    const n = (k: string) => Number(k.slice(k.lastIndexOf(':') + 1));
    return docs.sort((a, b) => n(a.outboxKey) - n(b.outboxKey)).map(toInboxMessage);
  }
}

/** Where the simulator serves a recording (src/web/simRoutes.ts). */
function speechUrl(hash: string): string {
  return `/media/speech/${hash}.amr`;
}

function toInboxMessage(d: { _id: unknown; to: string; room?: string | null; text: string; voice?: string | null; audio?: { hash?: string | null; seconds?: number | null } | null; mentions?: string[] | null; style?: string | null; at: Date }): SimInboxMessage {
  return {
    id: String(d._id),
    to: d.to,
    ...(d.room ? { room: d.room } : {}),
    text: d.text,
    ...(d.voice ? { voice: d.voice } : {}),
    ...(d.audio?.hash ? { audio: { url: speechUrl(d.audio.hash), seconds: d.audio.seconds ?? 0 } } : {}),
    ...(d.mentions?.length ? { mentions: d.mentions } : {}),
    style: d.style ?? 'text',
    at: d.at.toISOString(),
  };
}
