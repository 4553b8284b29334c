import { Schema, model, InferSchemaType, HydratedDocument } from 'mongoose';

const concernMessageSchema = new Schema({
  at: { type: Date, required: true },
  from: { type: String, required: true },
  direction: { type: String, enum: ['family', 'staff', 'system'], required: true },
  text: String,
  voiceMediaId: String,
}, { _id: false });

/** One timestamped step of the ladder: who was told what, when. */
const ladderStepSchema = new Schema({
  step: { type: String, required: true },
  at: { type: Date, required: true },
  to: { type: [String], default: [] },
}, { _id: false });

/** A notice the emergency rule requires by a deadline (incidents, urgent cases): its delivery time is the outbox's. */
const requiredNoticeSchema = new Schema({
  role: { type: String, required: true },
  name: String,
  to: String,
  key: String,
  deadline: { type: Date, required: true },
  /** Set when nobody can be reached through the bot (not bound): the school must phone. */
  unreachable: Boolean,
}, { _id: false });

/** A case with a short number per org (#27), owned until it is closed. */
const concernSchema = new Schema({
  orgId: { type: String, required: true },
  number: { type: Number, required: true },
  childId: { type: Schema.Types.ObjectId, ref: 'Child', required: true },
  schoolId: { type: Schema.Types.ObjectId, ref: 'School' },
  raisedBy: { type: String, required: true },
  raisedByRole: { type: String, enum: ['father', 'mother', 'guardian', 'staff'], required: true },
  teacherId: { type: Schema.Types.ObjectId, ref: 'Staff' },
  category: { type: String, enum: ['health', 'safety', 'study', 'mood', 'family', 'other'], default: 'other' },
  urgency: { type: String, enum: ['normal', 'urgent'], default: 'normal' },
  /** Reported by the school itself (紧急 …), not raised by a family. */
  incident: { type: Boolean, default: false },
  status: { type: String, enum: ['open', 'acknowledged', 'resolved', 'escalated'], default: 'open' },
  messages: { type: [concernMessageSchema], default: [] },
  ladder: { type: [ladderStepSchema], default: [] },
  requiredNotices: { type: [requiredNoticeSchema], default: [] },
  openedAt: { type: Date, required: true },
  acknowledgedAt: Date,
  acknowledgedBy: String,
  resolvedAt: Date,
  resolution: String,
}, { timestamps: true });
concernSchema.index({ orgId: 1, number: 1 }, { unique: true });
concernSchema.index({ orgId: 1, status: 1 });
concernSchema.index({ orgId: 1, raisedBy: 1, status: 1 });

export const Concern = model('Concern', concernSchema);
export type ConcernDoc = HydratedDocument<InferSchemaType<typeof concernSchema>>;

export const OPEN_STATUSES = ['open', 'acknowledged', 'escalated'] as const;

/**
 * The schools' rule for an urgent case, in minutes after it was opened: the guardian is told within 30 min, the
 * parents within 1 h, the principal and moral-education director within 2 h. One place for the ladder and the API.
 */
export const URGENT_NOTICE_MINUTES = { guardian: 30, father: 60, mother: 60, leadership: 120 } as const;

export function urgentNoticeDeadline(openedAt: Date, who: keyof typeof URGENT_NOTICE_MINUTES): Date {
  return new Date(openedAt.getTime() + URGENT_NOTICE_MINUTES[who] * 60_000);
}
