/** Who is paired with whom now: a teacher's current children (代理家长 / 帮扶教师). */
import { Types } from 'mongoose';
import { Child, ChildDoc } from '../models/child';
import { currentTeacherId, Pairing } from '../models/pairing';
import { Staff, StaffDoc } from '../models/staff';
import { activePupils } from './roster';

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

/** Every teacher's currently paired, active children (id and name, by name): teacher id → children. */
export async function pairedChildrenByTeacher(orgId: string): Promise<Map<string, Array<{ id: string; name: string }>>> {
  const [pairings, children] = await Promise.all([
    currentPairings(orgId),
    activePupils(orgId),
  ]);
  const nameOf = new Map(children.map((c) => [c.id, c.name]));
  const out = new Map<string, Array<{ id: string; name: string }>>();
  for (const p of pairings) {
    const name = nameOf.get(String(p.childId));
    if (!name) continue;
    const teacherId = String(p.teacherId);
    out.set(teacherId, [...(out.get(teacherId) ?? []), { id: String(p.childId), name }]);
  }
  for (const list of out.values()) list.sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
  return out;
}
