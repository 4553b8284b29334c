/**
 * Tells a copy of a collection kept in memory that it is stale: the writes made through mongoose to a model in
 * this process (counted at once), and a stamp per model in the database that every instance changes after its
 * writes (so another instance's copy is re-read within STAMP_CHECK_MS instead of after a fixed time — at county
 * size a whole read of the family members is ~20 s of FerretDB, too dear to repeat every few minutes just in case).
 * Registered on a schema before its model is compiled.
 */
import crypto from 'node:crypto';
import { Schema, model, type Schema as SchemaType } from 'mongoose';

const counts = new Map<string, number>();

const QUERY_WRITES = [
  'updateOne', 'updateMany', 'findOneAndUpdate', 'findOneAndReplace', 'replaceOne', 'deleteOne', 'deleteMany', 'findOneAndDelete',
] as const;

/** One document per counted model (a handful, read whole): `token` changes after each write to it, by any instance. */
const WriteStamp = model('WriteStamp', new Schema({ _id: { type: String, required: true }, token: String, at: Date }));

/** How often the stamps are read again: another instance's write is seen within this. */
export const STAMP_CHECK_MS = 3_000;

export function countWrites(schema: SchemaType, name: string): void {
  const bump = (): void => wrote(name);
  schema.post('save', bump);
  schema.post('insertMany', bump);
  schema.post([...QUERY_WRITES], { query: true, document: false }, bump);
  schema.post('deleteOne', { document: true, query: false }, bump);
}

/** Counts a write that bypasses mongoose's middleware (a raw driver insert of many documents). */
export function wrote(name: string): void {
  counts.set(name, (counts.get(name) ?? 0) + 1);
  unstamped.add(name);
  flushing ??= flushStamps();
}

/** How many writes these models have had in this process so far. */
export function writeCount(names: readonly string[]): number {
  return names.reduce((sum, name) => sum + (counts.get(name) ?? 0), 0);
}

const unstamped = new Set<string>();
let flushing: Promise<void> | undefined;
let stampsRead: { at: number; tokens: Promise<Map<string, string>> } | undefined;

/** Writes the stamps of the models written since the last flush, a write at a time (a burst of writes: two). */
async function flushStamps(): Promise<void> {
  try {
    while (unstamped.size) {
      const names = [...unstamped];
      unstamped.clear();
      const token = `${Date.now().toString(36)}-${crypto.randomBytes(6).toString('hex')}`;
      await WriteStamp.bulkWrite(names.map((_id) => ({
        updateOne: { filter: { _id }, update: { $set: { token, at: new Date() } }, upsert: true },
      })), { ordered: false }).catch(() => {
        // Two first upserts of one stamp racing (duplicate key): the other one changed it. Another error (the
        // database down): the instances' copies are refreshed by age (snapshot.ts FALLBACK_MS).
      });
    }
  } finally {
    flushing = undefined;
    stampsRead = undefined; // this process's own stamps changed: read them again before the next comparison
  }
}

/**
 * A value that changes whenever one of these models was written, here or by another instance (this process's
 * own stamps are written first, so its writes are seen at once). Compare it before and after reading a copy.
 */
export async function writeVersion(names: readonly string[]): Promise<string> {
  if (flushing) await flushing;
  const now = Date.now();
  if (!stampsRead || now - stampsRead.at >= STAMP_CHECK_MS) {
    const read = {
      at: now,
      tokens: WriteStamp.find({}, { token: 1 }).lean().then((rows) => new Map(rows.map((r) => [String(r._id), r.token ?? '']))),
    };
    read.tokens.catch(() => { if (stampsRead === read) stampsRead = undefined; });
    stampsRead = read;
  }
  const tokens = await stampsRead.tokens;
  return `${writeCount(names)}|${names.map((n) => tokens.get(n) ?? '').join('|')}`;
}
