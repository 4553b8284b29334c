import { Schema, model } from 'mongoose';

const concernMessageSchema = new Schema({
  at: { type: Date, required: true },
  from: { type: String, required: true },
  direction: { type: String, enum: ['family', 'staff', 'system'], required: true },
  text: String,
}, { _id: false });

/** A case with a short number per org (#27), owned until it is closed. */
const concernSchema = new Schema({
  orgId: { type: String, required: true },
  number: { type: Number, required: true },
  childId: { type: Schema.Types.ObjectId, ref: 'Child', required: true },
  raisedBy: { type: String, required: true },
  raisedByRole: { type: String, enum: ['father', 'mother', 'guardian', 'staff'], required: true },
  teacherId: { type: Schema.Types.ObjectId, ref: 'Staff' },
  category: { type: String, default: 'other' },
  urgency: { type: String, enum: ['normal', 'urgent'], default: 'normal' },
  status: { type: String, enum: ['open', 'acknowledged', 'resolved', 'escalated'], default: 'open' },
  messages: { type: [concernMessageSchema], default: [] },
  openedAt: { type: Date, required: true },
}, { timestamps: true });
concernSchema.index({ orgId: 1, number: 1 }, { unique: true });
concernSchema.index({ orgId: 1, status: 1 });

export const Concern = model('Concern', concernSchema);
