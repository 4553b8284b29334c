/**
 * Failed binding attempts and the limits built on them:
 *
 * - per address: 5 wrong tries within an hour → that address is refused for BIND_LOCK_MINUTES;
 * - per organisation: BIND_ORG_MAX_FAILURES wrong codes within BIND_ORG_WINDOW_MINUTES, from any addresses →
 *   code binding is paused for new addresses for BIND_ORG_PAUSE_MINUTES (someone rotating addresses to guess codes).
 *
 * Both count one inserted document per wrong try over a time window (an index serves the count on MongoDB):
 * on FerretDB 1.24 conditional updates are not atomic, inserts and counts of inserts are. A pause is itself an
 * insert with a unique `_id`, so racing instances start one pause and alert staff once.
 * `pruneBindAttempts(now)` removes what no window can count any more; the scheduler calls it.
 */
import { Schema, model } from 'mongoose';

const HOUR = 60 * 60 * 1000;

/** Failed binding attempts per address, for the "5 wrong codes in an hour → refused for an hour" rule. */
const bindAttemptSchema = new Schema({
  orgId: { type: String, required: true },
  address: { type: String, required: true },
  at: { type: Date, required: true },
});
bindAttemptSchema.index({ orgId: 1, address: 1, at: -1 });
bindAttemptSchema.index({ at: 1 });
export const BindAttempt = model('BindAttempt', bindAttemptSchema);

const bindLockSchema = new Schema({
  orgId: { type: String, required: true },
  address: { type: String, required: true },
  until: { type: Date, required: true },
});
bindLockSchema.index({ orgId: 1, address: 1 }, { unique: true });
bindLockSchema.index({ until: 1 });
export const BindLock = model('BindLock', bindLockSchema);

export interface BindLimits { maxFailures: number; lockMinutes: number }

export async function lockedUntil(orgId: string, address: string, now: Date): Promise<Date | undefined> {
  const lock = await BindLock.findOne({ orgId, address, until: { $gt: now } }).lean();
  return lock?.until ?? undefined;
}

/** Records a failure; returns the lock end when this failure reached the limit. */
export async function recordFailure(orgId: string, address: string, now: Date, limits: BindLimits): Promise<Date | undefined> {
  await BindAttempt.create({ orgId, address, at: now });
  const windowStart = new Date(now.getTime() - HOUR);
  const recent = await BindAttempt.countDocuments({ orgId, address, at: { $gt: windowStart, $lte: now } });
  if (recent < limits.maxFailures) return undefined;
  const until = new Date(now.getTime() + limits.lockMinutes * 60 * 1000);
  await BindLock.updateOne({ orgId, address }, { $set: { until } }, { upsert: true });
  // Failures before the lock do not count again after it ends.
  await BindAttempt.deleteMany({ orgId, address, at: { $lte: now } });
  return until;
}

// ---- Organisation-wide limit on wrong codes ----

/** One document per wrong code anywhere in the org (kept apart from BindAttempt, whose rows a lock deletes). */
const bindOrgFailureSchema = new Schema({
  orgId: { type: String, required: true },
  at: { type: Date, required: true },
});
bindOrgFailureSchema.index({ orgId: 1, at: -1 });
export const BindOrgFailure = model('BindOrgFailure', bindOrgFailureSchema);

/**
 * A pause of code binding for new addresses. `_id` = orgId + the pause-length bucket of its start: two instances
 * tripping the limit at the same moment compute the same id, so exactly one insert wins (and alerts); a later pause
 * starts after this one ended, which is always in a later bucket.
 */
const bindOrgPauseSchema = new Schema({
  _id: { type: String, required: true },
  orgId: { type: String, required: true },
  from: { type: Date, required: true },
  until: { type: Date, required: true },
  /** Wrong codes counted in the window when it started. */
  failures: { type: Number, required: true },
});
bindOrgPauseSchema.index({ orgId: 1, until: -1 });
export const BindOrgPause = model('BindOrgPause', bindOrgPauseSchema);

export interface OrgBindLimits { maxFailures: number; windowMinutes: number; pauseMinutes: number }

export interface OrgPause { id: string; from: Date; until: Date; failures: number }

async function latestPause(orgId: string): Promise<OrgPause | undefined> {
  const p = await BindOrgPause.findOne({ orgId }).sort({ until: -1 }).lean();
  return p ? { id: p._id, from: p.from, until: p.until, failures: p.failures } : undefined;
}

/** The end of the org's current pause, if one is on. */
export async function orgPausedUntil(orgId: string, now: Date): Promise<Date | undefined> {
  const p = await latestPause(orgId);
  return p && p.until > now ? p.until : undefined;
}

/**
 * Records a wrong code for the org. When the window (since the last pause ended, if later) now holds
 * `maxFailures` of them and no pause is on, starts one: `started` is set for the one caller whose insert
 * created it — that caller alerts staff.
 */
export async function recordOrgFailure(orgId: string, now: Date, limits: OrgBindLimits): Promise<{ pausedUntil?: Date; started?: OrgPause }> {
  await BindOrgFailure.create({ orgId, at: now });
  const last = await latestPause(orgId);
  if (last && last.until > now) return { pausedUntil: last.until };
  // Failures before a pause do not count again after it.
  const windowStart = Math.max(now.getTime() - limits.windowMinutes * 60_000, last?.until.getTime() ?? 0);
  const failures = await BindOrgFailure.countDocuments({ orgId, at: { $gt: new Date(windowStart), $lte: now } });
  if (failures < limits.maxFailures) return {};
  const pauseMs = limits.pauseMinutes * 60_000;
  const pause: OrgPause = { id: `${orgId}:${Math.floor(now.getTime() / pauseMs)}`, from: now, until: new Date(now.getTime() + pauseMs), failures };
  try {
    await BindOrgPause.create({ _id: pause.id, orgId, from: pause.from, until: pause.until, failures });
    return { pausedUntil: pause.until, started: pause };
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
  }
  // Another instance started it a moment ago (or, after a change of BIND_ORG_PAUSE_MINUTES, an old pause holds
  // this bucket: then a pause keyed by this very millisecond).
  const other = await BindOrgPause.findById(pause.id).lean();
  if (other && other.until > now) return { pausedUntil: other.until };
  pause.id = `${orgId}:t${now.getTime()}`;
  await BindOrgPause.create({ _id: pause.id, orgId, from: pause.from, until: pause.until, failures }).catch(() => undefined);
  return { pausedUntil: pause.until, started: pause };
}

/**
 * Deletes attempt records no window can count any more and locks and pauses that ended: attempts older than
 * `keepMs` (default 24 h, at least every window: the per-address one is 1 h, BIND_ORG_WINDOW_MINUTES ≤ 24 h),
 * locks that ended, pauses that ended more than `keepMs` ago (kept that long for the record). For the scheduler;
 * safe to run on several instances at once (deletes only).
 */
export async function pruneBindAttempts(now: Date, keepMs = 24 * HOUR): Promise<{ attempts: number; orgFailures: number; locks: number; pauses: number }> {
  const before = new Date(now.getTime() - Math.max(keepMs, HOUR));
  const [attempts, orgFailures, locks, pauses] = await Promise.all([
    BindAttempt.deleteMany({ at: { $lt: before } }),
    BindOrgFailure.deleteMany({ at: { $lt: before } }),
    BindLock.deleteMany({ until: { $lte: now } }),
    BindOrgPause.deleteMany({ until: { $lt: before } }),
  ]);
  return { attempts: attempts.deletedCount, orgFailures: orgFailures.deletedCount, locks: locks.deletedCount, pauses: pauses.deletedCount };
}
