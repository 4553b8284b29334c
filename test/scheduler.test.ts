/** The scheduler's own rules on the real database: one pass at a time per instance, and a stop that does not hang. */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import { ManualClock } from '../src/clock';
import { createLogger } from '../src/log';
import '../src/models';
import { connectDatabase, disconnectDatabase } from '../src/models/connect';
import { withDatabase } from '../src/models/mongoServer';
import { Outbox } from '../src/models/outbox';
import { Job, Scheduler } from '../src/scheduler/scheduler';

const log = createLogger('silent');
const clock = new ManualClock();
const T0 = new Date('2026-11-02T02:00:00Z');
const audience = { orgId: 'o1', orgLang: 'zh-CN' as const, quietHours: '21:30-07:30', timeZone: 'Asia/Shanghai' };

beforeAll(async () => {
  await connectDatabase(withDatabase(process.env.MONGODB_URI!, `t_sched_${crypto.randomBytes(3).toString('hex')}`));
});
afterAll(async () => {
  await mongoose.connection.db?.dropDatabase();
  await disconnectDatabase();
});
beforeEach(() => clock.set(T0));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('scheduler', () => {
  it('never runs a job twice at once in one instance, however often it is asked', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let runs = 0;
    const slow: Job = {
      name: 'slow',
      async runDue() {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(150);
        runs++;
        inFlight--;
      },
    };
    const s = new Scheduler([slow], { orgId: 'o1', clock, log, audience });
    const minutes = [0, 1, 2, 3].map((m) => new Date(T0.getTime() + m * 60_000));
    // Four ticks asked for while the first is still running (cron every minute during a long fan-out).
    await Promise.all(minutes.map((m) => s.runDue(m)));
    expect(maxInFlight).toBe(1);
    expect(runs).toBe(4);
  });

  it('a long job does not hold back the others: each minute starts what is not still running', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let slowRuns = 0;
    let fastRuns = 0;
    const jobs: Job[] = [
      { name: 'fanout', async runDue() { slowRuns++; await gate; } },
      { name: 'ladder', async runDue() { fastRuns++; } },
    ];
    const s = new Scheduler(jobs, { orgId: 'o1', clock, log, audience });
    const first = s.tick(T0);
    for (let i = 0; i < 100 && fastRuns < 1; i++) await sleep(20);
    await s.tick(new Date(T0.getTime() + 60_000));
    await s.tick(new Date(T0.getTime() + 120_000));
    expect(fastRuns).toBe(3);
    expect(slowRuns).toBe(1);
    expect(s.busy('fanout')).toBe(true);
    release();
    await first;
    expect(s.busy()).toBe(false);
  });

  it('runs the whole-county jobs of a tick one after another, the others beside them', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const order: string[] = [];
    let lightRanWhileHeavy = false;
    const heavy = (name: string): Job => ({
      name, wholeCounty: true,
      async runDue() {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        order.push(`${name}+`);
        await sleep(120);
        order.push(`${name}-`);
        inFlight--;
      },
    });
    const jobs: Job[] = [heavy('report'), heavy('board'), heavy('calls'),
      { name: 'light', async runDue() { await sleep(60); if (inFlight > 0) lightRanWhileHeavy = true; } }];
    const s = new Scheduler(jobs, { orgId: 'o1', clock, log, audience });
    await s.tick(new Date(T0.getTime() + 30 * 60_000)); // a minute no other test's instance leased
    expect(maxInFlight).toBe(1);
    expect(order).toEqual(['report+', 'report-', 'board+', 'board-', 'calls+', 'calls-']);
    expect(lightRanWhileHeavy).toBe(true);
    // A failing one does not stop the next in line.
    const failing: Job = { name: 'broken', wholeCounty: true, async runDue() { throw new Error('boom'); } };
    let after = 0;
    const s2 = new Scheduler([failing, { name: 'next', wholeCounty: true, async runDue() { after++; } }], { orgId: 'o1', clock, log, audience });
    await s2.tick(new Date(T0.getTime() + 31 * 60_000));
    expect(after).toBe(1);
  });

  it('a fan-out lets delivery catch up whenever many messages wait, so the queue stays small', async () => {
    let maxWaiting = 0;
    let delivered = 0;
    const deliver = async () => {
      const waiting = await Outbox.find({ status: 'pending' }, { _id: 1 }).lean();
      maxWaiting = Math.max(maxWaiting, waiting.length);
      await Outbox.deleteMany({ _id: { $in: waiting.map((d) => d._id) } }); // stands in for sending them
      delivered += waiting.length;
    };
    const fanOut: Job = {
      name: 'fanout-paced',
      async runDue(ctx) {
        for (let i = 0; i < 250; i++) {
          if (i % 10 === 0) await ctx.makeRoom();
          await ctx.notify({ to: `q${i}`, key: `paced:${i}`, kind: 'paced', render: () => `hello ${i}`, style: 'text' });
        }
      },
    };
    const s = new Scheduler([fanOut], { orgId: 'o1', clock, log, audience, deliver, queueHighWater: 50 });
    await s.runDue(new Date(T0.getTime() + 2 * 3600_000));
    expect(maxWaiting).toBeGreaterThanOrEqual(50);
    expect(maxWaiting).toBeLessThanOrEqual(60);
    expect(delivered + (await Outbox.countDocuments({ kind: 'paced' }))).toBe(250);
  });

  it('stops within seconds while a long job is pushing notices, leaving the rest for the next start', async () => {
    let pushed = 0;
    const fanOut: Job = {
      name: 'fanout',
      async runDue(ctx) {
        for (let i = 0; i < 100_000; i++) {
          await ctx.notify({ to: `p${i}`, key: `fan:${i}`, kind: 'test', render: () => `hello ${i}`, style: 'text' });
          pushed++;
        }
      },
    };
    const s = new Scheduler([fanOut], { orgId: 'o1', clock, log, audience });
    const at = new Date(T0.getTime() + 3600_000); // a lease slot of its own
    const run = s.runDue(at);
    for (let i = 0; i < 500 && pushed < 20; i++) await sleep(20);
    expect(pushed).toBeGreaterThanOrEqual(20);
    const started = Date.now();
    await s.stop();
    expect(Date.now() - started).toBeLessThan(6_000);
    await run;
    const stoppedAt = pushed;
    expect(stoppedAt).toBeLessThan(100_000);
    await sleep(200);
    expect(pushed).toBe(stoppedAt);
    expect(await Outbox.countDocuments({ kind: 'test' })).toBe(stoppedAt);
    // Asked again after the stop: nothing runs.
    expect(await s.runDue(at)).toEqual([]);
  });
});
