import { Schema, model } from 'mongoose';

/** A named lease so that only one instance runs a piece of scheduled work at a time. */
const leaseSchema = new Schema({ _id: { type: String, required: true }, holder: String, until: Date });
export const Lease = model('Lease', leaseSchema);

/** True when `holder` now holds the lease `name` until now + ttlMs. */
export async function acquireLease(name: string, holder: string, now: Date, ttlMs: number): Promise<boolean> {
  const until = new Date(now.getTime() + ttlMs);
  try {
    const doc = await Lease.findOneAndUpdate(
      { _id: name, $or: [{ until: { $lte: now } }, { holder }] },
      { $set: { holder, until } },
      { upsert: true, new: true },
    );
    return doc?.holder === holder;
  } catch (err) {
    // Someone else holds it: the upsert collided with their document.
    if ((err as { code?: number }).code === 11000) return false;
    throw err;
  }
}

export async function releaseLease(name: string, holder: string): Promise<void> {
  await Lease.updateOne({ _id: name, holder }, { $set: { until: new Date(0) } });
}
