/** The binding-attempt records on the real database: the org-wide pause starts once under racing callers, and pruning. */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import '../src/models';
import { connectDatabase, disconnectDatabase } from '../src/models/connect';
import { withDatabase } from '../src/models/mongoServer';
import { BindAttempt, BindLock, BindOrgFailure, BindOrgPause, orgPausedUntil, pruneBindAttempts, recordOrgFailure } from '../src/models/bindAttempt';

const T0 = new Date('2026-11-01T02:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const limits = { maxFailures: 3, windowMinutes: 10, pauseMinutes: 60 };

beforeAll(async () => {
  await connectDatabase(withDatabase(process.env.MONGODB_URI!, `t_bindAttempt_${crypto.randomBytes(3).toString('hex')}`));
});
afterAll(async () => {
  await mongoose.connection.db?.dropDatabase();
  await disconnectDatabase();
});
beforeEach(async () => {
  await Promise.all([BindAttempt.deleteMany({}), BindLock.deleteMany({}), BindOrgFailure.deleteMany({}), BindOrgPause.deleteMany({})]);
});

describe('org-wide pause', () => {
  it('counts only within the window', async () => {
    expect(await recordOrgFailure('o1', at(0), limits)).toEqual({});
    expect(await recordOrgFailure('o1', at(5), limits)).toEqual({});
    // The first one is out of the window by now.
    expect(await recordOrgFailure('o1', at(11), limits)).toEqual({});
    expect(await orgPausedUntil('o1', at(11))).toBeUndefined();
    const third = await recordOrgFailure('o1', at(12), limits);
    expect(third.started).toEqual(expect.objectContaining({ failures: 3, until: at(72) }));
    expect(await orgPausedUntil('o1', at(71))).toEqual(at(72));
    expect(await orgPausedUntil('o1', at(72))).toBeUndefined();
    // Another org is not affected.
    expect(await orgPausedUntil('o2', at(12))).toBeUndefined();
  });

  it('several instances tripping the limit at once start one pause (one of them alerts)', async () => {
    await recordOrgFailure('o1', at(0), limits);
    await recordOrgFailure('o1', at(0), limits);
    const now = at(1);
    const results = await Promise.all(Array.from({ length: 6 }, () => recordOrgFailure('o1', now, limits)));
    expect(results.filter((r) => r.started)).toHaveLength(1);
    expect(results.every((r) => r.pausedUntil?.getTime() === at(61).getTime())).toBe(true);
    expect(await BindOrgPause.countDocuments({ orgId: 'o1' })).toBe(1);
  });

  it('a wrong code during the pause does not start another; after it, earlier ones do not count again', async () => {
    for (let i = 0; i < 3; i++) await recordOrgFailure('o1', at(0), { ...limits, pauseMinutes: 5 });
    expect((await recordOrgFailure('o1', at(2), { ...limits, pauseMinutes: 5 })).started).toBeUndefined();
    // Pause over at minute 5; the four wrong codes are still inside a 10-minute window but came before it ended.
    expect(await recordOrgFailure('o1', at(6), { ...limits, pauseMinutes: 5 })).toEqual({});
  });
});

describe('pruneBindAttempts', () => {
  it('removes what no window counts any more, ended locks and long-ended pauses; keeps the rest', async () => {
    const now = at(48 * 60);
    await BindAttempt.create([{ orgId: 'o1', address: 'a', at: at(0) }, { orgId: 'o1', address: 'a', at: at(48 * 60 - 30) }]);
    await BindOrgFailure.create([{ orgId: 'o1', at: at(0) }, { orgId: 'o1', at: at(48 * 60 - 5) }]);
    await BindLock.create([{ orgId: 'o1', address: 'a', until: at(48 * 60 - 1) }, { orgId: 'o1', address: 'b', until: at(48 * 60 + 30) }]);
    await BindOrgPause.create([
      { _id: 'o1:old', orgId: 'o1', from: at(0), until: at(60), failures: 30 },
      { _id: 'o1:new', orgId: 'o1', from: at(48 * 60 - 70), until: at(48 * 60 - 10), failures: 30 },
    ]);
    expect(await pruneBindAttempts(now)).toEqual({ attempts: 1, orgFailures: 1, locks: 1, pauses: 1 });
    expect(await BindAttempt.countDocuments()).toBe(1);
    expect(await BindOrgFailure.countDocuments()).toBe(1);
    expect((await BindLock.find().lean()).map((l) => l.address)).toEqual(['b']);
    expect((await BindOrgPause.find().lean()).map((p) => p._id)).toEqual(['o1:new']);
    // Nothing left to do the second time.
    expect(await pruneBindAttempts(now)).toEqual({ attempts: 0, orgFailures: 0, locks: 0, pauses: 0 });
  });
});
