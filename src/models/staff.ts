import { Schema, model, InferSchemaType, HydratedDocument, Types } from 'mongoose';

export const STAFF_ROLES = ['teacher', 'head_teacher', 'principal', 'moral_director', 'counselor', 'county'] as const;
export type StaffRole = typeof STAFF_ROLES[number];

/**
 * County staff (教育局) belong to no school: their records have no schoolId (a school document for the county
 * office would show up among the schools). Every other role needs one.
 */
function needsSchool(this: { role?: string | null }): boolean {
  return this.role !== 'county';
}

/** A further row of the staff file for the same person in another school (their scope is the union). */
const postSchema = new Schema({
  schoolId: { type: Schema.Types.ObjectId, ref: 'School', required: needsSchool },
  role: { type: String, enum: STAFF_ROLES, default: 'teacher' },
  classroomId: { type: Schema.Types.ObjectId, ref: 'Classroom' },
}, { _id: false });

const staffSchema = new Schema({
  orgId: { type: String, required: true },
  /** Absent for county staff (role 'county'): they belong to no school. */
  schoolId: { type: Schema.Types.ObjectId, ref: 'School', required: needsSchool },
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

/** One post of a staff member: the primary one (the record's own schoolId/role/classroomId) or one of `posts`. */
export interface StaffPost { schoolId?: Types.ObjectId | null; role?: string | null; classroomId?: Types.ObjectId | null }

/** Every post of a staff member, the primary one first. */
export function postsOf(staff: StaffPost & { posts?: StaffPost[] | null }): StaffPost[] {
  return [{ schoolId: staff.schoolId, role: staff.role, classroomId: staff.classroomId }, ...(staff.posts ?? [])];
}

/** The schools a staff member holds a post in (none for county-only staff), as id strings. */
export function staffSchoolIds(staff: StaffPost & { posts?: StaffPost[] | null }): string[] {
  return [...new Set(postsOf(staff).flatMap((p) => (p.schoolId ? [String(p.schoolId)] : [])))];
}

/** Whether they hold a post in that school with one of `roles` (any role when omitted). */
export function holdsPostIn(staff: StaffPost & { posts?: StaffPost[] | null }, schoolId: unknown, roles?: readonly string[]): boolean {
  return postsOf(staff).some((p) => p.schoolId != null && String(p.schoolId) === String(schoolId) && (!roles || roles.includes(p.role ?? 'teacher')));
}
