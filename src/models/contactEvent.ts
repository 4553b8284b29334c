import { Schema, model } from 'mongoose';

export const CONTACT_KINDS = ['talk', 'family_call', 'teacher_call', 'letter', 'home_visit', 'consolation', 'meeting'] as const;

const contactEventSchema = new Schema({
  orgId: { type: String, required: true },
  childId: { type: Schema.Types.ObjectId, ref: 'Child', required: true },
  kind: { type: String, enum: CONTACT_KINDS, required: true },
  staffId: { type: Schema.Types.ObjectId, ref: 'Staff' },
  withWhom: String,
  at: { type: Date, required: true },
  note: String,
  /** family_call: whether the weekly call happened ('done' wins when the two parents answer differently). */
  outcome: { type: String, enum: ['done', 'missed'] },
  /** family_call: false when nobody answered the "did the call happen?" question (counted as missed). */
  answered: Boolean,
  /** Idempotency: the same logged contact is stored once. */
  key: { type: String, required: true },
}, { timestamps: true });
contactEventSchema.index({ orgId: 1, key: 1 }, { unique: true });
contactEventSchema.index({ orgId: 1, childId: 1, kind: 1, at: -1 });

export const ContactEvent = model('ContactEvent', contactEventSchema);
