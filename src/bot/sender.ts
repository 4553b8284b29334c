/** Who is behind an address: unknown, family (with exactly the children they are bound to) or staff. */
import { Child, ChildDoc } from '../models/child';
import { FamilyMember, FamilyMemberDoc, prefersVoice } from '../models/familyMember';
import { Identity, IdentityDoc } from '../models/identity';
import { Staff, StaffDoc } from '../models/staff';
import type { Lang, Style } from '../locales';
import { findByValues } from '../models/manyValues';
import { recipientFacts } from './recipientFacts';

interface Base { address: string; lang: Lang; style: Style }
export type Person =
  | (Base & { kind: 'unknown' })
  | (Base & { kind: 'family'; identity: IdentityDoc; members: FamilyMemberDoc[]; children: ChildDoc[] })
  | (Base & { kind: 'staff'; identity: IdentityDoc; staff: StaffDoc });

export async function resolvePerson(orgId: string, address: string, orgLang: Lang): Promise<Person> {
  return (await resolvePeople(orgId, [address], orgLang)).get(address)!;
}

/** `resolvePerson` for many addresses at once (a month's notes): four queries, whatever their number. */
async function resolvePeople(orgId: string, addresses: string[], orgLang: Lang): Promise<Map<string, Person>> {
  const wanted = [...new Set(addresses)];
  const identities = new Map((await findByValues(Identity, wanted, (address) => Identity.find({ orgId, address }))).map((i) => [i.address, i]));
  const staffIds = [...identities.values()].filter((i) => i.kind === 'staff' && i.staffId).map((i) => i.staffId);
  const familyAddresses = [...identities.values()].filter((i) => i.kind === 'family').map((i) => i.address);
  const [staff, members] = await Promise.all([
    findByValues(Staff, staffIds, (_id) => Staff.find({ _id, orgId, active: true })),
    findByValues(FamilyMember, familyAddresses, (boundAddress) => FamilyMember.find({ orgId, boundAddress })),
  ]);
  const children = (await findByValues(Child, [...new Set(members.map((m) => String(m.childId)))], (_id) => Child.find({ orgId, _id, status: 'active' })))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const staffById = new Map(staff.map((st) => [String(st._id), st]));
  const membersOf = new Map<string, FamilyMemberDoc[]>();
  for (const m of members) membersOf.set(m.boundAddress!, [...(membersOf.get(m.boundAddress!) ?? []), m]);
  const people = new Map<string, Person>();
  for (const address of wanted) {
    const identity = identities.get(address);
    const lang = (identity?.lang as Lang | undefined) ?? orgLang;
    const st = identity?.kind === 'staff' && identity.staffId ? staffById.get(String(identity.staffId)) : undefined;
    if (identity && st) {
      people.set(address, { kind: 'staff', address, identity, staff: st, lang, style: (identity.style as Style | undefined) ?? 'text' });
      continue;
    }
    if (identity?.kind === 'family') {
      const mine = membersOf.get(address) ?? [];
      const held = new Set(mine.map((m) => String(m.childId)));
      const theirs = children.filter((c) => held.has(String(c._id)));
      if (theirs.length) {
        const style = (identity.style as Style | undefined) ?? (mine.some(prefersVoice) ? 'voice' : 'text');
        people.set(address, { kind: 'family', address, identity, members: mine, children: theirs, lang, style });
        continue;
      }
    }
    people.set(address, { kind: 'unknown', address, lang, style: 'text' });
  }
  return people;
}

/**
 * The language and style of many family addresses (the recipients of a page of notes), as resolvePeople gives
 * them: the identity's own choice, else the org's language, and voice for a guardian who prefers it. From
 * recipientFacts, which delivery reads again when it sends them.
 */
export async function recipientStyles(orgId: string, addresses: string[], orgLang: Lang): Promise<Map<string, { lang: Lang; style: Style }>> {
  const facts = await recipientFacts(orgId, addresses);
  return new Map([...facts].map(([address, f]) => {
    const style = (f.identity?.style as Style | undefined) ?? (f.members.some(prefersVoice) ? 'voice' : 'text');
    return [address, { lang: (f.identity?.lang as Lang | undefined) ?? orgLang, style }];
  }));
}

/** The member record (father/mother/guardian) through which this family person holds a child. */
export function memberFor(person: Person & { kind: 'family' }, childId: unknown): FamilyMemberDoc | undefined {
  return person.members.find((m) => String(m.childId) === String(childId));
}
