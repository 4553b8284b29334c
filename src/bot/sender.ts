/** Who is behind an address: unknown, family (with exactly the children they are bound to) or staff. */
import { Child, ChildDoc } from '../models/child';
import { FamilyMember, FamilyMemberDoc, prefersVoice } from '../models/familyMember';
import { Identity, IdentityDoc } from '../models/identity';
import { Staff, StaffDoc } from '../models/staff';
import type { Lang, Style } from '../locales';

interface Base { address: string; lang: Lang; style: Style }
export type Person =
  | (Base & { kind: 'unknown' })
  | (Base & { kind: 'family'; identity: IdentityDoc; members: FamilyMemberDoc[]; children: ChildDoc[] })
  | (Base & { kind: 'staff'; identity: IdentityDoc; staff: StaffDoc });

export async function resolvePerson(orgId: string, address: string, orgLang: Lang): Promise<Person> {
  const identity = await Identity.findOne({ orgId, address });
  const lang = (identity?.lang as Lang | undefined) ?? orgLang;
  if (identity?.kind === 'staff' && identity.staffId) {
    const staff = await Staff.findOne({ _id: identity.staffId, orgId, active: true });
    if (staff) return { kind: 'staff', address, identity, staff, lang, style: (identity.style as Style | undefined) ?? 'text' };
  }
  if (identity?.kind === 'family') {
    const members = await FamilyMember.find({ orgId, boundAddress: address });
    const children = members.length
      ? await Child.find({ orgId, _id: { $in: members.map((m) => m.childId) }, status: 'active' }).sort({ name: 1 })
      : [];
    if (children.length) {
      const style = (identity.style as Style | undefined) ?? (members.some(prefersVoice) ? 'voice' : 'text');
      return { kind: 'family', address, identity, members, children, lang, style };
    }
  }
  return { kind: 'unknown', address, lang, style: 'text' };
}

/** The member record (father/mother/guardian) through which this family person holds a child. */
export function memberFor(person: Person & { kind: 'family' }, childId: unknown): FamilyMemberDoc | undefined {
  return person.members.find((m) => String(m.childId) === String(childId));
}
