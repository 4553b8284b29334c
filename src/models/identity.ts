import { Schema, model, InferSchemaType, HydratedDocument } from 'mongoose';
import { countWrites } from './writeCounts';

/** A channel address known to the bot. An address is bound once per org. */
const identitySchema = new Schema({
  orgId: { type: String, required: true },
  address: { type: String, required: true },
  kind: { type: String, enum: ['staff', 'family'], required: true },
  staffId: { type: Schema.Types.ObjectId, ref: 'Staff' },
  displayName: String,
  verifiedVia: { type: String, enum: ['staff_import', 'code', 'teacher_approval'], required: true },
  verifiedAt: { type: Date, required: true },
  /** Unset = the default for this person (voice for old or low-literacy guardians). */
  style: { type: String, enum: ['text', 'voice'] },
  lang: { type: String, enum: ['zh-CN', 'en'] },
}, { timestamps: true });
identitySchema.index({ orgId: 1, address: 1 }, { unique: true });
identitySchema.index({ orgId: 1, staffId: 1 });
countWrites(identitySchema, 'Identity'); // bot/recipientFacts.ts keeps what it read

export const Identity = model('Identity', identitySchema);
export type IdentityDoc = HydratedDocument<InferSchemaType<typeof identitySchema>>;
