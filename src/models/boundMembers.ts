/**
 * The org's family members bound to an address, read whole and shared (snapshot.ts): the scheduled jobs' roster
 * (domain/rosterSnapshot.ts) and the recipients' facts for a month's fan-out (bot/recipientFacts.ts) read the same
 * documents, which at county size (60,000 members) is ~20 s of FerretDB a read — read once for both.
 */
import { FamilyMember } from './familyMember';
import { snapshot } from './snapshot';

export interface BoundMemberFacts {
  childId: string;
  memberId: string;
  address: string;
  role: string;
  age?: number | null;
  literacy?: string | null;
  wecomParentUserId?: string | null;
}

/** In the database's order. Shared: callers must not change what it returns. */
export const boundMemberFacts = snapshot(['FamilyMember'], async (orgId): Promise<BoundMemberFacts[]> => {
  const fields = { childId: 1, role: 1, boundAddress: 1, age: 1, literacy: 1, wecomParentUserId: 1 };
  const members = await FamilyMember.find({ orgId, boundAddress: { $exists: true } }, fields).lean();
  return members.filter((m) => m.boundAddress).map((m) => ({
    childId: String(m.childId), memberId: String(m._id), address: m.boundAddress!, role: m.role,
    age: m.age, literacy: m.literacy, wecomParentUserId: m.wecomParentUserId,
  }));
});
