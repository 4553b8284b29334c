/**
 * Memory of the processes under test, from /proc: VmHWM (the kernel's peak resident set of a process) and VmRSS.
 * The database processes are the ones findMongo started (FerretDB, and PostgreSQL's postmaster with its
 * backends, which run as children of it); they are found from the pids in DATA_DIR/mongo-server.json and their
 * descendants, and sampled periodically because PostgreSQL backends come and go with connections.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface ProcMem {
  pid: number;
  comm: string;
  hwmKb: number;
  rssKb: number;
}

export function procMem(pid: number): ProcMem | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const num = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    const comm = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?';
    return { pid, comm, hwmKb: num('VmHWM'), rssKb: num('VmRSS') };
  } catch {
    return undefined;
  }
}

/** pid → parent pid of every process now. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      // comm may contain spaces and parentheses: the fields after the last ')' are fixed.
      const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(d), Number(after[1]));
    } catch { /* gone */ }
  }
  return out;
}

/** The pids and all their descendants. */
export function withDescendants(roots: number[]): number[] {
  const pp = parents();
  const set = new Set(roots.filter((p) => pp.has(p)));
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of pp) {
      if (!set.has(pid) && set.has(ppid)) {
        set.add(pid);
        grew = true;
      }
    }
  }
  return [...set];
}

/** The database server pids findMongo recorded for a data folder: the server clients talk to (FerretDB or mongod), and PostgreSQL. */
export function databasePids(dataDir: string): { server?: number; postgres?: number; source?: string } {
  try {
    const state = JSON.parse(fs.readFileSync(path.join(dataDir, 'mongo-server.json'), 'utf8')) as { pid?: number; source?: string; postgres?: { pid?: number } };
    return { server: state.pid, postgres: state.postgres?.pid, source: state.source };
  } catch {
    return {};
  }
}

export interface GroupPeak {
  /** Highest VmHWM of any one process of the group (kB). */
  maxHwmKb: number;
  /** Which process that was (comm). */
  maxHwmComm: string;
  /** Highest sum of VmRSS over the group's processes at one sample (kB; shared memory counted in each process). */
  peakSumRssKb: number;
  /** Process names seen, with counts at the busiest sample. */
  processes: Record<string, number>;
}

/** Samples a group of processes (recomputed each time from `roots()`) until stopped. */
export class MemSampler {
  private timer?: NodeJS.Timeout;
  readonly groups = new Map<string, GroupPeak>();

  constructor(private readonly sources: Record<string, () => number[]>, private readonly everyMs = 500) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    this.sample();
    if (this.timer) clearInterval(this.timer);
  }

  sample(): void {
    for (const [name, roots] of Object.entries(this.sources)) {
      const mems = roots().map(procMem).filter((m): m is ProcMem => !!m);
      if (!mems.length) continue;
      const g = this.groups.get(name) ?? { maxHwmKb: 0, maxHwmComm: '', peakSumRssKb: 0, processes: {} };
      for (const m of mems) {
        if (m.hwmKb > g.maxHwmKb) {
          g.maxHwmKb = m.hwmKb;
          g.maxHwmComm = m.comm;
        }
      }
      const sum = mems.reduce((a, m) => a + m.rssKb, 0);
      if (sum > g.peakSumRssKb) {
        g.peakSumRssKb = sum;
        g.processes = {};
        for (const m of mems) g.processes[m.comm] = (g.processes[m.comm] ?? 0) + 1;
      }
      this.groups.set(name, g);
    }
  }
}

export const mb = (kb: number) => kb / 1024;
