/**
 * The outbox archive/prune step, if the project has one yet: an exported function whose name says it archives or
 * prunes the outbox (e.g. `archiveOutbox`, `pruneOutbox`) in src/bot or src/models. Looked up at run time so the
 * bench runs before and after it lands. Called with the current time, as a scheduled job would.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface ArchiveStep {
  name: string;
  module: string;
  run(now: Date): Promise<unknown>;
}

const DIRS = ['src/bot', 'src/models', 'src/scheduler'];

export async function findArchive(): Promise<ArchiveStep | undefined> {
  const root = path.resolve(__dirname, '..', '..');
  for (const dir of DIRS) {
    for (const file of fs.readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.ts')).sort()) {
      const src = fs.readFileSync(path.join(root, dir, file), 'utf8');
      const m = /export\s+(?:async\s+)?function\s+((?:archive|prune)\w*Outbox\w*|outbox\w*(?:Archive|Prune)\w*)\s*\(/i.exec(src);
      if (!m) continue;
      const mod = (await import(path.join(root, dir, file))) as Record<string, unknown>;
      const fn = mod[m[1]];
      if (typeof fn !== 'function') continue;
      return { name: m[1], module: `${dir}/${file}`, run: (now) => (fn as (now: Date) => Promise<unknown>)(now) };
    }
  }
  return undefined;
}
