import { Schema, model, InferSchemaType, HydratedDocument } from 'mongoose';

/**
 * Nothing sends directly: every outbound message is one document here with a unique idempotency key
 * (e.g. `reply:simulator:MSGID:0`, `note:2026-11:CHILD:PARENT`). Inserting the same key twice is a no-op.
 */
const outboxSchema = new Schema({
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
  urgent: { type: Boolean, default: false },
  status: { type: String, enum: ['pending', 'sending', 'sent', 'failed'], default: 'pending' },
  attempts: { type: Number, default: 0 },
  /** Not before this time (quiet hours, retry backoff). */
  dueAt: { type: Date, required: true },
  lockedUntil: Date,
  sentAt: Date,
  route: String,
  claimedBy: String,
  lastError: String,
}, { timestamps: true });
outboxSchema.index({ orgId: 1, key: 1 }, { unique: true });
// Delivery's page of due messages, crashed sends to take over, and "an older message to this address first".
outboxSchema.index({ status: 1, dueAt: 1 });
outboxSchema.index({ status: 1, lockedUntil: 1 });
outboxSchema.index({ orgId: 1, to: 1, status: 1 });
outboxSchema.index({ orgId: 1, inReplyTo: 1 });
outboxSchema.index({ orgId: 1, platformMsgId: 1 });

export const Outbox = model('Outbox', outboxSchema);
export type OutboxDoc = HydratedDocument<InferSchemaType<typeof outboxSchema>>;
