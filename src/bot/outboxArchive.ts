/**
 * Keeps the hot outbox small: sent messages move to the archive a day after sending (failed ones after 30 days),
 * with their delivery claims; `new` messages left by a crash in the middle of enqueue() are finished or removed.
 * Each call does a bounded amount of work, so the scheduler can call it every minute.
 */
import { Claim } from '../models/claim';
import { Outbox, OutboxArchive } from '../models/outbox';
import { reserveKey } from './outbox';

export const KEEP_SENT_MS = 24 * 3600_000;
export const KEEP_FAILED_MS = 30 * 24 * 3600_000;
/** An enqueue() takes milliseconds; a `new` message this old was left by a crash. */
const NEW_STALE_MS = 2 * 60_000;
const BATCH = 500;

export interface ArchiveResult { archived: number; recovered: number }

/** Moves up to `maxBatches × 500` finished messages to the archive; `now` is the bot's clock. */
export async function archiveOutbox(now: Date, maxBatches = 20): Promise<ArchiveResult> {
  let archived = 0;
  const stages = [
    { status: 'sent', sentAt: { $lt: new Date(now.getTime() - KEEP_SENT_MS) } },
    { status: 'failed', dueAt: { $lt: new Date(now.getTime() - KEEP_FAILED_MS) } },
  ];
  for (const filter of stages) {
    for (let b = 0; b < maxBatches; b++) {
      const docs = await Outbox.find(filter).limit(BATCH).lean();
      if (!docs.length) break;
      // Copy first, then delete: a crash in between leaves a copy that the next run's insert skips as a duplicate.
      await OutboxArchive.insertMany(docs.map((d) => ({ ...d, archivedAt: now })), { ordered: false }).catch((err: unknown) => {
        if (!onlyDuplicates(err)) throw err;
      });
      await Outbox.deleteMany({ _id: { $in: docs.map((d) => d._id) }, status: filter.status });
      // Their attempts' claims are no longer needed (a message is claimed as `deliver:ID:ATTEMPT`).
      const claims = docs.flatMap((d) => Array.from({ length: (d.attempts ?? 0) + 1 }, (_, i) => `deliver:${d._id}:${i}`));
      await Claim.deleteMany({ _id: { $in: claims } });
      archived += docs.length;
      if (docs.length < BATCH) break;
    }
  }
  return { archived, recovered: await recoverNew() };
}

/** Finishes what a crashed enqueue() left: reserve the key and release the message, or drop it if the key was taken. */
export async function recoverNew(realNow = new Date()): Promise<number> {
  const stale = await Outbox.find({ status: 'new', createdAt: { $lt: new Date(realNow.getTime() - NEW_STALE_MS) } }).limit(BATCH).lean();
  let recovered = 0;
  for (const d of stale) {
    if (await reserveKey(d.orgId, d.key, d._id)) {
      await Outbox.updateOne({ _id: d._id, status: 'new' }, { $set: { status: 'pending' } });
      recovered++;
    } else {
      await Outbox.deleteOne({ _id: d._id, status: 'new' });
    }
  }
  return recovered;
}

/** Leases of time slots long past (a lease only matters within its own slot). */
export async function pruneLeases(now: Date): Promise<number> {
  const res = await Claim.deleteMany({ _id: { $regex: /^lease:/ }, at: { $lt: new Date(now.getTime() - 24 * 3600_000) } });
  return res.deletedCount ?? 0;
}

function onlyDuplicates(err: unknown): boolean {
  const e = err as { code?: number; writeErrors?: Array<{ code?: number; err?: { code?: number } }> };
  if (e.writeErrors?.length) return e.writeErrors.every((w) => (w.code ?? w.err?.code) === 11000);
  return e.code === 11000;
}
