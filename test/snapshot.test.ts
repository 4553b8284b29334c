/**
 * The roster copies the jobs and a fan-out share (models/snapshot.ts): kept until a write to their collections by
 * this process (at once) or by another instance (its stamp, within STAMP_CHECK_MS) — not re-read on a timer — and
 * the bound members read once for both the jobs' roster and the recipients' facts.
 */
import mongoose, { Types } from 'mongoose';
import { countOps } from './helpers/countOps';
import { useDomainDatabase } from './helpers/domainDb';
import { boundMemberFacts } from '../src/models/boundMembers';
import { FamilyMember } from '../src/models/familyMember';
import { STAMP_CHECK_MS } from '../src/models/writeCounts';
import { boundFamily } from '../src/domain/rosterSnapshot';
import { recipientFacts, WHOLE_ORG_FROM } from '../src/bot/recipientFacts';

const memberReads = (c: Record<string, number>) => Object.entries(c)
  .filter(([k]) => /^familymembers\.(find|findOne)$/.test(k)).reduce((a, [, b]) => a + b, 0);

useDomainDatabase('snapshot');

const member = (orgId: string, i: number, boundAddress?: string) => ({
  orgId, childId: new Types.ObjectId(), role: 'guardian', name: `家长${i}`, code: `${orgId}-${i}`, boundAddress, age: 60 + (i % 10),
});

it('is re-read at once after this process writes, and within the stamp check after another instance writes', async () => {
  const orgId = 'stamps';
  await FamilyMember.insertMany([member(orgId, 1, 'a-1'), member(orgId, 2, 'a-2'), member(orgId, 3)]);
  const first = await boundMemberFacts(orgId);
  expect(first.map((m) => m.address).sort()).toEqual(['a-1', 'a-2']);

  // Nothing written: the same copy, no read.
  const kept = await countOps(async () => expect(await boundMemberFacts(orgId)).toBe(first));
  expect(memberReads(kept)).toBe(0);

  // This process binds a member: the next call reads again, at once.
  await FamilyMember.updateOne({ orgId, code: `${orgId}-3` }, { $set: { boundAddress: 'a-3' } });
  expect((await boundMemberFacts(orgId)).map((m) => m.address).sort()).toEqual(['a-1', 'a-2', 'a-3']);

  // Another instance binds one: its write reaches the collection, then its stamp (both done here by hand, below
  // mongoose, so that this process does not count them as its own).
  const raw = mongoose.connection.collection('familymembers');
  await raw.insertOne({ ...member(orgId, 4, 'a-4'), createdAt: new Date(), updatedAt: new Date() });
  await new Promise((r) => setTimeout(r, STAMP_CHECK_MS + 100)); // this process's last stamp read is now old
  const before = await boundMemberFacts(orgId);
  expect(before.map((m) => m.address)).not.toContain('a-4'); // no stamp yet: the copy stands
  await mongoose.connection.collection('writestamps').updateOne({ _id: 'FamilyMember' as never }, { $set: { token: 'other-instance' } });
  await new Promise((r) => setTimeout(r, STAMP_CHECK_MS + 100));
  expect((await boundMemberFacts(orgId)).map((m) => m.address).sort()).toEqual(['a-1', 'a-2', 'a-3', 'a-4']);
}, 30_000);

it('reads the bound members once for the jobs\' roster and a fan-out\'s recipients', async () => {
  const orgId = 'shared';
  const n = WHOLE_ORG_FROM + 20;
  await FamilyMember.insertMany(Array.from({ length: n }, (_, i) => member(orgId, i, `s-${i}`)));
  const addresses = Array.from({ length: n }, (_, i) => `s-${i}`);
  const ops = await countOps(async () => {
    expect(await boundFamily(orgId)).toHaveLength(n);
    const facts = await recipientFacts(orgId, addresses);
    expect(facts.get('s-7')!.members).toEqual([expect.objectContaining({ role: 'guardian', age: 67 })]);
    // A single address while the whole copy is current: from it, no query.
    expect((await recipientFacts(orgId, ['s-8'])).get('s-8')!.members).toHaveLength(1);
  });
  expect(memberReads(ops)).toBe(1);

  // After a write, a single address is read by itself again, not by re-reading the whole org.
  await FamilyMember.updateOne({ orgId, code: `${orgId}-9` }, { $set: { literacy: 'primary' } });
  const after = await countOps(async () => {
    expect((await recipientFacts(orgId, ['s-9'])).get('s-9')!.members[0].literacy).toBe('primary');
  });
  expect(memberReads(after)).toBe(1);
});
