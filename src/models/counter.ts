import { Schema, model } from 'mongoose';

/** Short per-org sequence numbers (#27), taken atomically with one findOneAndUpdate. */
const counterSchema = new Schema({ _id: { type: String, required: true }, seq: { type: Number, default: 0 } });
export const Counter = model('Counter', counterSchema);

export async function nextNumber(orgId: string, name: string): Promise<number> {
  const doc = await Counter.findOneAndUpdate({ _id: `${orgId}:${name}` }, { $inc: { seq: 1 } }, { upsert: true, new: true });
  return doc!.seq;
}
