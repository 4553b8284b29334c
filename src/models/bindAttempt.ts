import { Schema, model } from 'mongoose';

/** Failed binding attempts per address, for the "5 wrong codes in an hour → refused for an hour" rule. */
const bindAttemptSchema = new Schema({
  orgId: { type: String, required: true },
  address: { type: String, required: true },
  at: { type: Date, required: true },
});
bindAttemptSchema.index({ orgId: 1, address: 1, at: -1 });
export const BindAttempt = model('BindAttempt', bindAttemptSchema);

const bindLockSchema = new Schema({
  orgId: { type: String, required: true },
  address: { type: String, required: true },
  until: { type: Date, required: true },
});
bindLockSchema.index({ orgId: 1, address: 1 }, { unique: true });
export const BindLock = model('BindLock', bindLockSchema);

export interface BindLimits { maxFailures: number; lockMinutes: number }

export async function lockedUntil(orgId: string, address: string, now: Date): Promise<Date | undefined> {
  const lock = await BindLock.findOne({ orgId, address, until: { $gt: now } }).lean();
  return lock?.until ?? undefined;
}

/** Records a failure; returns the lock end when this failure reached the limit. */
export async function recordFailure(orgId: string, address: string, now: Date, limits: BindLimits): Promise<Date | undefined> {
  await BindAttempt.create({ orgId, address, at: now });
  const windowStart = new Date(now.getTime() - 60 * 60 * 1000);
  const recent = await BindAttempt.countDocuments({ orgId, address, at: { $gt: windowStart, $lte: now } });
  if (recent < limits.maxFailures) return undefined;
  const until = new Date(now.getTime() + limits.lockMinutes * 60 * 1000);
  await BindLock.updateOne({ orgId, address }, { $set: { until } }, { upsert: true });
  // Failures before the lock do not count again after it ends.
  await BindAttempt.deleteMany({ orgId, address, at: { $lte: now } });
  return until;
}
