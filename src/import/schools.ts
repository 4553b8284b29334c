/** Schools and classes are created on first mention by an import; a dry run only looks them up. */
import { Types } from 'mongoose';
import { Classroom } from '../models/classroom';
import { defaultTeacherRoom, School } from '../models/school';

/** The school's id if it exists; never creates it (for checks made before a row writes anything). */
export async function findSchoolId(orgId: string, name: string): Promise<Types.ObjectId | undefined> {
  return (await School.findOne({ orgId, name }, { _id: 1 }).lean())?._id;
}

export async function schoolIdFor(orgId: string, name: string, dryRun: boolean, defaults: { showTeacherPhone: boolean; teacherRoom?: string }): Promise<Types.ObjectId | undefined> {
  const existing = await findSchoolId(orgId, name);
  if (existing || dryRun) return existing;
  const _id = new Types.ObjectId();
  const doc = await School.findOneAndUpdate(
    { orgId, name },
    { $setOnInsert: { _id, orgId, name, showTeacherPhone: defaults.showTeacherPhone, teacherRoom: defaults.teacherRoom ?? defaultTeacherRoom(_id) } },
    { upsert: true, new: true },
  );
  return doc!._id;
}

export async function classroomIdFor(orgId: string, schoolId: Types.ObjectId | undefined, name: string, dryRun: boolean): Promise<Types.ObjectId | undefined> {
  if (!schoolId) return undefined;
  const existing = await Classroom.findOne({ orgId, schoolId, name }).lean();
  if (existing || dryRun) return existing?._id;
  const doc = await Classroom.findOneAndUpdate({ orgId, schoolId, name }, { $setOnInsert: { orgId, schoolId, name } }, { upsert: true, new: true });
  return doc!._id;
}
