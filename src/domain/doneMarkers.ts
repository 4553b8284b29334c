/**
 * A run done for its period (the Monday digest of a week, the 通报 of a month): a marker claimed after a complete
 * run keeps the period's later ticks from computing it again. A run that stopped half-way leaves no marker, and
 * its notices' keys keep the next run from sending twice.
 */
import { Claim, claimOnce } from '../models/claim';

/** True once a run marked `key` done. */
export async function isDone(key: string): Promise<boolean> {
  return !!(await Claim.exists({ _id: key }));
}

/** Marks the run `key` done at `now`. */
export async function markDone(key: string, now: Date): Promise<void> {
  await claimOnce(key, now, 'done');
}
