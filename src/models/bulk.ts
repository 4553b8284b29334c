/**
 * Batched writes (imports, the outbox): one round trip per chunk instead of one per document. FerretDB scans a
 * collection for every query (DESIGN §5), so per-row lookups and writes were what made a county roster take
 * minutes and a month's notes trickle into the outbox.
 */
import type { AnyBulkWriteOperation, Model } from 'mongoose';
import { wrote } from './writeCounts';

/** Documents per insertMany / operations per bulkWrite: small enough for one request, big enough to amortise it. */
const WRITE_CHUNK = 1000;

function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: number; writeErrors?: Array<{ code?: number; err?: { code?: number } }> };
  if (e.code === 11000) return true;
  return Array.isArray(e.writeErrors) && e.writeErrors.length > 0
    && e.writeErrors.every((w) => (w.code ?? w.err?.code) === 11000);
}

/**
 * The document as mongoose would store it — timestamps and version key added, undefined fields left out — for the
 * driver's insertMany: the rows were validated by the parser already, and mongoose's per-document validation was
 * most of an import's time.
 */
function storable(model: Model<any>, doc: Record<string, unknown>, now: Date): Record<string, unknown> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (v !== undefined) out[k] = v;
  if (model.schema.get('timestamps')) Object.assign(out, { createdAt: now, updatedAt: now });
  out.__v = 0;
  return out;
}

/**
 * Inserts `docs` (each with its own `_id`), unordered so one duplicate does not stop the rest. Returns the ids that
 * were refused for a duplicate key — another writer got there first, or a binding code collided — so the caller can
 * decide what to do with them. Any other error is thrown.
 *
 * Which ones failed is read back from the database rather than from the error, whose shape differs between MongoDB
 * and FerretDB: a document is stored when a document with its `_id` is there and, for collections whose `_id` is a
 * natural key (another writer's document may hold it), `mine` says it is this one.
 */
export async function insertManyTolerant<T extends { _id: unknown }>(model: Model<any>, docs: T[], // eslint-disable-line @typescript-eslint/no-explicit-any
  mine: (stored: Record<string, unknown>, doc: T) => boolean = () => true, fields: Record<string, 1> = {}): Promise<Set<string>> {
  const refused = new Set<string>();
  const now = new Date();
  for (let i = 0; i < docs.length; i += WRITE_CHUNK) {
    const chunk = docs.slice(i, i + WRITE_CHUNK);
    try {
      await model.collection.insertMany(chunk.map((d) => storable(model, d, now)), { ordered: false });
      wrote(model.modelName);
    } catch (err) {
      wrote(model.modelName);
      if (!isDuplicateKey(err)) throw err;
      const stored = new Map((await model.find({ _id: { $in: chunk.map((d) => d._id) } }, { _id: 1, ...fields }).lean<Array<Record<string, unknown>>>())
        .map((d) => [String(d._id), d]));
      for (const d of chunk) {
        const there = stored.get(String(d._id));
        if (!there || !mine(there, d)) refused.add(String(d._id));
      }
    }
  }
  return refused;
}

export async function bulkWriteChunked(model: Model<any>, ops: AnyBulkWriteOperation[]): Promise<void> { // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    for (let i = 0; i < ops.length; i += WRITE_CHUNK) {
      await model.bulkWrite(ops.slice(i, i + WRITE_CHUNK), { ordered: true });
    }
  } finally {
    wrote(model.modelName);
  }
}

/**
 * The update that makes `keys` of a record equal to `values`: cleared ones (null or undefined) are unset, since a
 * $set of undefined would leave the old value behind. Undefined when there is nothing to change.
 */
export function setAndUnset(values: Record<string, unknown>, keys: string[]): { $set?: Record<string, unknown>; $unset?: Record<string, 1> } | undefined {
  const set: Record<string, unknown> = {};
  const unset: Record<string, 1> = {};
  for (const k of keys) {
    const v = values[k];
    if (v === null || v === undefined) unset[k] = 1;
    else set[k] = v;
  }
  if (!keys.length) return undefined;
  return { ...(Object.keys(set).length ? { $set: set } : {}), ...(Object.keys(unset).length ? { $unset: unset } : {}) };
}

