/** Finding pupils on the roster by the names people write: only active children, only of the org (or the schools) asked. */
import { Child, ChildDoc } from '../models/child';

/** True when one of `names` is an active pupil of the org who is not one of `ownIds` (one indexed lookup: {orgId, name}). */
export async function namesAnotherPupil(orgId: string, names: string[], ownIds: unknown[]): Promise<boolean> {
  if (!names.length) return false;
  const own = new Set(ownIds.map(String));
  const named = await Child.find({ orgId, name: { $in: names }, status: 'active' }, { _id: 1 }).lean();
  return named.some((c) => !own.has(String(c._id)));
}

function schoolFilter(schoolIds: unknown[]): unknown {
  return schoolIds.length === 1 ? schoolIds[0] : { $in: schoolIds };
}

/** The active pupils of these schools with exactly this name. */
export function pupilsNamed(orgId: string, schoolIds: unknown[], name: string): Promise<ChildDoc[]> {
  return Child.find({ orgId, schoolId: schoolFilter(schoolIds), name, status: 'active' });
}

/** The names of the active pupils of these schools. */
export async function pupilNames(orgId: string, schoolIds: unknown[]): Promise<string[]> {
  const all = await Child.find({ orgId, schoolId: schoolFilter(schoolIds), status: 'active' }, { name: 1 }).lean();
  return all.map((c) => c.name);
}
