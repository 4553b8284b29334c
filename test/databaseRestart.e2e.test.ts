/**
 * "Database restarted under load": the bot keeps running while its database server goes away and comes back on
 * the same port and data. /healthz says so (503 database down, then 200), the driver reconnects by itself, and every
 * message ends up answered exactly once: accepted ones at once, refused ones (5xx) when the sender retries them
 * with the same message id after the restart, as a platform does. Runs on an embedded database of its own, since
 * it stops it (the suite's shared server must stay up for the other files).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { startApp, RunningApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/log';
import { findPostgresBinaries } from '../src/models/embeddedPostgres';
import { ferretDbInstalled, freePort, MongoHandle, startEmbeddedDb, withDatabase } from '../src/models/mongoServer';

const embeddedHere = ferretDbInstalled() && findPostgresBinaries(os.tmpdir()).length > 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sent { id: string; from: string; status: number; replies: number }

/** Polls until `check` holds, at most `ms`; returns whether it did. */
async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(200);
  }
  return false;
}

(embeddedHere ? describe : describe.skip)('database restarted under load', () => {
  let db: MongoHandle | undefined;
  let app: RunningApp | undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'liushou-restart-'));

  afterAll(async () => {
    await app?.stop().catch(() => undefined);
    await db?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('health goes down and back, the bot reconnects by itself, and no message is lost or answered twice', async () => {
    const port = await freePort();
    db = await startEmbeddedDb({ dataDir, port, durable: false });
    const config = loadConfig({ ADMIN_TOKEN: 'test-admin-token-0123456789', LOG_LEVEL: 'silent' });
    app = await startApp({ config, log: createLogger('silent'), mongoUri: withDatabase(db.uri, 'restart') });
    const http = () => request(app!.http);
    const run = crypto.randomBytes(3).toString('hex');

    const send = async (n: number, id = `m-${run}-${n}`): Promise<Sent> => {
      const from = `parent-${run}-${n}`;
      const res = await http().post('/sim/messages').send({ from, text: '你好', id }).timeout(30_000).catch((err) => err.response ?? { status: 0, body: {} });
      return { id, from, status: res.status, replies: res.body?.replies?.length ?? 0 };
    };
    const health = async () => (await http().get('/healthz').timeout(10_000)).body as { ok: boolean; database?: string };

    // Before: answered.
    expect(await health()).toEqual({ ok: true });
    const sent: Sent[] = [];
    for (let n = 0; n < 5; n++) sent.push(await send(n));
    expect(sent.every((s) => s.status === 200 && s.replies > 0)).toBe(true);

    // Load: messages keep coming, a few at a time, through the whole restart (bounded in count and time).
    let n = 5;
    let load = true;
    const loadDone = (async () => {
      const stopAt = Date.now() + 90_000;
      while (load && n < 300 && Date.now() < stopAt) {
        const batch = await Promise.all([send(n++), send(n++)]);
        sent.push(...batch);
        await sleep(50);
      }
    })();

    await sleep(500);
    await db.stop();
    expect(await until(async () => (await health()).database === 'down', 15_000)).toBe(true);
    expect(await health()).toEqual({ ok: false, database: 'down' });
    await sleep(1000);

    db = await startEmbeddedDb({ dataDir, port, durable: false });
    const back = await until(async () => (await health()).ok, 45_000);
    // When it fails, say what the server said and what the database logged (a bare "false" told nothing in CI).
    const ferretLog = () => fs.readFileSync(path.join(dataDir, 'ferretdb.log'), 'utf8').split('\n').slice(-15).join('\n');
    expect(back ? 'back' : { health: await health(), ferretLog: ferretLog() }).toBe('back');
    const afterRestart = sent.length;
    expect(await until(async () => sent.slice(afterRestart).filter((s) => s.status === 200).length >= 6, 30_000)).toBe(true);
    load = false;
    await loadDone;

    // The refused ones are sent again with the same id, as WeCom retries a callback (bounded), some seconds later:
    // one whose first try was recorded as seen but never answered is processed again (src/bot/bot.ts neverAnswered).
    const refused = sent.filter((s) => s.status !== 200);
    if (refused.length) await sleep(11_000);
    for (const s of refused) {
      const again = await send(Number(s.id.split('-').pop()), s.id);
      expect(again.status).toBe(200);
    }
    // Anything whose delivery failed during the outage is due again a while later (backoff): move the clock on.
    await http().post('/sim/clock').send({ now: new Date(Date.now() + 2 * 3600_000).toISOString() }).expect(200);

    // Every message, accepted at the first try or refused and retried, is answered exactly once.
    const lost: string[] = [];
    const twice: string[] = [];
    for (const s of sent) {
      const inbox = (await http().get(`/sim/inbox/${encodeURIComponent(s.from)}`).expect(200)).body.messages as Array<{ id: string; text: string }>;
      if (inbox.length === 0) lost.push(s.id);
      if (inbox.length > 1) twice.push(s.id);
    }
    expect({ lost, twice }).toEqual({ lost: [], twice: [] });
    expect(sent.length).toBeGreaterThan(15);
    expect(await health()).toEqual({ ok: true });
  }, 150_000);
});
