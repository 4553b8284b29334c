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

export async function claimHolder(key: string): Promise<string | undefined> {
  return (await Claim.findById(key).lean())?.holder ?? undefined;
}
