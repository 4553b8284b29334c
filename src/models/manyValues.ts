/**
 * Queries for "documents whose field is one of these values", written so that FerretDB 1.24 (the embedded default)
 * can serve them. FerretDB hands PostgreSQL only top-level equalities: an `$in` reads the whole collection (a page
 * of 200 deliveries read all 60,000 identities of a county), while each equality is served by the GIN indexes of
 * ferretdbIndexes.ts in a few milliseconds. So on FerretDB, for a collection much larger than the list, one
 * equality query per value (a few at a time); elsewhere, and for small collections, one `$in`. A single value is
 * always a plain equality. Only for scalar fields: on an array field a document could match two values and come
 * back twice.
 */
import type { PipelineStage } from 'mongoose';
import { onFerretDb } from './connect';

/** Per value, this many queries at once: each is mostly a round trip through FerretDB to PostgreSQL. */
const PARALLEL = 8;
/** Per-value queries pay off when the collection holds more than this many documents per value asked. */
const DOCS_PER_VALUE = 20;
const SIZE_TTL_MS = 60_000;
const sizes = new Map<string, { n: number; at: number }>();

/** What findByValues needs of a model. */
interface Counted {
  collection: { collectionName: string };
  aggregate(pipeline: PipelineStage[]): PromiseLike<unknown[]>;
  estimatedDocumentCount(): PromiseLike<number>;
}

/**
 * The collection's size from its statistics (`$collStats`: milliseconds on both servers). Not
 * estimatedDocumentCount first: FerretDB 1.24 answers it by reading every document (1.7 s for 20,000 outbox messages, 15 s
 * for a county's 60,000 family members), once a minute for each collection asked.
 */
async function sizeOf(model: Counted): Promise<number> {
  const name = model.collection.collectionName;
  const known = sizes.get(name);
  // Real time: a cache of the collection's size, not business time.
  if (known && Date.now() - known.at < SIZE_TTL_MS) return known.n;
  // A collection not created yet has no statistics (MongoDB refuses to give them): it is empty.
  const [stats] = (await Promise.resolve(model.aggregate([{ $collStats: { count: {} } }])).catch(() => [{ count: 0 }])) as Array<{ count?: number }>;
  // FerretDB's figure is PostgreSQL's estimate, -1 until the table was first analyzed (autovacuum does it within a
  // minute of many writes): only then is the document count asked for.
  const n = typeof stats?.count === 'number' && stats.count >= 0 ? stats.count : await model.estimatedDocumentCount();
  sizes.set(name, { n, at: Date.now() });
  return n;
}

/**
 * `query(match)` with `match` one value, `{ $in: values }`, or each value in turn (results concatenated, so a sort
 * inside `query` holds per value only: sort the result when order matters).
 */
export async function findByValues<V, R>(model: Counted, values: readonly V[], query: (match: V | { $in: V[] }) => Promise<R[]>): Promise<R[]> {
  return (await eachValue(model, values, query)).flat();
}

/**
 * Deletes what `filter` matches, at most `batches × batch` documents, a bounded batch at a time; returns how many.
 * FerretDB 1.24 deletes a `deleteMany`'s matches with one statement naming every id, which fails beyond 65,535 of
 * them ("extended protocol limited to 65535 parameters"): a prune with a backlog that large failed at every run.
 */
export async function deleteInBatches(model: Counted & {
  find(filter: object, projection: object): { limit(n: number): { lean(): PromiseLike<Array<{ _id: unknown }>> } };
  deleteMany(filter: object): PromiseLike<{ deletedCount?: number }>;
}, filter: Record<string, unknown>, opts: { batch?: number; batches?: number } = {}): Promise<number> {
  const batch = opts.batch ?? 2_000;
  let deleted = 0;
  for (let i = 0; i < (opts.batches ?? 20); i++) {
    const ids = (await model.find(filter, { _id: 1 }).limit(batch).lean()).map((d) => d._id);
    if (!ids.length) break;
    // By id on FerretDB (it checks an `$in` against every document of the collection), one `$in` elsewhere.
    if (!onFerretDb()) await model.deleteMany({ _id: { $in: ids } });
    else await eachOf(ids, (_id) => model.deleteMany({ _id }));
    deleted += ids.length;
    if (ids.length < batch) break;
  }
  return deleted;
}

/** The same for a write (updateMany, deleteMany) on the documents whose field is one of `values`. */
export async function writeByValues<V>(model: Counted, values: readonly V[], write: (match: V | { $in: V[] }) => PromiseLike<unknown>): Promise<void> {
  await eachValue(model, values, async (match) => { await write(match); });
}

/** `run` for each value, PARALLEL at a time. */
async function eachOf<V>(values: readonly V[], run: (v: V) => PromiseLike<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(PARALLEL, values.length) }, async () => {
    while (next < values.length) await run(values[next++]!);
  }));
}

async function eachValue<V, R>(model: Counted, values: readonly V[], run: (match: V | { $in: V[] }) => Promise<R>): Promise<R[]> {
  const unique = [...new Set(values)];
  if (!unique.length) return [];
  if (unique.length === 1) return [await run(unique[0]!)];
  if (!onFerretDb() || (await sizeOf(model)) < unique.length * DOCS_PER_VALUE) return [await run({ $in: unique })];
  const out: R[] = [];
  await eachOf(unique, async (v) => { out.push(await run(v)); });
  return out;
}
