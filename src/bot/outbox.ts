/** Writing to the outbox: the only way anything leaves the bot. Same key twice = one message, ever. */
import { Types } from 'mongoose';
import { insertManyTolerant } from '../models/bulk';
import { Outbox, OutboxKey, outboxKeyId } from '../models/outbox';
import type { Style } from '../locales';
import { AsyncLocalStorage } from 'node:async_hooks';
import { findByValues, writeByValues } from '../models/manyValues';
import { onFerretDb } from '../models/connect';

export interface OutboxItem {
  orgId: string;
  key: string;
  to: string;
  room?: string;
  text: string;
  style: Style;
  kind: string;
  /** Adapter to use; `auto` lets delivery pick the route for the recipient. */
  channel?: string;
  inReplyTo?: string;
  urgent?: boolean;
  dueAt: Date;
  voiceMediaId?: string;
  mentions?: string[];
}

/**
 * Adds the message unless its key was ever used; returns whether it was new. Three steps, each an insert or a
 * write by the sole owner (FerretDB's conditional updates and upserts are not atomic — an upsert that matched
 * rewrote a delivered message from a stale copy, putting it back to pending):
 * 1. insert into the hot queue as `new` (the queue's unique key stops a second writer while the first is there);
 * 2. reserve the key in `outboxkeys` (stops a writer after the message was sent and archived);
 * 3. mark it `pending`, which lets delivery see it.
 * A crash between the steps leaves a `new` message that outboxArchive.recoverNew() finishes or removes.
 */
const causes = new AsyncLocalStorage<string>();

/**
 * Runs `fn` (the handling of one inbound message) with every message it enqueues marked as caused by `cause`, so
 * that `DeliveryWorker.deliverDue({ cause })` sends exactly those at once: one indexed equality, where "enqueued
 * since" was a range FerretDB reads the whole queue for.
 */
export function withCause<T>(cause: string, fn: () => Promise<T>): Promise<T> {
  return causes.run(cause, fn);
}

export async function enqueue(item: OutboxItem): Promise<boolean> {
  return (await enqueueMany([item]))[0];
}

/**
 * `enqueue` for many messages at once (a month's notes): the same three steps, each one round trip for the whole
 * batch. Returns, per item, whether it was new.
 */
export async function enqueueMany(items: OutboxItem[]): Promise<boolean[]> {
  if (!items.length) return [];
  const cause = causes.getStore();
  const batchOf = batchNames(items.length);
  const docs = items.map((item, i) => ({
    ...item, ...(cause ? { cause } : {}), ...batchOf(i), _id: new Types.ObjectId(), urgent: item.urgent ?? false, channel: item.channel ?? 'auto',
    status: 'new', attempts: 0,
  }));
  const refused = await insertManyTolerant(Outbox, docs);
  const inserted = docs.filter((d) => !refused.has(String(d._id)));
  // `at`: when the key was taken, real time (a bookkeeping stamp for operators; no rule reads it).
  const keys = inserted.map((d) => ({ _id: outboxKeyId(d.orgId, d.key), outboxId: d._id, at: new Date() }));
  const taken = await insertManyTolerant(OutboxKey, keys, (held, k) => String(held.outboxId) === String(k.outboxId), { outboxId: 1 });
  const lost = inserted.filter((d) => taken.has(outboxKeyId(d.orgId, d.key)));
  await byBatch(lost, (match) => Outbox.deleteMany({ ...match, status: 'new' }));
  const fresh = inserted.filter((d) => !taken.has(outboxKeyId(d.orgId, d.key)));
  await byBatch(fresh, (match) => Outbox.updateMany(match, { $set: { status: 'pending' } }));
  // Replies to a message are sent by that message's own run (deliverDue({ cause })): waking the timer for them made
  // it read a queue held for later (20,000 messages: seconds of FerretDB) at every question.
  if (fresh.length && !(cause && fresh.every((d) => d.kind === 'reply'))) announcePending();
  const ok = new Set(fresh.map((d) => String(d._id)));
  return docs.map((d) => ok.has(String(d._id)));
}

const pendingListeners = new Set<() => void>();

/** Calls `listener` whenever this process makes messages pending (delivery's timer wakes from an idle wait); returns the unsubscribe. */
export function onPending(listener: () => void): () => void {
  pendingListeners.add(listener);
  return () => pendingListeners.delete(listener);
}

/** Tells the listeners of onPending that messages became pending. */
export function announcePending(): void {
  for (const listener of pendingListeners) listener();
}

/** Messages per `batch` value: enough to save most writes, few enough that reading a batch's rows costs little. */
export const OUTBOX_BATCH = 50;

/** The `batch` field of the i-th of n messages enqueued together (none for a single message). */
function batchNames(n: number): (i: number) => { batch?: string } {
  if (n < 2) return () => ({});
  const name = String(new Types.ObjectId());
  return (i) => ({ batch: `${name}:${Math.floor(i / OUTBOX_BATCH)}` });
}

/**
 * `write(match)` for these queue documents, where `match` selects some of them: on FerretDB one call per `batch`
 * value (`{ batch, _id: { $in } }`: it reads that batch's rows, not the queue) and one per document without a
 * batch; elsewhere one `$in` on `_id`.
 */
export async function byBatch(docs: ReadonlyArray<{ _id: Types.ObjectId; batch?: string | null }>,
  write: (match: Record<string, unknown>) => PromiseLike<unknown>): Promise<void> {
  if (!docs.length) return;
  const idMatch = (ids: Types.ObjectId[]) => (ids.length === 1 ? ids[0] : { $in: ids });
  if (!onFerretDb()) {
    await write({ _id: idMatch(docs.map((d) => d._id)) });
    return;
  }
  const groups = new Map<string, Types.ObjectId[]>();
  const loose: Types.ObjectId[] = [];
  for (const d of docs) {
    if (d.batch) groups.set(d.batch, [...(groups.get(d.batch) ?? []), d._id]);
    else loose.push(d._id);
  }
  await Promise.all([...groups].map(([batch, ids]) => write({ batch, _id: idMatch(ids) })));
  await writeByValues(Outbox, loose, (_id) => write({ _id }));
}

/** True when the key is now reserved for this message (also when an earlier try of ours reserved it). */
export async function reserveKey(orgId: string, key: string, outboxId: Types.ObjectId): Promise<boolean> {
  try {
    await OutboxKey.create({ _id: outboxKeyId(orgId, key), outboxId, at: new Date() });
    return true;
  } catch (err) {
    if (!isDuplicate(err)) throw err;
    const held = await OutboxKey.findById(outboxKeyId(orgId, key)).lean();
    return !!held && String(held.outboxId) === String(outboxId);
  }
}

/**
 * Whether a notice under `key` was ever enqueued (as one message, or split into pieces `key:0`, `key:1`…): one or
 * two lookups by _id, which FerretDB answers from PostgreSQL without scanning.
 */
export async function noticeKeyUsed(orgId: string, key: string): Promise<boolean> {
  return !!(await OutboxKey.exists({ _id: outboxKeyId(orgId, key) })) || !!(await OutboxKey.exists({ _id: outboxKeyId(orgId, `${key}:0`) }));
}

/** Keys among `keys` that were ever enqueued for this org. */
export async function usedKeys(orgId: string, keys: string[]): Promise<Set<string>> {
  if (!keys.length) return new Set();
  const rows = await findByValues(OutboxKey, keys.map((k) => outboxKeyId(orgId, k)), (_id) => OutboxKey.find({ _id }, { _id: 1 }).lean());
  const prefix = `${orgId}/`.length;
  return new Set(rows.map((r) => String(r._id).slice(prefix)));
}

function isDuplicate(err: unknown): boolean {
  return (err as { code?: number }).code === 11000;
}
