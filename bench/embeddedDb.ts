/**
 * `npx tsx bench/embeddedDb.ts`: the embedded database's start times (fresh and second start of FerretDB on
 * PostgreSQL) and one query on a collection of 20,000 documents, FerretDB on SQLite vs FerretDB on PostgreSQL
 * (DESIGN.md §5). Everything runs in a temporary folder on loopback ports and is removed at the end.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { findFerretDb } from '../src/models/ferretdbBuild';
import { freePort, startEmbeddedDb, withDatabase } from '../src/models/mongoServer';

const DOCS = 20_000;
const RUNS = 5;

async function timeQueries(uri: string): Promise<Record<string, number>> {
  const client = new MongoClient(withDatabase(uri, 'bench'));
  await client.connect();
  const col = client.db().collection('outbox');
  await col.deleteMany({});
  const now = Date.now();
  for (let i = 0; i < DOCS; i += 1000) {
    await col.insertMany(Array.from({ length: 1000 }, (_, j) => ({
      key: `k-${i + j}`, orgId: 'default', status: (i + j) % 100 === 0 ? 'pending' : 'sent', dueAt: new Date(now - (i + j) * 1000),
      text: '今天的作业写完了吗？记得早点睡觉。',
    })));
  }
  await col.createIndex({ key: 1 }, { unique: true });
  await col.createIndex({ status: 1, dueAt: 1 });
  const queries: Record<string, () => Promise<unknown>> = {
    // What the delivery worker asks every second: a few due items among many done ones.
    'due claim (find status+dueAt, sort, limit 20)': () => col.find({ status: 'pending', dueAt: { $lte: new Date() } }).sort({ dueAt: 1 }).limit(20).toArray(),
    'findOne by unique key': () => col.findOne({ key: `k-${DOCS - 7}` }),
  };
  const out: Record<string, number> = {};
  for (const [name, q] of Object.entries(queries)) {
    await q(); // warm
    const times: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const t = performance.now();
      await q();
      times.push(performance.now() - t);
    }
    out[name] = Math.round(times.sort((a, b) => a - b)[Math.floor(RUNS / 2)] * 10) / 10;
  }
  await client.close();
  return out;
}

async function sqliteFerret(dir: string): Promise<{ uri: string; child: ChildProcess }> {
  const bin = findFerretDb(process.env);
  if (!bin) throw new Error('no ferretdb binary');
  const port = await freePort();
  fs.mkdirSync(dir, { recursive: true });
  const child = spawn(bin, ['--handler=sqlite', `--sqlite-url=file:${dir}/`, `--state-dir=${dir}`, `--listen-addr=127.0.0.1:${port}`,
    '--debug-addr=-', '--telemetry=disable', '--log-level=error'], { stdio: 'ignore' });
  const uri = `mongodb://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    const c = new MongoClient(uri, { serverSelectionTimeoutMS: 300 });
    try { await c.connect(); await c.db('admin').command({ ping: 1 }); await c.close(); return { uri, child }; } catch { await c.close(); }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error('FerretDB/SQLite did not start');
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'liushou-dbbench-'));
  try {
    const dataDir = path.join(root, 'data');
    let t = performance.now();
    let db = await startEmbeddedDb({ dataDir });
    console.log(`FerretDB/PostgreSQL first start (makes the cluster): ${Math.round(performance.now() - t)} ms`);
    await db.stop();
    t = performance.now();
    db = await startEmbeddedDb({ dataDir });
    console.log(`FerretDB/PostgreSQL second start: ${Math.round(performance.now() - t)} ms`);
    const pg = await timeQueries(db.uri);
    await db.stop();

    const sqlite = await sqliteFerret(path.join(root, 'sqlite'));
    const lite = await timeQueries(sqlite.uri);
    sqlite.child.kill('SIGTERM');

    console.log(`\nmedian of ${RUNS}, ${DOCS} documents (ms):`);
    console.log(['query', 'FerretDB/SQLite', 'FerretDB/PostgreSQL'].join(' | '));
    for (const q of Object.keys(pg)) console.log([q, lite[q], pg[q]].join(' | '));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
