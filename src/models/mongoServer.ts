/**
 * Finds a MongoDB-compatible server, the same way for `npm start`, the CLI and the tests (DESIGN.md §4):
 * MONGODB_URI → a `mongod` on PATH → a `ferretdb` binary (PATH or `$(go env GOPATH)/bin`, SQLite backend) →
 * mongodb-memory-server's download. When nothing works it throws an error that says what to install or set.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';

export type MongoSource = 'env' | 'running' | 'mongod' | 'ferretdb' | 'memory-server';

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
}

const STATE_FILE = 'mongo-server.json';

export async function findMongo(opts: FindMongoOptions): Promise<MongoHandle> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  const tried: string[] = [];

  if (env.MONGODB_URI) {
    log(`MongoDB: using MONGODB_URI`);
    return { uri: env.MONGODB_URI, source: 'env', stop: async () => undefined };
  }
  fs.mkdirSync(opts.dataDir, { recursive: true });

  if (opts.reuseRunning) {
    const running = await findRunning(opts.dataDir);
    if (running) {
      log(`MongoDB: reusing the server already running on ${opts.dataDir}`);
      return { uri: running, source: 'running', stop: async () => undefined };
    }
  }

  const mongod = which('mongod', env);
  if (mongod) {
    const dbPath = path.join(opts.dataDir, 'mongod');
    fs.mkdirSync(dbPath, { recursive: true });
    const port = await freePort();
    try {
      const handle = await startProcess(mongod, ['--dbpath', dbPath, '--port', String(port), '--bind_ip', '127.0.0.1'],
        `mongodb://127.0.0.1:${port}`, 'mongod', opts.dataDir, opts.advertise ?? false);
      log(`MongoDB: started ${mongod} on 127.0.0.1:${port}`);
      return handle;
    } catch (err) {
      tried.push(`mongod (${mongod}): ${(err as Error).message}`);
    }
  } else tried.push('mongod: not on PATH');

  const ferret = findFerretDb(env);
  if (ferret) {
    const dir = path.join(opts.dataDir, 'ferretdb');
    fs.mkdirSync(dir, { recursive: true });
    const port = await freePort();
    try {
      const handle = await startProcess(ferret, [
        '--handler=sqlite', `--sqlite-url=file:${dir}/`, `--state-dir=${dir}`,
        `--listen-addr=127.0.0.1:${port}`, '--debug-addr=-', '--telemetry=disable', '--log-level=warn',
      ], `mongodb://127.0.0.1:${port}`, 'ferretdb', opts.dataDir, opts.advertise ?? false);
      log(`MongoDB: started FerretDB (${ferret}) on 127.0.0.1:${port}, SQLite files in ${dir}`);
      return handle;
    } catch (err) {
      tried.push(`ferretdb (${ferret}): ${(err as Error).message}`);
    }
  } else tried.push('ferretdb: not on PATH nor in $(go env GOPATH)/bin');

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
    '  - build FerretDB: go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2',
    'What was tried:',
    ...tried.map((t) => `  - ${t}`),
  ].join('\n'));
}

/** Same server, another database: tests give each file its own, the app uses the URI's path or `liushou`. */
export function withDatabase(uri: string, dbName: string): string {
  const u = new URL(uri);
  u.pathname = `/${dbName}`;
  return u.toString();
}

function which(bin: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, bin);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function findFerretDb(env: NodeJS.ProcessEnv): string | undefined {
  const onPath = which('ferretdb', env);
  if (onPath) return onPath;
  const dirs: string[] = [];
  if (env.GOPATH) dirs.push(...env.GOPATH.split(path.delimiter));
  try {
    dirs.push(execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8', timeout: 10_000, env }).trim());
  } catch { /* no Go toolchain: fine */ }
  dirs.push(path.join(env.HOME ?? os.homedir(), 'go'));
  for (const d of dirs) {
    const candidate = path.join(d, 'bin', 'ferretdb');
    if (d && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
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

async function findRunning(dataDir: string): Promise<string | undefined> {
  try {
    const state = JSON.parse(fs.readFileSync(path.join(dataDir, STATE_FILE), 'utf8')) as { uri: string; pid: number };
    process.kill(state.pid, 0); // throws when that process is gone
    return (await ping(state.uri, 1500)) ? state.uri : undefined;
  } catch {
    return undefined;
  }
}

async function startProcess(bin: string, args: string[], uri: string, source: MongoSource, dataDir: string, advertise: boolean): Promise<MongoHandle> {
  const logFile = fs.openSync(path.join(dataDir, `${source}.log`), 'a');
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', logFile, logFile] });
  fs.closeSync(logFile);
  let exited: string | undefined;
  child.on('exit', (code, signal) => { exited = `exited with ${code ?? signal}`; });
  child.on('error', (err) => { exited = err.message; });

  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${exited}; see ${path.join(dataDir, `${source}.log`)}`);
    if (await ping(uri, 500)) {
      const stateFile = path.join(dataDir, STATE_FILE);
      if (advertise) fs.writeFileSync(stateFile, JSON.stringify({ uri, pid: child.pid, source }));
      const stop = async (): Promise<void> => {
        try { if (JSON.parse(fs.readFileSync(stateFile, 'utf8')).pid === child.pid) fs.unlinkSync(stateFile); } catch { /* gone */ }
        if (exited) return;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 5000);
          child.once('exit', () => { clearTimeout(timer); resolve(); });
          child.kill('SIGTERM');
        });
      };
      return { uri, source, stop };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error('did not answer a ping within 30 s');
}
