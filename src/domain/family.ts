/** A child's family on the roster: which of its members are bound to an address. */
import { FamilyMember } from '../models/familyMember';

/** How many of the child's family members are bound (can be reached by the bot). */
export async function boundMemberCount(orgId: string, childId: unknown): Promise<number> {
  return FamilyMember.countDocuments({ orgId, childId, boundAddress: { $exists: true, $nin: [null, ''] } });
}

export interface BoundMember { childId: string; memberId: string; address: string; role: string }

const PARENTS = ['father', 'mother'];

/** True for a father or mother (a guardian is not a parent). */
export function isParent(m: { role: string }): boolean {
  return PARENTS.includes(m.role);
}

/** The org's family members bound to an address (optionally only fathers and mothers), in the database's order. */
export async function boundMembers(orgId: string, only: { parents?: boolean } = {}): Promise<BoundMember[]> {
  const members = await FamilyMember.find({ orgId, boundAddress: { $exists: true }, ...(only.parents ? { role: { $in: PARENTS } } : {}) },
    { childId: 1, role: 1, boundAddress: 1 }).lean();
  return members.filter((m) => m.boundAddress).map((m) => ({ childId: String(m.childId), memberId: String(m._id), address: m.boundAddress!, role: m.role }));
}
