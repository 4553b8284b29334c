import { Schema, model, Types } from 'mongoose';

const familyCallSchema = new Schema({ weekday: { type: Number, min: 0, max: 6 }, time: String }, { _id: false });

const schoolSchema = new Schema({
  orgId: { type: String, required: true },
  name: { type: String, required: true },
  /** Group chat address where this school's concerns are posted. */
  teacherRoom: { type: String, default: 'teachers' },
  showTeacherPhone: { type: Boolean, default: false },
  /** School default for the weekly family call (亲情电话); a child's own slot wins. */
  familyCall: { type: familyCallSchema, default: undefined },
}, { timestamps: true });
schoolSchema.index({ orgId: 1, name: 1 }, { unique: true });

export const School = model('School', schoolSchema);
export type SchoolId = Types.ObjectId;
