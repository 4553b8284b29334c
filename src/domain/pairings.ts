/** Who is paired with whom now: a teacher's current children (代理家长 / 帮扶教师). */
import { Types } from 'mongoose';
import { Child, ChildDoc } from '../models/child';
import { currentTeacherId, Pairing } from '../models/pairing';
import { Staff, StaffDoc } from '../models/staff';

export interface CurrentPairing { childId: Types.ObjectId; teacherId: Types.ObjectId; from: Date }

/** Current pairings (no `until`), one per child (the latest), optionally of one teacher. */
export async function currentPairings(orgId: string, teacherId?: unknown): Promise<CurrentPairing[]> {
  const filter: Record<string, unknown> = { orgId, until: { $exists: false } };
  if (teacherId) filter.teacherId = teacherId;
  const rows = await Pairing.find(filter, { childId: 1, teacherId: 1, from: 1 }).lean();
  const byChild = new Map<string, CurrentPairing>();
  for (const p of rows) {
    const prev = byChild.get(String(p.childId));
    if (!prev || prev.from < p.from) byChild.set(String(p.childId), { childId: p.childId, teacherId: p.teacherId, from: p.from });
  }
  return [...byChild.values()];
}

export interface PairedChild { child: ChildDoc; pairing: CurrentPairing }

/** The teacher's currently paired, active children, by name. */
export async function pairedChildren(orgId: string, teacherId: unknown): Promise<PairedChild[]> {
  const pairings = await currentPairings(orgId, teacherId);
  if (!pairings.length) return [];
  const children = await Child.find({ orgId, _id: { $in: pairings.map((p) => p.childId) }, status: 'active' }).sort({ name: 1 });
  return children.map((child) => ({ child, pairing: pairings.find((p) => String(p.childId) === String(child._id))! }));
}

/** The child's pairing teacher now (or `fallbackId`'s staff member when the child has none), if active. */
export async function activeTeacherOf(orgId: string, childId: unknown, fallbackId?: unknown): Promise<StaffDoc | undefined> {
  const teacherId = (await currentTeacherId(orgId, childId)) ?? fallbackId;
  if (!teacherId) return undefined;
  return (await Staff.findOne({ orgId, _id: teacherId, active: true })) ?? undefined;
}
