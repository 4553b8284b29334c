import { Schema, model, Types } from 'mongoose';
import { Claim, claimOnce } from './claim';
import { Staff } from './staff';
import { countWrites } from './writeCounts';

/** The one room every school defaulted to before each had its own; a file or the admin may still name it. */
export const SHARED_TEACHER_ROOM = 'teachers';

/**
 * A school's own teachers' room when nobody named one: from its id, so it is stable, never another school's, and a
 * valid room name anywhere (WECOM_AIBOT_ROOMS refuses spaces, which school names may have).
 */
export function defaultTeacherRoom(schoolId: unknown): string {
  return `${SHARED_TEACHER_ROOM}:${String(schoolId)}`;
}

const familyCallSchema = new Schema({ weekday: { type: Number, min: 0, max: 6 }, time: String }, { _id: false });

const schoolSchema = new Schema({
  orgId: { type: String, required: true },
  name: { type: String, required: true },
  /** Group chat address where this school's concerns are posted (GET /api/schools lists it). */
  teacherRoom: {
    type: String,
    // A school created without one gets its own, so no code path can put two schools in one room by default.
    default(this: { _id?: unknown } | undefined) { return this?._id ? defaultTeacherRoom(this._id) : undefined; },
  },
  showTeacherPhone: { type: Boolean, default: false },
  /** Whether staff see families' phone numbers on a child's page (never in lists). */
  showFamilyPhone: { type: Boolean, default: false },
  /** School default for the weekly family call (亲情电话); a child's own slot wins. */
  familyCall: { type: familyCallSchema, default: undefined },
}, { timestamps: true });
schoolSchema.index({ orgId: 1, name: 1 }, { unique: true });

countWrites(schoolSchema, 'School'); // domain/rosterSnapshot.ts keeps a copy
export const School = model('School', schoolSchema);
export type SchoolId = Types.ObjectId;

/**
 * Data from before each school had its own room: when several schools of the org still share the old default
 * `teachers`, each gets its own (their teachers saw each other's cases). A lone school keeps it: nobody else's
 * teachers are there, and its group chat may be set up under that name. Runs once per org (a claim marks it done),
 * so a room the admin names afterwards — `teachers` included — stays their choice. Returns the schools it moved, so
 * the caller can say which rooms to map to their group chats.
 */
export async function separateSharedTeacherRooms(orgId: string, now: Date): Promise<Array<{ school: string; room: string }>> {
  const key = `migration:separateTeacherRooms:${orgId}`;
  if (await Claim.exists({ _id: key })) return [];
  const legacy = { $in: [SHARED_TEACHER_ROOM, null] };
  const shared = await School.find({ orgId, teacherRoom: legacy }, { _id: 1, name: 1 }).lean();
  const moved = shared.length > 1 ? shared : [];
  for (const s of moved) {
    const room = defaultTeacherRoom(s._id);
    // Idempotent writes: two instances starting at once, or a crash before the claim, just write the same again.
    await School.updateOne({ _id: s._id, teacherRoom: legacy }, { $set: { teacherRoom: room } });
    await Staff.updateMany({ orgId, schoolId: s._id, teacherRoom: legacy }, { $set: { teacherRoom: room } });
  }
  await claimOnce(key, now);
  return moved.map((s) => ({ school: s.name, room: defaultTeacherRoom(s._id) }));
}
