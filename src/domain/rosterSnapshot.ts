/**
 * The org's roster as the scheduled jobs read it every minute (call reminders, birthdays, letters, pairings, missing
 * notes) and
 * a family's question checks it for other pupils' names: the active children with their schools' call slots, and
 * the family members bound to an address. Read whole, then kept until a write to those collections by any
 * instance (models/snapshot.ts). At county size
 * (20,000 children, 60,000 members) reading them afresh for each job each minute kept FerretDB busy for most of
 * the minute, and slowed every message and send meanwhile.
 */
import { boundMemberFacts } from '../models/boundMembers';
import { Child } from '../models/child';
import { School } from '../models/school';
import { snapshot } from '../models/snapshot';

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

/** The org's active children and its schools' call slots. Shared: do not change what it returns. */
export const rosterChildren = snapshot(['Child', 'School'], async (orgId): Promise<RosterChildren> => {
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

/** The org's family members bound to an address, in the database's order (models/boundMembers.ts). Shared: do not change what it returns. */
export const boundFamily: (orgId: string) => Promise<BoundMember[]> = boundMemberFacts;
