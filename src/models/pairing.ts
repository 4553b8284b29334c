import { Schema, model } from 'mongoose';

/** Child ↔ proxy-parent teacher (代理家长). The current one has no `until`. */
const pairingSchema = new Schema({
  orgId: { type: String, required: true },
  childId: { type: Schema.Types.ObjectId, ref: 'Child', required: true },
  teacherId: { type: Schema.Types.ObjectId, ref: 'Staff', required: true },
  from: { type: Date, required: true },
  until: Date,
  /** Chosen by the bot because the roster left the teacher blank; staff may change it. */
  proposed: { type: Boolean, default: false },
}, { timestamps: true });
pairingSchema.index({ orgId: 1, childId: 1, until: 1 });
pairingSchema.index({ orgId: 1, teacherId: 1, until: 1 });

export const Pairing = model('Pairing', pairingSchema);

/** The child's current proxy-parent teacher, if any. */
export async function currentTeacherId(orgId: string, childId: unknown): Promise<unknown | undefined> {
  const p = await Pairing.findOne({ orgId, childId, until: { $exists: false } }).sort({ from: -1 }).lean();
  return p?.teacherId;
}
