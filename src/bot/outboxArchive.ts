/**
 * Keeps the hot outbox small: it holds only what is still to send. Delivery moves each message to the archive as
 * soon as it is sent or has failed for good (retire); this sweep moves what a crash left marked but not moved,
 * and finishes or removes the `new` messages a crash left in the middle of enqueue(). Each call does a bounded
 * amount of work, so the scheduler can call it every minute.
 */
import type { Types } from 'mongoose';
import { Claim } from '../models/claim';
import { Outbox, OutboxArchive } from '../models/outbox';
import { announcePending, byBatch, reserveKey } from './outbox';
import { deleteInBatches } from '../models/manyValues';

/** Left alone this long, so that the sweep does not race delivery's own move (both would be harmless anyway). */
export const SWEEP_AFTER_MS = 10 * 60_000;
/** An enqueue() takes milliseconds; a `new` message this old was left by a crash. */
const NEW_STALE_MS = 30_000;
const BATCH = 500;

export interface ArchiveResult { archived: number; recovered: number }

/** Moves up to `maxBatches × 500` finished messages (sent or failed) left in the queue to the archive. */
export async function archiveOutbox(now: Date, maxBatches = 20): Promise<ArchiveResult> {
  let archived = 0;
  const before = new Date(now.getTime() - SWEEP_AFTER_MS);
  const stages = [
    { status: 'sent', sentAt: { $lt: before } },
    // updatedAt is mongoose's stamp, real time: compared with real time.
    { status: 'failed', updatedAt: { $lt: new Date(Date.now() - SWEEP_AFTER_MS) } },
  ];
  for (const filter of stages) {
    for (let b = 0; b < maxBatches; b++) {
      const docs = await Outbox.find(filter).limit(BATCH).lean();
      if (!docs.length) break;
      await retire(docs, now);
      archived += docs.length;
      if (docs.length < BATCH) break;
    }
  }
  return { archived, recovered: await recoverNew() };
}

type Finished = { _id: Types.ObjectId; status: string; attempts?: number | null } & Record<string, unknown>;

/**
 * Moves finished messages (as they are now: `sent` or `failed`) to the archive with their delivery claims.
 * Copy first, then delete: a crash in between leaves a copy that the next move skips as a duplicate.
 */
export async function retire(docs: Finished[], now: Date): Promise<void> {
  if (!docs.length) return;
  await OutboxArchive.insertMany(docs.map((d) => ({ ...d, archivedAt: now })), { ordered: false }).catch((err: unknown) => {
    if (!onlyDuplicates(err)) throw err;
  });
  // By batch on FerretDB (an `$in` alone reads the whole queue), one `$in` on MongoDB.
  await byBatch(docs as Array<{ _id: Types.ObjectId; batch?: string }>, (match) => Outbox.deleteMany(match));
}

/**
 * Finishes what a crashed enqueue() left: reserve the key and release the message, or drop it if the key was taken.
 * Real time, as createdAt is: how long ago an enqueue stopped, not a time of the business day.
 */
async function recoverNew(realNow = new Date()): Promise<number> {
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
  if (recovered) announcePending();
  return recovered;
}

/**
 * Leases of time slots long past (a lease only matters within its own slot), and delivery claims a day old (a
 * claim only matters while its message is in the queue, minutes; a message still there is claimed anew).
 */
export async function pruneLeases(now: Date): Promise<number> {
  const before = new Date(now.getTime() - 24 * 3600_000);
  return deleteInBatches(Claim, { _id: { $regex: /^(lease|deliver):/ }, at: { $lt: before } });
}

function onlyDuplicates(err: unknown): boolean {
  const e = err as { code?: number; writeErrors?: Array<{ code?: number; err?: { code?: number } }> };
  if (e.writeErrors?.length) return e.writeErrors.every((w) => (w.code ?? w.err?.code) === 11000);
  return e.code === 11000;
}
