import { Schema, model, InferSchemaType, HydratedDocument } from 'mongoose';

export const STAFF_ROLES = ['teacher', 'head_teacher', 'principal', 'moral_director', 'counselor', 'county'] as const;
export type StaffRole = typeof STAFF_ROLES[number];

/** A further row of the staff file for the same person in another school (their scope is the union). */
const postSchema = new Schema({
  schoolId: { type: Schema.Types.ObjectId, ref: 'School', required: true },
  role: { type: String, enum: STAFF_ROLES, default: 'teacher' },
  classroomId: { type: Schema.Types.ObjectId, ref: 'Classroom' },
}, { _id: false });

const staffSchema = new Schema({
  orgId: { type: String, required: true },
  schoolId: { type: Schema.Types.ObjectId, ref: 'School', required: true },
  name: { type: String, required: true },
  /** Their address on every channel. */
  wecomUserId: { type: String, required: true },
  phone: String,
  role: { type: String, enum: STAFF_ROLES, default: 'teacher' },
  classroomId: { type: Schema.Types.ObjectId, ref: 'Classroom' },
  isPartyMember: { type: Boolean, default: false },
  maxChildren: { type: Number, default: 3 },
  /** Their school's room, or the one their row of the staff file named. */
  teacherRoom: String,
  active: { type: Boolean, default: true },
  /** Posts in other schools (rows of the staff file after the first for this userid). */
  posts: { type: [postSchema], default: undefined },
}, { timestamps: true });
staffSchema.index({ orgId: 1, wecomUserId: 1 }, { unique: true });

export const Staff = model('Staff', staffSchema);
export type StaffDoc = HydratedDocument<InferSchemaType<typeof staffSchema>>;
