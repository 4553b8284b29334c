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
  /** The simulator message this one answers (a reply's `replyTo`): what `POST /sim/messages` returns. */
  inReplyTo: String,
});
simMessageSchema.index({ orgId: 1, to: 1, at: 1 });
simMessageSchema.index({ orgId: 1, outboxKey: 1 }, { unique: true });
// An equality: the key-prefix regex it replaced read every message the simulator ever sent, for each message in.
simMessageSchema.index({ orgId: 1, inReplyTo: 1 });

export const SimMessage = model('SimMessage', simMessageSchema);
