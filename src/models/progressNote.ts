import { Schema, model } from 'mongoose';

const progressNoteSchema = new Schema({
  orgId: { type: String, required: true },
  childId: { type: Schema.Types.ObjectId, ref: 'Child', required: true },
  teacherId: { type: Schema.Types.ObjectId, ref: 'Staff', required: true },
  /** YYYY-MM */
  period: { type: String, required: true },
  study: String,
  life: String,
  mood: String,
  health: String,
  text: String,
  status: { type: String, enum: ['draft', 'submitted', 'sent'], default: 'draft' },
  submittedAt: Date,
  sentAt: Date,
}, { timestamps: true });
progressNoteSchema.index({ orgId: 1, childId: 1, period: 1 }, { unique: true });

export const ProgressNote = model('ProgressNote', progressNoteSchema);
