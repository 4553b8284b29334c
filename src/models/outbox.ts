import { Schema, model, InferSchemaType, HydratedDocument, Types } from 'mongoose';

/**
 * Nothing sends directly: every outbound message is one document here with a unique idempotency key
 * (e.g. `reply:simulator:MSGID:0`, `note:2026-11:CHILD:PARENT`). Inserting the same key twice is a no-op.
 *
 * Three collections, so that a year of history does not slow today's work (on FerretDB every find scans its
 * collection; on MongoDB every query below is index-served — the list is in src/models/hotQueries.ts):
 * - `outboxes`: the hot queue — messages not yet sent, and sent ones for a day (quotes, replies, the ladder);
 * - `outboxarchives`: sent and failed messages after that (src/bot/outboxArchive.ts moves them);
 * - `outboxkeys`: every key ever used, insert-only, so a key stays used after its message was archived.
 */
const fields = {
  orgId: { type: String, required: true },
  key: { type: String, required: true },
  channel: { type: String, required: true },
  to: { type: String, required: true },
  room: String,
  text: { type: String, required: true },
  style: { type: String, enum: ['text', 'voice'], default: 'text' },
  voiceMediaId: String,
  mentions: { type: [String], default: undefined },
  /** Platform id of the delivered message (quotes refer to it). */
  platformMsgId: String,
  kind: { type: String, default: 'reply' },
  /** The inbound platform message this answers, if any (the simulator returns these as `replies`). */
  inReplyTo: String,
  /** The inbound message whose handling enqueued this one (bot/outbox.ts withCause): its answers go out at once. */
  cause: String,
  /**
   * Messages enqueued together (a page of notes), up to 50 under one value: on FerretDB a write to many of them
   * (released to delivery, removed after sending) is one indexed equality on it instead of one write each.
   */
  batch: String,
  urgent: { type: Boolean, default: false },
  /** `new`: inserted, its key not yet reserved in `outboxkeys` (see bot/outbox.ts); delivery ignores it. */
  status: { type: String, enum: ['new', 'pending', 'sending', 'sent', 'failed'], default: 'pending' },
  attempts: { type: Number, default: 0 },
  /** Not before this time (quiet hours, retry backoff). */
  dueAt: { type: Date, required: true },
  lockedUntil: Date,
  sentAt: Date,
  route: String,
  claimedBy: String,
  lastError: String,
};

const outboxSchema = new Schema(fields, { timestamps: true });
outboxSchema.index({ orgId: 1, key: 1 }, { unique: true });
// Delivery's page of due messages, crashed sends to take over, and "an older message to this address first".
outboxSchema.index({ status: 1, dueAt: 1 });
outboxSchema.index({ status: 1, kind: 1, dueAt: 1 });
outboxSchema.index({ status: 1, lockedUntil: 1 });
outboxSchema.index({ orgId: 1, to: 1, status: 1 });
outboxSchema.index({ cause: 1, status: 1 });
outboxSchema.index({ orgId: 1, platformMsgId: 1 });
// The archiver's "sent or failed before T".
outboxSchema.index({ status: 1, sentAt: 1 });
outboxSchema.index({ batch: 1 });

export const Outbox = model('Outbox', outboxSchema);
export type OutboxDoc = HydratedDocument<InferSchemaType<typeof outboxSchema>>;

/** Sent and failed messages, moved out of the hot queue; same fields, `_id` kept. Read only off the hot path. */
const archiveSchema = new Schema({ ...fields, createdAt: Date, updatedAt: Date, archivedAt: Date });
archiveSchema.index({ orgId: 1, key: 1 }, { unique: true });
archiveSchema.index({ orgId: 1, platformMsgId: 1 });
archiveSchema.index({ orgId: 1, room: 1, sentAt: -1 });
export const OutboxArchive = model('OutboxArchive', archiveSchema);

/** Every idempotency key ever enqueued: `_id` = `${orgId}/${key}`, the message's `_id` beside it. Insert-only. */
const keySchema = new Schema({
  _id: { type: String, required: true },
  outboxId: { type: Schema.Types.ObjectId, required: true },
  at: { type: Date, required: true },
});
export const OutboxKey = model('OutboxKey', keySchema);

export function outboxKeyId(orgId: string, key: string): string {
  return `${orgId}/${key}`;
}

export type OutboxId = Types.ObjectId;
