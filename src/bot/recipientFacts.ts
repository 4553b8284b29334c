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
 * at once (a page of notes) reads the whole org instead: two scans, then every page and send of the fan-out
 * finds its recipients without a query (a county: ~60,000 addresses, some tens of MB while kept; not measured).
 */
import { FamilyMember } from '../models/familyMember';
import { Identity } from '../models/identity';
import { findByValues } from '../models/manyValues';
import { writeCount } from '../models/writeCounts';

export interface RecipientFacts {
  identity?: { kind: string; lang?: string | null; style?: string | null };
  /** The family members bound to the address. */
  members: Array<{ childId: string; role: string; age?: number | null; literacy?: string | null; wecomParentUserId?: string | null }>;
}

/** Longer than a fan-out's enqueue-to-send lag (its queue holds up to a few minutes of sends). */
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
/** Whole orgs read at once (an address absent from it has no identity and no members). */
const wholeOrgs = new Map<string, { facts: Promise<Map<string, RecipientFacts>>; at: number }>();
let seenWrites = -1;

const keyOf = (orgId: string, address: string) => `${orgId}\u0000${address}`;

/** The facts of each address (an address unknown here has no identity and no members). */
export async function recipientFacts(orgId: string, addresses: readonly string[]): Promise<Map<string, RecipientFacts>> {
  const writes = writeCount(MODELS);
  if (writes !== seenWrites) {
    entries.clear();
    wholeOrgs.clear();
    seenWrites = writes;
  }
  const now = Date.now();
  const whole = wholeOrgs.get(orgId);
  if (whole && now - whole.at < KEEP_MS) return pick(await whole.facts, addresses);
  const out = new Map<string, RecipientFacts>();
  const missing: string[] = [];
  for (const address of new Set(addresses)) {
    const hit = entries.get(keyOf(orgId, address));
    if (hit && now - hit.at < KEEP_MS) out.set(address, hit.facts);
    else missing.push(address);
  }
  if (!missing.length) return out;
  if (missing.length >= WHOLE_ORG_FROM) {
    const read = { facts: readFacts(orgId), at: now };
    // Kept only if no write landed while reading (it may not be in what was read); a failed read is not kept.
    wholeOrgs.set(orgId, read);
    const facts = await read.facts.catch((err: unknown) => {
      if (wholeOrgs.get(orgId) === read) wholeOrgs.delete(orgId);
      throw err;
    });
    if (writeCount(MODELS) !== writes && wholeOrgs.get(orgId) === read) wholeOrgs.delete(orgId);
    return pick(facts, addresses);
  }
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

function pick(facts: Map<string, RecipientFacts>, addresses: readonly string[]): Map<string, RecipientFacts> {
  return new Map(addresses.map((a) => [a, facts.get(a) ?? { members: [] }]));
}

/**
 * The identities and bound members of these addresses (a query per address: on FerretDB an `$in` scans the
 * collection), or of the whole org when none are given (one scan of each).
 */
async function readFacts(orgId: string, addresses?: string[]): Promise<Map<string, RecipientFacts>> {
  const identityFields = { address: 1, kind: 1, lang: 1, style: 1 };
  const memberFields = { boundAddress: 1, childId: 1, role: 1, age: 1, literacy: 1, wecomParentUserId: 1 };
  const [identities, members] = await Promise.all(addresses ? [
    findByValues(Identity, addresses, (address) => Identity.find({ orgId, address }, identityFields).lean()),
    findByValues(FamilyMember, addresses, (boundAddress) => FamilyMember.find({ orgId, boundAddress }, memberFields).lean()),
  ] as const : [
    Identity.find({ orgId }, identityFields).lean(),
    FamilyMember.find({ orgId, boundAddress: { $exists: true, $ne: null } }, memberFields).lean(),
  ] as const);
  const read = new Map<string, RecipientFacts>((addresses ?? []).map((a) => [a, { members: [] }]));
  const of = (address: string) => {
    let f = read.get(address);
    if (!f && !addresses) read.set(address, (f = { members: [] }));
    return f;
  };
  for (const i of identities) {
    const f = of(i.address);
    if (f) f.identity = { kind: i.kind, lang: i.lang, style: i.style };
  }
  for (const m of members) {
    of(m.boundAddress!)?.members.push({
      childId: String(m.childId), role: m.role, age: m.age, literacy: m.literacy, wecomParentUserId: m.wecomParentUserId,
    });
  }
  return read;
}
