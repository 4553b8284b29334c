/** A child's family on the roster: which of its members are bound to an address. */
import { FamilyMember } from '../models/familyMember';
import { boundFamily, BoundMember } from './rosterSnapshot';

/** How many of the child's family members are bound (can be reached by the bot). */
export async function boundMemberCount(orgId: string, childId: unknown): Promise<number> {
  return FamilyMember.countDocuments({ orgId, childId, boundAddress: { $exists: true, $nin: [null, ''] } });
}

export type { BoundMember };

const PARENTS = ['father', 'mother'];

/** True for a father or mother (a guardian is not a parent). */
export function isParent(m: { role: string }): boolean {
  return PARENTS.includes(m.role);
}

/**
 * The org's family members bound to an address (optionally only fathers and mothers), in the database's order:
 * from the roster snapshot the jobs share (rosterSnapshot.ts).
 */
export async function boundMembers(orgId: string, only: { parents?: boolean } = {}): Promise<BoundMember[]> {
  const members = await boundFamily(orgId);
  return only.parents ? members.filter(isParent) : [...members];
}
