import { Schema, model, InferSchemaType, HydratedDocument } from 'mongoose';

/** The one open multi-step dialog of an address; expired states are ignored (not relying on TTL). */
const conversationStateSchema = new Schema({
  orgId: { type: String, required: true },
  address: { type: String, required: true },
  kind: { type: String, required: true },
  data: { type: Schema.Types.Mixed, default: {} },
  expiresAt: { type: Date, required: true },
}, { timestamps: true, minimize: false });
conversationStateSchema.index({ orgId: 1, address: 1 }, { unique: true });

export const ConversationState = model('ConversationState', conversationStateSchema);
export type ConversationStateDoc = HydratedDocument<InferSchemaType<typeof conversationStateSchema>>;
