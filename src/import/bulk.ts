/**
 * Batched writes for the imports: one round trip per chunk instead of one per row. FerretDB scans a collection
 * for every query (DESIGN §5), so the per-row lookups and writes were what made a county roster take minutes.
 */
import type { AnyBulkWriteOperation, Model } from 'mongoose';
import { Types } from 'mongoose';

/** Documents per insertMany / operations per bulkWrite: small enough for one request, big enough to amortise it. */
export const WRITE_CHUNK = 1000;

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
 * were refused for a duplicate key — another import got there first, or a binding code collided — so the caller can
 * decide what to do with them. Any other error is thrown.
 *
 * Which ones failed is read back from the database rather than from the error, whose shape differs between MongoDB
 * and FerretDB.
 */
export async function insertManyTolerant<T extends { _id: Types.ObjectId }>(model: Model<any>, docs: T[]): Promise<Set<string>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const refused = new Set<string>();
  const now = new Date();
  for (let i = 0; i < docs.length; i += WRITE_CHUNK) {
    const chunk = docs.slice(i, i + WRITE_CHUNK);
    try {
      await model.collection.insertMany(chunk.map((d) => storable(model, d, now)), { ordered: false });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const ids = chunk.map((d) => d._id);
      const stored = new Set((await model.find({ _id: { $in: ids } }, { _id: 1 }).lean<Array<{ _id: Types.ObjectId }>>()).map((d) => String(d._id)));
      for (const id of ids) if (!stored.has(String(id))) refused.add(String(id));
    }
  }
  return refused;
}

export async function bulkWriteChunked(model: Model<any>, ops: AnyBulkWriteOperation[]): Promise<void> { // eslint-disable-line @typescript-eslint/no-explicit-any
  for (let i = 0; i < ops.length; i += WRITE_CHUNK) {
    await model.bulkWrite(ops.slice(i, i + WRITE_CHUNK), { ordered: true });
  }
}
