/**
 * "Exactly one of you": claims by inserting a document with a unique _id. This is the one primitive that is
 * atomic on both MongoDB and FerretDB 1.24 — on FerretDB a conditional update or findOneAndUpdate can
 * succeed for two racing writers (measured: test/outbox.test.ts "two workers"), an insert cannot.
 */
import { Schema, model } from 'mongoose';

const claimSchema = new Schema({
  _id: { type: String, required: true },
  holder: String,
  /** The caller's time (the bot's clock, which the simulator moves). */
  at: { type: Date, required: true },
  /** Real time of the claim: how long a holder has had it, whatever the simulated clocks say. */
  heldSince: Date,
});
export const Claim = model('Claim', claimSchema);

/** True for exactly one caller per key, ever. */
export async function claimOnce(key: string, at: Date, holder?: string): Promise<boolean> {
  try {
    await Claim.create({ _id: key, at, holder, heldSince: new Date() });
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return false;
    throw err;
  }
}

/** `claimOnce` for many keys in one insert: per key, whether this caller got it. */
export async function claimMany(claims: Array<{ key: string; at: Date }>, holder?: string): Promise<boolean[]> {
  const keys = claims.map((c) => c.key);
  const heldSince = new Date();
  try {
    // Raw driver insert: complete documents, no per-document casting; unordered so one taken key stops none of the rest.
    await Claim.collection.insertMany(claims.map((c) => ({ _id: c.key, at: c.at, holder, heldSince })) as never[], { ordered: false });
    return keys.map(() => true);
  } catch (err) {
    const e = err as { writeErrors?: Array<{ index: number; code?: number; err?: { code?: number } }>; code?: number };
    const failed = e.writeErrors ?? (e.code === 11000 && keys.length === 1 ? [{ index: 0, code: 11000 }] : undefined);
    if (!failed?.length || failed.some((w) => (w.code ?? w.err?.code) !== 11000)) throw err;
    const taken = new Set(failed.map((w) => w.index));
    return keys.map((_, i) => !taken.has(i));
  }
}

export async function claimHolder(key: string): Promise<string | undefined> {
  return (await Claim.findById(key).lean())?.holder ?? undefined;
}
