/** The one module that finds a database for npm start, the CLI and the tests (DESIGN.md §4 order). */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { Client } from 'pg';
import { findPostgresBinaries, postmasterStatus } from '../src/models/embeddedPostgres';
import { ferretDbInstalled, findMongo, withDatabase } from '../src/models/mongoServer';

const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'liushou-find-'));
/** PATH without mongod, so that the embedded default is what gets picked. */
const noMongod = () => ({ PATH: process.env.PATH!.split(':').filter((d) => !fs.existsSync(path.join(d, 'mongod'))).join(':'), HOME: process.env.HOME });
/** The embedded default can run here without building anything (CI builds FerretDB before the tests). */
const embeddedHere = () => ferretDbInstalled() && findPostgresBinaries(tmp()).length > 0;

/** Every process whose command line names this folder: the servers running on it. */
function serversOn(dataDir: string): { postgres: number[]; ferretdb: number[] } {
  const out = { postgres: [] as number[], ferretdb: [] as number[] };
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmd = '';
    try { cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { continue; }
    try { if (/^\d+ \(.*\) Z/s.test(fs.readFileSync(`/proc/${p}/stat`, 'utf8'))) continue; } catch { continue; }
    if (!cmd.includes(dataDir)) continue;
    if (/\bpostgres -D /.test(cmd)) out.postgres.push(Number(p));
    else if (/ferretdb --handler/.test(cmd)) out.ferretdb.push(Number(p));
  }
  return out;
}

async function count(uri: string): Promise<number> {
  const client = new MongoClient(withDatabase(uri, 'orphan'), { serverSelectionTimeoutMS: 5000 });
  try {
    await client.connect();
    return await client.db().collection('notes').countDocuments();
  } finally {
    await client.close();
  }
}

describe('findMongo', () => {
  it('uses MONGODB_URI first and never stops a server it did not start', async () => {
    const handle = await findMongo({ dataDir: tmp(), env: { MONGODB_URI: 'mongodb://127.0.0.1:1/x' } });
    expect(handle).toEqual(expect.objectContaining({ uri: 'mongodb://127.0.0.1:1/x', source: 'env' }));
    await handle.stop();
  });

  it('with nothing installed, stops with a message that says what to install or set', async () => {
    const saved = { ...process.env };
    // mongodb-memory-server reads these from process.env: make its download fail at once, offline or not.
    process.env.MONGOMS_DOWNLOAD_URL = 'http://127.0.0.1:9/mongodb-linux-x86_64-debian12-7.0.24.tgz';
    process.env.MONGOMS_DOWNLOAD_DIR = tmp();
    try {
      const home = tmp();
      await expect(findMongo({ dataDir: tmp(), env: { PATH: path.join(home, 'empty-bin'), HOME: home } }))
        .rejects.toThrow(/MONGODB_URI[\s\S]*mongod[\s\S]*go install github.com\/FerretDB\/FerretDB\/cmd\/ferretdb@v1.24.2/);
    } finally {
      process.env = saved;
    }
  });

  it('starts FerretDB on a PostgreSQL of its own under the data dir; the data survives a restart', async () => {
    if (!embeddedHere()) {
      // Not installed on this machine: CI installs it (.ci/install-ferretdb.sh), so this branch is for laptops.
      expect(fs.existsSync(path.join(ROOT, '.ci', 'install-ferretdb.sh'))).toBe(true);
      return;
    }
    const dataDir = tmp();
    for (let round = 1; round <= 2; round++) {
      const handle = await findMongo({ dataDir, env: noMongod(), durable: false });
      try {
        expect(handle.source).toBe('ferretdb-postgresql');
        expect(handle.uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+$/);
        expect(fs.existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
        const client = new MongoClient(withDatabase(handle.uri, 'keep'));
        await client.connect();
        await client.db().collection('c').insertOne({ round });
        expect(await client.db().collection('c').countDocuments()).toBe(round);
        await client.close();
      } finally {
        await handle.stop();
      }
      expect(postmasterStatus(path.join(dataDir, 'postgres'))).toBeUndefined(); // stopped cleanly
      expect(fs.existsSync(path.join(dataDir, 'mongo-server.json'))).toBe(false);
    }
  }, 60_000);

  it("serves FerretDB's equality filters from GIN indexes (made by a trigger, and again at start for older tables)", async () => {
    if (!embeddedHere()) {
      expect(fs.existsSync(path.join(ROOT, '.ci', 'install-ferretdb.sh'))).toBe(true);
      return;
    }
    const dataDir = tmp();
    const plan = async (): Promise<{ gin: string[]; explain: string }> => {
      const pg = new Client({ connectionString: `postgres://ferret@127.0.0.1:${postmasterStatus(path.join(dataDir, 'postgres'))!.port}/postgres` });
      await pg.connect();
      try {
        const meta = await pg.query<{ t: string }>("SELECT _jsonb->>'table' AS t FROM gin._ferretdb_database_metadata WHERE _jsonb->>'_id' = 'outbox'");
        const table = `gin.${meta.rows[0]!.t}`;
        const gin = (await pg.query<{ d: string }>(`SELECT indexdef AS d FROM pg_indexes WHERE schemaname = 'gin' AND indexdef ~ 'USING gin'`)).rows.map((r) => r.d);
        // What FerretDB sends for findOne({key}): the field as a parameter, the value as a containment.
        await pg.query(`PREPARE q(text, jsonb) AS SELECT _jsonb FROM ${table} WHERE _jsonb -> $1 @> $2`);
        const explain = (await pg.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE q('key', '"k-1717"')`)).rows.map((r) => r['QUERY PLAN']).join('\n');
        if (gin.length) await pg.query(`DROP INDEX ${gin.map((d) => `gin.${/INDEX (\S+) ON/.exec(d)![1]}`).join(', ')}`);
        return { gin, explain };
      } finally {
        await pg.end();
      }
    };
    for (let round = 1; round <= 2; round++) {
      const handle = await findMongo({ dataDir, env: noMongod(), durable: false });
      try {
        if (round === 1) {
          const client = new MongoClient(withDatabase(handle.uri, 'gin'));
          await client.connect();
          await client.db().collection('outbox').createIndex({ orgId: 1, key: 1 }, { unique: true });
          await client.db().collection('outbox').insertMany(Array.from({ length: 3000 }, (_, i) => ({ orgId: 'default', key: `k-${i}`, text: '你好'.repeat(50) })));
          await client.close();
        }
        const { gin, explain } = await plan();
        // _id and key get one each; orgId (one value in a deployment) none. Round 2: the ones dropped after
        // round 1 were made again at start, as for a database made before this existed.
        expect(gin.map((d) => /_jsonb -> '(\w+)'/.exec(d)![1]).sort()).toEqual(['_id', 'key']);
        expect(explain).toMatch(/Bitmap Index Scan on \S+_gin/);
      } finally {
        await handle.stop();
      }
    }
  }, 90_000);

  describe('after a kill -9 of the process that started it', () => {
    let child: ChildProcess | undefined;
    afterEach(() => { child?.kill('SIGKILL'); });

    it('the next start stops the servers left running and starts exactly one PostgreSQL and one FerretDB on the same data', async () => {
      if (!embeddedHere()) return; // see above
      const dataDir = tmp();
      // A process that starts the embedded database, writes a document, says so, and then just runs.
      const script = [
        `const { findMongo, withDatabase } = require(${JSON.stringify(path.join(ROOT, 'src/models/mongoServer'))});`,
        `const { MongoClient } = require('mongodb');`,
        `(async () => {`,
        `  const h = await findMongo({ dataDir: ${JSON.stringify(dataDir)}, durable: false, advertise: true });`,
        `  const c = new MongoClient(withDatabase(h.uri, 'orphan')); await c.connect();`,
        `  await c.db().collection('notes').insertOne({ text: 'written before the kill' }); await c.close();`,
        `  process.stdout.write('READY ' + h.uri + '\\n'); setInterval(() => undefined, 1000);`,
        `})();`,
      ].join('\n');
      child = spawn(TSX, ['-e', script], { cwd: ROOT, env: { ...process.env, MONGODB_URI: '', ...noMongod() }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d) => { out += d; });
      child.stderr!.on('data', (d) => { out += d; });
      const deadline = Date.now() + 45_000;
      while (!out.includes('READY') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain('READY');
      const before = serversOn(dataDir);
      expect(before.postgres.length).toBeGreaterThanOrEqual(1);
      expect(before.ferretdb).toHaveLength(1);

      const owner = JSON.parse(fs.readFileSync(path.join(dataDir, 'mongo-server.json'), 'utf8')).owner as number;
      process.kill(owner, 'SIGKILL'); // tsx runs the script in a child node: kill that one, the state file's owner
      child.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 300));
      // The orphans are still serving: this is what used to get a second server next to it.
      expect(serversOn(dataDir).ferretdb).toEqual(before.ferretdb);
      const pm = postmasterStatus(path.join(dataDir, 'postgres'))!;
      expect(before.postgres).toContain(pm.pid);

      const logs: string[] = [];
      const handle = await findMongo({ dataDir, env: noMongod(), durable: false, log: (m) => logs.push(m) });
      try {
        expect(handle.source).toBe('ferretdb-postgresql');
        expect(logs.join('\n')).toMatch(/killed run left/);
        const after = serversOn(dataDir);
        expect(after.ferretdb).toHaveLength(1);
        expect(after.ferretdb).not.toEqual(before.ferretdb);
        const newPm = postmasterStatus(path.join(dataDir, 'postgres'))!;
        expect(newPm.pid).not.toBe(pm.pid);
        // Exactly one postmaster: every postgres process on this data dir is it or its child.
        for (const pid of after.postgres) {
          if (pid === newPm.pid) continue;
          const ppid = Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
          expect(ppid).toBe(newPm.pid);
        }
        expect(await count(handle.uri)).toBe(1);
      } finally {
        await handle.stop();
      }
      expect(serversOn(dataDir)).toEqual({ postgres: [], ferretdb: [] });
    }, 90_000);
  });
});
