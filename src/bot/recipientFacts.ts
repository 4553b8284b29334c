/**
 * What enqueueing and delivery read about a recipient address: its identity (kind, language, style) and the family
 * members bound to it (role, age and literacy for the voice style, the 家校通讯录 parent_userid for 学校通知).
 *
 * A month's notes read them twice per recipient otherwise: when the note is enqueued (language, style) and again
 * when it is sent, a minute or two later (route, parent_userid). At county size each read is a query of its own
 * on FerretDB (an `$in` would scan the collection), and they were most of the fan-out's database work. So what
 * was read is kept for a few minutes, and all of it is dropped at any write to identities or family members in
 * this process (a binding, a changed preference, a school sync). Another instance's writes are seen within
 * KEEP_MS — as the 学校通知 route's own parent_userid cache always allowed. A request for many unknown addresses
 * at once (a page of notes) reads the whole org instead: its identities, and its bound members as the jobs'
 * roster already holds them (models/boundMembers.ts), then every page and send of the fan-out finds its
 * recipients without a query, until a write to either by any instance (models/snapshot.ts).
 */
import { boundMemberFacts } from '../models/boundMembers';
import { FamilyMember } from '../models/familyMember';
import { Identity } from '../models/identity';
import { findByValues } from '../models/manyValues';
import { snapshot } from '../models/snapshot';
import { writeCount } from '../models/writeCounts';

export interface RecipientFacts {
  identity?: { kind: string; lang?: string | null; style?: string | null };
  /** The family members bound to the address. */
  members: Array<{ childId: string; role: string; age?: number | null; literacy?: string | null; wecomParentUserId?: string | null }>;
}

/** Addresses read one by one are kept this long: longer than a fan-out's enqueue-to-send lag. */
const KEEP_MS = 5 * 60_000;
/** Addresses read one by one and kept; the oldest go first beyond it. */
const MAX_ENTRIES = 30_000;
/**
 * Unknown addresses from which the whole org is read at once instead (a page of a month's notes: 1,500): two
 * scans of the org's identities and bound members cost less than a query per address, and serve every page and
 * send of the fan-out that follows.
 */
export const WHOLE_ORG_FROM = 500;
const MODELS = ['Identity', 'FamilyMember'] as const;

interface Entry { facts: RecipientFacts; at: number }
const entries = new Map<string, Entry>();
let seenWrites = -1;

const keyOf = (orgId: string, address: string) => `${orgId}\u0000${address}`;

/** The facts of each address (an address unknown here has no identity and no members). */
export async function recipientFacts(orgId: string, addresses: readonly string[]): Promise<Map<string, RecipientFacts>> {
  const writes = writeCount(MODELS);
  if (writes !== seenWrites) {
    entries.clear();
    seenWrites = writes;
  }
  // While the whole org's copy a fan-out asked for is current (no write to identities or family members by any
  // instance since), everything is served from it; after a write, single addresses are read one by one again.
  const whole = await wholeOrg.current(orgId);
  if (whole) return pick(whole, addresses);
  const now = Date.now();
  const out = new Map<string, RecipientFacts>();
  const missing: string[] = [];
  for (const address of new Set(addresses)) {
    const hit = entries.get(keyOf(orgId, address));
    if (hit && now - hit.at < KEEP_MS) out.set(address, hit.facts);
    else missing.push(address);
  }
  if (!missing.length) return out;
  if (missing.length >= WHOLE_ORG_FROM) return pick(await wholeOrg(orgId), addresses);
  const read = await readFacts(orgId, missing);
  // Kept only if no write landed while reading (it may not be in what was read).
  const keep = writeCount(MODELS) === writes;
  for (const [address, facts] of read) {
    out.set(address, facts);
    if (!keep) continue;
    const key = keyOf(orgId, address);
    entries.delete(key); // re-inserted at the end: the oldest are first out
    entries.set(key, { facts, at: now });
  }
  while (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
  return out;
}

/** The whole org's facts: its identities, and its bound members as the jobs' roster shares them (one read for both). */
const wholeOrg = snapshot(MODELS, async (orgId): Promise<Map<string, RecipientFacts>> => {
  const [identities, members] = await Promise.all([
    Identity.find({ orgId }, { address: 1, kind: 1, lang: 1, style: 1 }).lean(),
    boundMemberFacts(orgId),
  ]);
  const facts = new Map<string, RecipientFacts>();
  const of = (address: string) => {
    let f = facts.get(address);
    if (!f) facts.set(address, (f = { members: [] }));
    return f;
  };
  for (const i of identities) of(i.address).identity = { kind: i.kind, lang: i.lang, style: i.style };
  for (const m of members) of(m.address).members.push(m);
  return facts;
});

function pick(facts: Map<string, RecipientFacts>, addresses: readonly string[]): Map<string, RecipientFacts> {
  return new Map(addresses.map((a) => [a, facts.get(a) ?? { members: [] }]));
}

/** The identities and bound members of these addresses: a query per address (on FerretDB an `$in` scans the collection). */
async function readFacts(orgId: string, addresses: string[]): Promise<Map<string, RecipientFacts>> {
  const [identities, members] = await Promise.all([
    findByValues(Identity, addresses, (address) => Identity.find({ orgId, address }, { address: 1, kind: 1, lang: 1, style: 1 }).lean()),
    findByValues(FamilyMember, addresses, (boundAddress) => FamilyMember.find({ orgId, boundAddress },
      { boundAddress: 1, childId: 1, role: 1, age: 1, literacy: 1, wecomParentUserId: 1 }).lean()),
  ]);
  const read = new Map<string, RecipientFacts>(addresses.map((a) => [a, { members: [] }]));
  for (const i of identities) {
    const f = read.get(i.address);
    if (f) f.identity = { kind: i.kind, lang: i.lang, style: i.style };
  }
  for (const m of members) {
    read.get(m.boundAddress!)?.members.push({
      childId: String(m.childId), role: m.role, age: m.age, literacy: m.literacy, wecomParentUserId: m.wecomParentUserId,
    });
  }
  return read;
}
