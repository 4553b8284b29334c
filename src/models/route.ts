import { Schema, model } from 'mongoose';

/** Where an address was last heard from, per channel: delivery prefers the channel the person actually uses. */
const routeSchema = new Schema({
  orgId: { type: String, required: true },
  address: { type: String, required: true },
  channel: { type: String, required: true },
  lastInboundAt: { type: Date, required: true },
});
routeSchema.index({ orgId: 1, address: 1, channel: 1 }, { unique: true });

export const Route = model('Route', routeSchema);

export async function noteRoute(orgId: string, address: string, channel: string, at: Date): Promise<void> {
  await Route.updateOne({ orgId, address, channel }, { $set: { lastInboundAt: at } }, { upsert: true }).catch((err: { code?: number }) => {
    if (err.code !== 11000) throw err; // two messages at once: the other wrote it
  });
}
