/**
 * What enqueueing and delivery read about a recipient address: its identity (kind, language, style) and the family
 * members bound to it (role, age and literacy for the voice style, the 家校通讯录 parent_userid for 学校通知).
 *
 * A month's notes read them twice per recipient otherwise: when the note is enqueued (language, style) and again
 * when it is sent, a minute or two later (route, parent_userid). At county size each read is a query of its own
 * on FerretDB (an `$in` would scan the collection), and they were most of the fan-out's database work. So what
 * was read is kept for a few minutes, and all of it is dropped at any write to identities or family members in
 * this process (a binding, a changed preference, a school sync). Another instance's writes are seen within
 * KEEP_MS — as the 学校通知 route's own parent_userid cache always allowed.
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
/** A county's fan-out in flight; the oldest go first beyond it. */
const MAX_ENTRIES = 30_000;
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
  const out = new Map<string, RecipientFacts>();
  const missing: string[] = [];
  const now = Date.now();
  for (const address of new Set(addresses)) {
    const hit = entries.get(keyOf(orgId, address));
    if (hit && now - hit.at < KEEP_MS) out.set(address, hit.facts);
    else missing.push(address);
  }
  if (!missing.length) return out;
  const [identities, members] = await Promise.all([
    findByValues(Identity, missing, (address) => Identity.find({ orgId, address }, { address: 1, kind: 1, lang: 1, style: 1 }).lean()),
    findByValues(FamilyMember, missing, (boundAddress) => FamilyMember.find({ orgId, boundAddress },
      { boundAddress: 1, childId: 1, role: 1, age: 1, literacy: 1, wecomParentUserId: 1 }).lean()),
  ]);
  const read = new Map<string, RecipientFacts>(missing.map((a) => [a, { members: [] }]));
  for (const i of identities) {
    const f = read.get(i.address);
    if (f) f.identity = { kind: i.kind, lang: i.lang, style: i.style };
  }
  for (const m of members) {
    read.get(m.boundAddress!)?.members.push({
      childId: String(m.childId), role: m.role, age: m.age, literacy: m.literacy, wecomParentUserId: m.wecomParentUserId,
    });
  }
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
