import { Schema, model } from 'mongoose';
import { claimOnce } from './claim';

/** Short per-org sequence numbers (#27). */
const counterSchema = new Schema({ _id: { type: String, required: true }, seq: { type: Number, default: 0 } });
export const Counter = model('Counter', counterSchema);

/**
 * The counter document is only a hint of where to start; each number is then claimed by a unique insert, so
 * two racing callers never get the same number, on MongoDB or on FerretDB.
 */
export async function nextNumber(orgId: string, name: string, now: Date): Promise<number> {
  const id = `${orgId}:${name}`;
  let hint = 0;
  try {
    hint = (await Counter.findOneAndUpdate({ _id: id }, { $inc: { seq: 1 } }, { upsert: true, new: true }))!.seq;
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
    hint = ((await Counter.findById(id).lean())?.seq ?? 0) + 1;
  }
  for (let n = Math.max(1, hint); ; n++) {
    if (await claimOnce(`seq:${id}:${n}`, now)) {
      if (n !== hint) await Counter.updateOne({ _id: id, seq: { $lt: n } }, { $set: { seq: n } });
      return n;
    }
  }
}
