/**
 * Changing a child's record from the console: the record's fields (with a history entry saying who changed what)
 * and the pairing teacher (代理家长) within the load rules: an active staff member of the child's school, with room
 * left under their 最多帮扶人数. Who may do it is the caller's business (web/childRoutes.ts); the rules are here.
 */
import { Types } from 'mongoose';
import { z } from 'zod';
import { setAndUnset } from '../models/bulk';
import { Child } from '../models/child';
import { Pairing } from '../models/pairing';
import { Staff } from '../models/staff';

export const childChanges = z.object({
  gender: z.enum(['male', 'female']).nullable().optional(),
  studentNo: z.string().trim().max(32).nullable().optional(),
  leftBehind: z.enum(['both', 'father', 'mother', 'single_parent']).nullable().optional(),
  livingWith: z.enum(['grandparents', 'relatives', 'proxy', 'alone', 'father', 'mother']).nullable().optional(),
  boarding: z.boolean().optional(),
  priority: z.boolean().optional(),
  /** A child who returned to their parents, moved school or graduated leaves the lists and the rhythm. */
  status: z.enum(['active', 'returned', 'transferred', 'graduated']).optional(),
}).strict();
export type ChildChanges = z.infer<typeof childChanges>;

/** Applies the changes that differ from the record; returns the names of the fields changed. */
export async function updateChildRecord(orgId: string, childId: Types.ObjectId, changes: ChildChanges, now: Date, by: string): Promise<string[]> {
  const child = await Child.findOne({ orgId, _id: childId }).lean();
  if (!child) return [];
  const current = child as unknown as Record<string, unknown>;
  const changed = Object.entries(changes).filter(([k, v]) => (current[k] ?? null) !== (v ?? null)).map(([k]) => k);
  if (!changed.length) return [];
  await Child.updateOne({ _id: childId }, {
    ...setAndUnset(changes, changed),
    $push: { history: { at: now, source: `console:${by}`, changed } },
  } as never);
  return changed;
}

/** The schools' rule: a party member pairs at least two children. A re-pairing that leaves one with fewer says so. */
interface RepairWarning { code: 'party_member_below_two'; teacher: string; pairs: number }

export type RepairResult =
  | { ok: true; teacher: { name: string; wecomUserId: string }; unchanged: boolean; warnings: RepairWarning[] }
  | { ok: false; reason: 'no_teacher' | 'other_school' | 'full'; max?: number };

/** Makes `wecomUserId` the child's pairing teacher: ends the current pairing and starts a new one. */
export async function repairChild(orgId: string, childId: Types.ObjectId, wecomUserId: string, now: Date): Promise<RepairResult> {
  const [child, teacher] = await Promise.all([
    Child.findOne({ orgId, _id: childId }, { schoolId: 1 }).lean(),
    Staff.findOne({ orgId, wecomUserId, active: true }).lean(),
  ]);
  if (!child || !teacher || teacher.role === 'county') return { ok: false, reason: 'no_teacher' };
  const schools = [teacher.schoolId, ...(teacher.posts ?? []).map((p) => p.schoolId)].map(String);
  if (!schools.includes(String(child.schoolId))) return { ok: false, reason: 'other_school' };
  const current = await Pairing.find({ orgId, childId, until: { $exists: false } }).lean();
  const who = { name: teacher.name, wecomUserId: teacher.wecomUserId };
  if (current.some((p) => String(p.teacherId) === String(teacher._id))) return { ok: true, teacher: who, unchanged: true, warnings: [] };
  const load = await Pairing.countDocuments({ orgId, teacherId: teacher._id, until: { $exists: false } });
  const max = teacher.maxChildren ?? 3;
  if (load >= max) return { ok: false, reason: 'full', max };
  // New pairing first: a crash between the two writes leaves two current pairings (readers take the latest), never none.
  await Pairing.create({ orgId, childId, teacherId: teacher._id, from: now, proposed: false });
  if (current.length) await Pairing.updateMany({ _id: { $in: current.map((p) => p._id) } }, { $set: { until: now } });
  const warnings: RepairWarning[] = [];
  for (const former of await Staff.find({ orgId, _id: { $in: current.map((p) => p.teacherId) }, isPartyMember: true, active: true }).lean()) {
    const pairs = await Pairing.countDocuments({ orgId, teacherId: former._id, until: { $exists: false } });
    if (pairs < 2) warnings.push({ code: 'party_member_below_two', teacher: former.name, pairs });
  }
  return { ok: true, teacher: who, unchanged: false, warnings };
}
