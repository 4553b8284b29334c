/**
 * A whole org's copy of some collections, read at once and kept until one of them is written — in this process or
 * by another instance (writeCounts.ts stamps) — or FALLBACK_MS has passed (a stamp lost to a crash between a write
 * and its stamp). The scheduled jobs, a family's question and a month's fan-out all read the roster this way: at
 * county size (20,000 children, 60,000 family members) each whole read is seconds to tens of seconds of FerretDB.
 */
import { writeVersion } from './writeCounts';

/** A copy is read again after this long even when no stamp changed. */
const FALLBACK_MS = 30 * 60_000;

interface Entry<T> { value: Promise<T>; version: string; at: number }

export interface Snapshot<T> {
  /** The copy, read now if there is none or it is stale. */
  (orgId: string): Promise<T>;
  /** The copy if there is a current one; never reads it. */
  current(orgId: string): Promise<T | undefined>;
}

/** `read(orgId)`, shared by its callers until `models` are written anywhere. Callers must not change what it returns. */
export function snapshot<T>(models: readonly string[], read: (orgId: string) => Promise<T>): Snapshot<T> {
  const byOrg = new Map<string, Entry<T>>();
  const fresh = (orgId: string, version: string) => {
    const hit = byOrg.get(orgId);
    // Real time: how old the copy is, whatever the bot's clock says.
    return hit && hit.version === version && Date.now() - hit.at < FALLBACK_MS ? hit : undefined;
  };
  const get = async (orgId: string) => {
    // Taken before reading: a write landing during the read makes the next call read again.
    const version = await writeVersion(models);
    const hit = fresh(orgId, version);
    if (hit) return hit.value;
    const entry: Entry<T> = { value: read(orgId), version, at: Date.now() };
    entry.value.catch(() => { if (byOrg.get(orgId) === entry) byOrg.delete(orgId); });
    byOrg.set(orgId, entry);
    return entry.value;
  };
  return Object.assign(get, {
    current: async (orgId: string) => fresh(orgId, await writeVersion(models))?.value,
  });
}
