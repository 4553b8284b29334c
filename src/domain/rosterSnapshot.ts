/**
 * The org's roster as the scheduled jobs read it every minute (call reminders, birthdays, letters, pairings, missing
 * notes) and
 * a family's question checks it for other pupils' names: the active children with their schools' call slots, and
 * the family members bound to an address. Read whole, then kept until a write to those collections in this
 * process (models/writeCounts.ts) or, for writes by another instance, REFRESH_MS of real time. At county size
 * (20,000 children, 60,000 members) reading them afresh for each job each minute kept FerretDB busy for most of
 * the minute, and slowed every message and send meanwhile.
 */
import { Child } from '../models/child';
import { FamilyMember } from '../models/familyMember';
import { School } from '../models/school';
import { writeCount } from '../models/writeCounts';

/** How long a snapshot is used when nothing in this process wrote to its collections (another instance may have). */
const REFRESH_MS = 2 * 60_000;

export type SlotLike = { weekday?: number | null; time?: string | null } | null | undefined;
interface RosterChild { id: string; name: string; birthDate?: string; schoolId?: string; classroomId?: string; familyCall?: SlotLike }
export interface RosterChildren {
  /** Active children, in the database's order. */
  children: RosterChild[];
  /** The schools' default call slots, by school id. */
  schoolSlots: Map<string, SlotLike>;
  /** The names of the active children. */
  names: Set<string>;
}
export interface BoundMember { childId: string; memberId: string; address: string; role: string }

interface Entry<T> { value: Promise<T>; writes: number; at: number }

function cached<T>(models: readonly string[], read: (orgId: string) => Promise<T>): (orgId: string) => Promise<T> {
  const byOrg = new Map<string, Entry<T>>();
  return (orgId) => {
    const writes = writeCount(models);
    const hit = byOrg.get(orgId);
    // Real time: how old the copy is, whatever the bot's clock says.
    if (hit && hit.writes === writes && Date.now() - hit.at < REFRESH_MS) return hit.value;
    // The count is taken before reading: a write landing during the read makes the next call read again.
    const entry: Entry<T> = { value: read(orgId), writes, at: Date.now() };
    entry.value.catch(() => { if (byOrg.get(orgId) === entry) byOrg.delete(orgId); });
    byOrg.set(orgId, entry);
    return entry.value;
  };
}

/** The org's active children and its schools' call slots. Shared: do not change what it returns. */
export const rosterChildren = cached(['Child', 'School'], async (orgId): Promise<RosterChildren> => {
  const [rows, schools] = await Promise.all([
    Child.find({ orgId, status: 'active' }, { name: 1, birthDate: 1, schoolId: 1, classroomId: 1, familyCall: 1 }).lean(),
    School.find({ orgId }, { familyCall: 1 }).lean(),
  ]);
  const children = rows.map((c) => ({
    id: String(c._id), name: c.name, birthDate: c.birthDate ?? undefined, schoolId: c.schoolId ? String(c.schoolId) : undefined,
    classroomId: c.classroomId ? String(c.classroomId) : undefined,
    familyCall: c.familyCall ?? undefined,
  }));
  return {
    children,
    schoolSlots: new Map(schools.map((s) => [String(s._id), s.familyCall ?? undefined])),
    names: new Set(children.map((c) => c.name)),
  };
});

/** The org's family members bound to an address, in the database's order. Shared: do not change what it returns. */
export const boundFamily = cached(['FamilyMember'], async (orgId): Promise<BoundMember[]> => {
  const members = await FamilyMember.find({ orgId, boundAddress: { $exists: true } }, { childId: 1, role: 1, boundAddress: 1 }).lean();
  return members.filter((m) => m.boundAddress)
    .map((m) => ({ childId: String(m.childId), memberId: String(m._id), address: m.boundAddress!, role: m.role }));
});
