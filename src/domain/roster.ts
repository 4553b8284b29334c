/** Finding pupils on the roster by the names people write: only active children, only of the org (or the schools) asked. */
import { Child, ChildDoc } from '../models/child';
import { StaffDoc, staffSchoolIds } from '../models/staff';

/** True when one of `names` is an active pupil of the org who is not one of `ownIds` (one indexed lookup: {orgId, name}). */
export async function namesAnotherPupil(orgId: string, names: string[], ownIds: unknown[]): Promise<boolean> {
  if (!names.length) return false;
  const own = new Set(ownIds.map(String));
  const named = await Child.find({ orgId, name: { $in: names }, status: 'active' }, { _id: 1 }).lean();
  return named.some((c) => !own.has(String(c._id)));
}

/** The schools a staff member holds a post in; county staff (no school) have none. */
function schoolFilter(staff: StaffDoc): unknown {
  const ids = staffSchoolIds(staff);
  return ids.length === 1 ? ids[0] : { $in: ids };
}

/** The active pupils with exactly this name in the schools where `staff` holds a post. */
export function pupilsNamed(orgId: string, staff: StaffDoc, name: string): Promise<ChildDoc[]> {
  return Child.find({ orgId, schoolId: schoolFilter(staff), name, status: 'active' });
}

/** The names of the active pupils in the schools where `staff` holds a post. */
export async function pupilNames(orgId: string, staff: StaffDoc): Promise<string[]> {
  const all = await Child.find({ orgId, schoolId: schoolFilter(staff), status: 'active' }, { name: 1 }).lean();
  return all.map((c) => c.name);
}

export interface ActivePupil { id: string; name: string; birthDate?: string }

/** The org's active children: id, name and birth date (YYYY-MM-DD, when known), in the database's order. */
export async function activePupils(orgId: string): Promise<ActivePupil[]> {
  const rows = await Child.find({ orgId, status: 'active' }, { name: 1, birthDate: 1 }).lean();
  return rows.map((c) => ({ id: String(c._id), name: c.name, birthDate: c.birthDate ?? undefined }));
}
