import { Schema, model } from 'mongoose';

/** De-duplication of inbound messages on the platform's message id (platforms retry). */
const inboundLogSchema = new Schema({
  orgId: { type: String, required: true },
  channel: { type: String, required: true },
  platformId: { type: String, required: true },
  from: String,
  at: Date,
});
inboundLogSchema.index({ orgId: 1, channel: 1, platformId: 1 }, { unique: true });
// Pruned by age (scheduler/housekeepingJobs.ts).
inboundLogSchema.index({ at: 1 });

export const InboundLog = model('InboundLog', inboundLogSchema);

/** True the first time this message is seen; false for a repeat. */
export async function firstSighting(orgId: string, channel: string, platformId: string, from: string, at: Date): Promise<boolean> {
  try {
    await InboundLog.create({ orgId, channel, platformId, from, at });
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return false;
    throw err;
  }
}
