import { Schema, model } from 'mongoose';

/** De-duplication of inbound messages on the platform's message id (platforms retry). */
const inboundLogSchema = new Schema({
  orgId: { type: String, required: true },
  channel: { type: String, required: true },
  platformId: { type: String, required: true },
  from: String,
  at: Date,
  /** When this instance first saw it (real time, unlike `at`, which is the platform's or the simulated clock's). */
  seenAt: Date,
});
inboundLogSchema.index({ orgId: 1, channel: 1, platformId: 1 }, { unique: true });
// Pruned by age (scheduler/housekeepingJobs.ts).
inboundLogSchema.index({ at: 1 });

export const InboundLog = model('InboundLog', inboundLogSchema);

/** True the first time this message is seen; false for a repeat. */
/** When a repeat's first sighting was recorded (undefined for records older than this field). */
export async function sightedAt(orgId: string, channel: string, platformId: string): Promise<Date | undefined> {
  return (await InboundLog.findOne({ orgId, channel, platformId }, { seenAt: 1 }).lean())?.seenAt ?? undefined;
}

export async function firstSighting(orgId: string, channel: string, platformId: string, from: string, at: Date): Promise<boolean> {
  try {
    await InboundLog.create({ orgId, channel, platformId, from, at, seenAt: new Date() });
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return false;
    throw err;
  }
}
