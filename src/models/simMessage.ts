import { Schema, model } from 'mongoose';

/** What the simulator channel "delivered": the inboxes behind GET /sim/inbox/:address. */
const simMessageSchema = new Schema({
  orgId: { type: String, required: true },
  to: { type: String, required: true },
  room: String,
  text: { type: String, required: true },
  /** Media id of a forwarded voice message. */
  voice: String,
  /** A recording of the text (src/speech): its cache hash and length. */
  audio: { type: new Schema({ hash: String, seconds: Number }, { _id: false }), default: undefined },
  mentions: { type: [String], default: undefined },
  style: String,
  at: { type: Date, required: true },
  outboxKey: { type: String, required: true },
});
simMessageSchema.index({ orgId: 1, to: 1, at: 1 });
simMessageSchema.index({ orgId: 1, outboxKey: 1 }, { unique: true });

export const SimMessage = model('SimMessage', simMessageSchema);
