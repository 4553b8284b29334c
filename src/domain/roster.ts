/** Finding pupils on the roster by the names people write: only active children, only of the org (or the schools) asked. */
import { Child, ChildDoc } from '../models/child';
import { StaffDoc, staffSchoolIds } from '../models/staff';
import { findByValues } from '../models/manyValues';
import { rosterChildren } from './rosterSnapshot';

/**
 * True when one of `names` is an active pupil of the org who is not one of `ownIds`. The candidates (every 2–4
 * character run of a message, ~1,800 for a long one) are checked against the roster snapshot's names first: on
 * FerretDB their `$in` read all the county's children for each family message.
 */
export async function namesAnotherPupil(orgId: string, names: string[], ownIds: unknown[]): Promise<boolean> {
  const known = (await rosterChildren(orgId)).names;
  const named = names.filter((n) => known.has(n));
  if (!named.length) return false;
  const own = new Set(ownIds.map(String));
  const pupils = await findByValues(Child, named, (name) => Child.find({ orgId, name, status: 'active' }, { _id: 1 }).lean());
  return pupils.some((c) => !own.has(String(c._id)));
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

/** The org's active children: id, name and birth date (YYYY-MM-DD, when known), in the database's order (rosterSnapshot.ts). */
export async function activePupils(orgId: string): Promise<ActivePupil[]> {
  return (await rosterChildren(orgId)).children.map((c) => ({ id: c.id, name: c.name, birthDate: c.birthDate }));
}
