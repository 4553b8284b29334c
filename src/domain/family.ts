/** A child's family on the roster: which of its members are bound to an address. */
import { FamilyMember } from '../models/familyMember';

/** How many of the child's family members are bound (can be reached by the bot). */
export async function boundMemberCount(orgId: string, childId: unknown): Promise<number> {
  return FamilyMember.countDocuments({ orgId, childId, boundAddress: { $exists: true, $nin: [null, ''] } });
}
