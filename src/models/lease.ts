/**
 * Leases for scheduled work: time is cut into slots of `ttlMs`, and the first instance to claim a slot holds
 * the lease for it (see claim.ts for why it is an insert, not an update). Asking again in the same slot
 * answers the same way, so a holder can check it still holds.
 */
import { claimHolder, claimOnce } from './claim';

export async function acquireLease(name: string, holder: string, now: Date, ttlMs: number): Promise<boolean> {
  const key = `lease:${name}:${Math.floor(now.getTime() / ttlMs)}`;
  if (await claimOnce(key, now, holder)) return true;
  return (await claimHolder(key)) === holder;
}
