import { Schema, model } from 'mongoose';

/** "Lost my card": a match on child name + birth date + own phone, waiting for the pairing teacher's 同意/拒绝. */
const bindRequestSchema = new Schema({
  orgId: { type: String, required: true },
  number: { type: Number, required: true },
  address: { type: String, required: true },
  displayName: String,
  childId: { type: Schema.Types.ObjectId, ref: 'Child', required: true },
  memberId: { type: Schema.Types.ObjectId, ref: 'FamilyMember', required: true },
  teacherId: { type: Schema.Types.ObjectId, ref: 'Staff', required: true },
  status: { type: String, enum: ['pending', 'approved', 'rejected'], default: 'pending' },
  requestedAt: { type: Date, required: true },
  decidedAt: Date,
}, { timestamps: true });
bindRequestSchema.index({ orgId: 1, number: 1 }, { unique: true });
bindRequestSchema.index({ orgId: 1, teacherId: 1, status: 1 });

export const BindRequest = model('BindRequest', bindRequestSchema);
