/**
 * Finds the FerretDB binary, or builds FerretDB v1.24.2 with Go once (DESIGN.md §5) so that `npm start` on a fresh
 * machine needs no manual step. A plain `go install …@v1.24.2` builds a binary that panics at start (the module
 * lacks the generated build/version/version.txt), so after go install fetched the sources we rebuild from a copy
 * with that file written, as FerretDB's own build task does. `.ci/install-ferretdb.sh` runs this file.
 *
 * Only one build runs at a time: a lock file beside the binary, and any running `go install` of FerretDB (e.g. the
 * CI script's) is waited for instead of starting a second one.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isExecutable, which } from './executables';

export const FERRETDB_VERSION = 'v1.24.2';
const MODULE = 'github.com/FerretDB/FerretDB';

type Log = (msg: string) => void;

/** The Go toolchain on PATH. */
function findGo(env: NodeJS.ProcessEnv): string | undefined {
  return which('go', env);
}

function goPaths(env: NodeJS.ProcessEnv): string[] {
  const dirs: string[] = [];
  if (env.GOPATH) dirs.push(...env.GOPATH.split(path.delimiter));
  const go = findGo(env);
  if (go) {
    try {
      const out = spawnSync(go, ['env', 'GOPATH'], { encoding: 'utf8', timeout: 10_000, env }).stdout?.trim();
      if (out) dirs.push(...out.split(path.delimiter));
    } catch { /* ignore */ }
  }
  dirs.push(path.join(env.HOME ?? os.homedir(), 'go'));
  return [...new Set(dirs.filter(Boolean))];
}

/** A `ferretdb` that starts (`--version` exits 0): PATH, then `$(go env GOPATH)/bin`. */
export function findFerretDb(env: NodeJS.ProcessEnv): string | undefined {
  const candidates = [which('ferretdb', env), ...goPaths(env).map((d) => path.join(d, 'bin', 'ferretdb'))];
  return candidates.find((c): c is string => !!c && isExecutable(c) && works(c));
}

function works(bin: string): boolean {
  return spawnSync(bin, ['--version'], { timeout: 10_000 }).status === 0;
}

/** A running `go install`/build of FerretDB by someone else (its pid), found through /proc. */
function otherBuild(): number | undefined {
  let pids: string[];
  try { pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)); } catch { return undefined; }
  for (const p of pids) {
    if (Number(p) === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (/\bgo (install|build)\b.*(FerretDB|cmd\/ferretdb)/.test(cmd) || /install-ferretdb\.sh/.test(cmd)) return Number(p);
    } catch { /* gone */ }
  }
  return undefined;
}

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/**
 * The FerretDB binary, built first when missing (several minutes on 2 cores; progress goes to `log`). Undefined
 * when there is no Go toolchain to build it with.
 */
export async function ensureFerretDb(env: NodeJS.ProcessEnv, log: Log): Promise<string | undefined> {
  const found = findFerretDb(env);
  if (found) return found;
  const go = findGo(env);
  if (!go) return undefined;
  const gopath = goPaths(env)[0];
  const binDir = path.join(gopath, 'bin');
  const bin = path.join(binDir, 'ferretdb');
  fs.mkdirSync(binDir, { recursive: true });
  const lock = path.join(binDir, '.ferretdb-build.lock');

  // Wait (bounded) for a build already running: ours in another process (lock) or anyone's go install.
  const waitUntil = Date.now() + 30 * 60_000;
  let lastNote = 0;
  for (;;) {
    let holder: number | undefined;
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
    } catch {
      holder = Number(fs.readFileSync(lock, 'utf8')) || undefined;
      if (!holder || !pidAlive(holder)) { fs.rmSync(lock, { force: true }); continue; } // stale lock
    }
    const other = holder ?? otherBuild();
    if (!other) break;
    if (holder === undefined) fs.rmSync(lock, { force: true }); // we took it, but someone else's go build runs
    if (Date.now() > waitUntil) throw new Error(`FerretDB build by pid ${other} did not finish within 30 minutes`);
    if (Date.now() - lastNote > 30_000) {
      log(`FerretDB: waiting for the build already running (pid ${other})…`);
      lastNote = Date.now();
    }
    await new Promise((r) => setTimeout(r, 2000));
    const now = findFerretDb(env);
    if (now) return now;
  }
  try {
    const again = findFerretDb(env);
    if (again) return again;
    await build(go, bin, env, log);
    return bin;
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

async function build(go: string, bin: string, env: NodeJS.ProcessEnv, log: Log): Promise<void> {
  const started = Date.now();
  log(`FerretDB: not found; building ${MODULE} ${FERRETDB_VERSION} with Go into ${bin} (first start only, several minutes)…`);
  const goEnv = { ...env, GOBIN: path.dirname(bin) };
  let ok = false;
  for (let attempt = 1; attempt <= 2 && !ok; attempt++) {
    ok = await run(go, ['install', '-v', `${MODULE}/cmd/ferretdb@${FERRETDB_VERSION}`], goEnv, log, started);
  }
  if (!ok) throw new Error('go install of FerretDB failed twice (see the messages above)');
  if (works(bin)) return;

  log('FerretDB: rebuilding with build/version/version.txt written (the plain go install binary panics at start)…');
  const info = spawnSync(go, ['mod', 'download', '-json', `${MODULE}@${FERRETDB_VERSION}`], { encoding: 'utf8', env: goEnv, timeout: 600_000 });
  const src = (JSON.parse(info.stdout || '{}') as { Dir?: string }).Dir;
  if (!src) throw new Error(`go mod download of FerretDB failed: ${info.stderr}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ferretdb-src-'));
  try {
    fs.cpSync(src, work, { recursive: true });
    chmodWritable(work);
    fs.writeFileSync(path.join(work, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    if (!await run(go, ['build', '-v', '-o', bin, './cmd/ferretdb'], goEnv, log, started, work)) throw new Error('go build of FerretDB failed');
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  if (!works(bin)) throw new Error(`the FerretDB built at ${bin} does not start`);
  log(`FerretDB: ${FERRETDB_VERSION} built in ${Math.round((Date.now() - started) / 1000)} s at ${bin}`);
}

function chmodWritable(dir: string): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { fs.chmodSync(p, 0o755); chmodWritable(p); } else if (e.isFile()) fs.chmodSync(p, 0o644);
  }
  fs.chmodSync(dir, 0o755);
}

/** Runs a go command, turning its -v output (one line per package) into a progress line every 15 s. */
function run(go: string, args: string[], env: NodeJS.ProcessEnv, log: Log, started: number, cwd?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(go, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let downloads = 0;
    let packages = 0;
    let tail: string[] = [];
    const onData = (d: Buffer): void => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        if (line.startsWith('go: downloading')) downloads++; else packages++;
        tail = [...tail.slice(-9), line];
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setInterval(() => {
      log(`FerretDB build: ${Math.round((Date.now() - started) / 1000)} s, ${downloads} modules downloaded, ${packages} packages compiled…`);
    }, 15_000);
    child.on('error', (err) => { clearInterval(timer); log(`FerretDB build: ${err.message}`); resolve(false); });
    child.on('close', (code) => {
      clearInterval(timer);
      if (code !== 0) log(`FerretDB build: go ${args[0]} exited with ${code}:\n${tail.join('\n')}`);
      resolve(code === 0);
    });
  });
}

// `.ci/install-ferretdb.sh` (and anyone) can run this file directly.
if (require.main === module) {
  ensureFerretDb(process.env, (m) => process.stdout.write(`${m}\n`))
    .then((bin) => {
      if (!bin) { process.stderr.write('no Go toolchain: install Go to build FerretDB\n'); process.exit(1); }
      process.stdout.write(`ferretdb ${FERRETDB_VERSION} at ${bin}\n`);
    })
    .catch((err) => { process.stderr.write(`${(err as Error).message}\n`); process.exit(1); });
}
