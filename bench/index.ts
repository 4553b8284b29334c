/**
 * `npm run bench`: how many database round trips one family question costs, measured as a ratio against a
 * baseline taken in the same run on the same server (one insert + one read), so machines can be compared.
 * Bounded: a fixed number of messages, whatever the speed.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { startApp } from '../src/app';
import { loadConfig } from '../src/config';
import { loadDemo } from '../src/demo';
import { createLogger } from '../src/log';
import { findMongo, withDatabase } from '../src/models/mongoServer';

const N = Number(process.env.BENCH_N ?? 200);

async function time(label: string, fn: (i: number) => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await fn(i);
  const perOp = Number(process.hrtime.bigint() - start) / 1e6 / N;
  process.stdout.write(`${label.padEnd(44)} ${perOp.toFixed(2)} ms/op\n`);
  return perOp;
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'liushou-bench-'));
  const mongo = await findMongo({ dataDir });
  const config = loadConfig({ ADMIN_TOKEN: 'bench-token-0123456789', LOG_LEVEL: 'silent' });
  const app = await startApp({ config, log: createLogger('silent'), mongoUri: withDatabase(mongo.uri, `bench_${crypto.randomBytes(3).toString('hex')}`) });
  try {
    const ctx = app.context;
    await loadDemo(ctx.orgId, ctx.clock.now(), config.TIME_ZONE);
    const send = (from: string, text: string) => ctx.bot.receive({
      channel: 'simulator', orgId: ctx.orgId, from, text, mentions: [], platformId: crypto.randomUUID(), at: ctx.clock.now(),
    }).then(() => ctx.delivery.deliverDue());
    await send('bench-dad', 'WXM2F8');

    const coll = mongoose.connection.collection('bench_baseline');
    const baseline = await time('baseline: insert + findOne', async (i) => {
      await coll.insertOne({ i, at: new Date() });
      await coll.findOne({ i });
    });
    const question = await time('family question "1" (in → note → outbox → sent)', () => send('bench-dad', '1'));
    const stranger = await time('unknown sender (in → help → sent)', (i) => send(`stranger-${i}`, '你好'));
    process.stdout.write(`\nratio question/baseline: ${(question / baseline).toFixed(1)}\n`);
    process.stdout.write(`ratio stranger/baseline: ${(stranger / baseline).toFixed(1)}\n`);
  } finally {
    await mongoose.connection.db?.dropDatabase().catch(() => undefined);
    await app.stop();
    await mongo.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
