/** The outbox and delivery worker on the real database: idempotency keys, retries with backoff, two workers, crash recovery. */
import crypto from 'node:crypto';
import { Channel, ChannelCapabilities, OutboundMessage, PermanentSendError, RetryableSendError, SendResult } from '../src/bot/channel';
import { DeliveryWorker } from '../src/bot/delivery';
import { enqueue, enqueueMany, withCause } from '../src/bot/outbox';
import { ManualClock } from '../src/clock';
import { createLogger } from '../src/log';
import '../src/models';
import { connectDatabase, disconnectDatabase } from '../src/models/connect';
import { claimOnce } from '../src/models/claim';
import { acquireLease } from '../src/models/lease';
import { withDatabase } from '../src/models/mongoServer';
import { findMessage } from '../src/bot/outboxHistory';
import { Outbox, OutboxArchive, OutboxKey } from '../src/models/outbox';
import mongoose from 'mongoose';

/** A channel that records what it sent and fails as told: a stand-in for a platform, not for the database. */
class RecordingChannel implements Channel {
  readonly name = 'rec';
  readonly capabilities: ChannelCapabilities = { reaches: ['family', 'staff', 'room'], quotes: false, voice: false, audio: false };
  sent: OutboundMessage[] = [];
  failures: Array<Error> = [];
  /** Fails the first send of these keys. */
  failOnce = new Map<string, Error>();
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async send(msg: OutboundMessage): Promise<SendResult> {
    const keyed = this.failOnce.get(msg.key);
    this.failOnce.delete(msg.key);
    if (keyed) throw keyed;
    const f = this.failures.shift();
    if (f) throw f;
    this.sent.push(msg);
    return { route: 'rec' };
  }
}

const log = createLogger('silent');
const clock = new ManualClock();
const T0 = new Date('2026-11-01T02:00:00Z');

function worker(channel: RecordingChannel, maxAttempts = 5): DeliveryWorker {
  return new DeliveryWorker({ channels: new Map([['rec', channel]]), defaultChannel: 'rec', clock, log, maxAttempts });
}

function item(key: string) {
  return { orgId: 'o1', key, to: 'dad', text: `hello ${key}`, style: 'text' as const, kind: 'test', channel: 'rec', dueAt: clock.now() };
}

beforeAll(async () => {
  await connectDatabase(withDatabase(process.env.MONGODB_URI!, `t_outbox_${crypto.randomBytes(3).toString('hex')}`));
});
afterAll(async () => {
  await mongoose.connection.db?.dropDatabase();
  await disconnectDatabase();
});
beforeEach(async () => {
  await Promise.all([Outbox.deleteMany({}), OutboxArchive.deleteMany({}), OutboxKey.deleteMany({})]);
  clock.set(T0);
});

describe('outbox', () => {
  it('stores a key once, even when ten writers race', async () => {
    expect(await enqueue(item('note:2026-10:c1:p1'))).toBe(true);
    expect(await enqueue(item('note:2026-10:c1:p1'))).toBe(false);
    const results = await Promise.all(Array.from({ length: 10 }, () => enqueue(item('race'))));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await Outbox.countDocuments({})).toBe(2);
  });
});

describe('outbox, many at once', () => {
  it('adds a batch in one go: a key used before (even archived), or twice in the batch, is added once', async () => {
    // A key used and archived long ago: only the key registry remembers it.
    expect(await enqueue(item('old'))).toBe(true);
    const old = await Outbox.findOne({ key: 'old' }).lean();
    await OutboxArchive.create({ ...old, status: 'sent' });
    await Outbox.deleteOne({ key: 'old' });

    const added = await enqueueMany([item('a'), item('old'), item('b'), item('a'), item('c')]);
    expect(added).toEqual([true, false, true, false, true]);
    const queued = await Outbox.find({}).sort({ _id: 1 }).lean();
    expect(queued.map((d) => [d.key, d.status, d.urgent, d.attempts])).toEqual([['a', 'pending', false, 0], ['b', 'pending', false, 0], ['c', 'pending', false, 0]]);
    // Each queued message holds its key.
    const keys = await OutboxKey.find({ _id: { $in: ['o1/a', 'o1/b', 'o1/c'] } }).lean();
    expect(keys.map((k) => String(k.outboxId)).sort()).toEqual(queued.map((d) => String(d._id)).sort());

    // Two writers racing with overlapping batches: each key once, and each added by exactly one of them.
    const [x, y] = await Promise.all([
      enqueueMany(['d', 'e', 'f'].map(item)),
      enqueueMany(['f', 'e', 'd'].map(item)),
    ]);
    expect(x.map((v, i) => Number(v) + Number(y[2 - i]))).toEqual([1, 1, 1]);
    expect(await Outbox.countDocuments({ key: { $in: ['d', 'e', 'f'] }, status: 'pending' })).toBe(3);
  });
});

describe('delivery worker', () => {
  it('delivers each message once, and not again on the next run', async () => {
    const ch = new RecordingChannel();
    const w = worker(ch);
    for (let i = 0; i < 5; i++) await enqueue(item(`k${i}`));
    expect(await w.deliverDue()).toBe(5);
    expect(await w.deliverDue()).toBe(0);
    expect(ch.sent.map((m) => m.key).sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    expect(await OutboxArchive.countDocuments({ status: 'sent', route: 'rec' })).toBe(5);
    // The hot queue holds only what is still to send.
    expect(await Outbox.countDocuments({})).toBe(0);
  });

  it('holds a message until its due time', async () => {
    const ch = new RecordingChannel();
    await enqueue({ ...item('later'), dueAt: new Date(T0.getTime() + 3600_000) });
    expect(await worker(ch).deliverDue()).toBe(0);
    clock.set(new Date(T0.getTime() + 3600_000));
    expect(await worker(ch).deliverDue()).toBe(1);
  });

  it('retries a throttled send with growing backoff, then delivers it once', async () => {
    const ch = new RecordingChannel();
    ch.failures = [new RetryableSendError('45009 throttled'), new RetryableSendError('45009 throttled')];
    const w = worker(ch);
    await enqueue(item('retry'));
    expect(await w.deliverDue()).toBe(0);
    let doc = await Outbox.findOne({ key: 'retry' });
    expect(doc!.status).toBe('pending');
    expect(doc!.attempts).toBe(1);
    expect(doc!.lastError).toContain('45009');
    const firstWait = doc!.dueAt.getTime() - T0.getTime();
    expect(firstWait).toBeGreaterThan(0);

    clock.set(doc!.dueAt);
    expect(await w.deliverDue()).toBe(0);
    doc = await Outbox.findOne({ key: 'retry' });
    expect(doc!.dueAt.getTime() - clock.now().getTime()).toBeGreaterThan(firstWait);

    clock.set(doc!.dueAt);
    expect(await w.deliverDue()).toBe(1);
    expect(ch.sent).toHaveLength(1);
    expect((await findMessage({ key: 'retry' }))!.attempts).toBe(3);
  });

  it('honours a platform retry-after', async () => {
    const ch = new RecordingChannel();
    ch.failures = [new RetryableSendError('slow down', 90_000)];
    await enqueue(item('after'));
    await worker(ch).deliverDue();
    expect((await Outbox.findOne({ key: 'after' }))!.dueAt.getTime()).toBe(T0.getTime() + 90_000);
  });

  it('gives up on a permanent error at once, and after max attempts otherwise, keeping the message', async () => {
    const ch = new RecordingChannel();
    ch.failures = [new PermanentSendError('unknown recipient')];
    await enqueue(item('perm'));
    await worker(ch).deliverDue();
    expect((await findMessage({ key: 'perm' }))!.status).toBe('failed');

    ch.failures = [new Error('net'), new Error('net')];
    await enqueue(item('max'));
    const w = worker(ch, 2);
    await w.deliverDue();
    clock.set(new Date(T0.getTime() + 3600_000));
    await w.deliverDue();
    const doc = await findMessage({ key: 'max' });
    expect(doc!.status).toBe('failed');
    expect(doc!.attempts).toBe(2);
    expect(ch.sent).toHaveLength(0);
  });

  it('two workers on one database send each message exactly once', async () => {
    const ch = new RecordingChannel();
    const n = 60;
    for (let i = 0; i < n; i++) await enqueue(item(`two${i}`));
    const [a, b] = await Promise.all([worker(ch).deliverDue(), worker(ch).deliverDue()]);
    expect(a + b).toBe(n);
    expect(new Set(ch.sent.map((m) => m.key)).size).toBe(n);
    expect(ch.sent).toHaveLength(n);
  });

  it('picks up a message whose worker crashed mid-send once the claim expires', async () => {
    const ch = new RecordingChannel();
    await enqueue(item('crash'));
    await Outbox.updateOne({ key: 'crash' }, { $set: { status: 'sending', lockedUntil: new Date(T0.getTime() + 60_000) } });
    expect(await worker(ch).deliverDue()).toBe(0);
    clock.set(new Date(T0.getTime() + 61_000));
    expect(await worker(ch).deliverDue()).toBe(1);
  });
});

describe('delivery under races and crashes', () => {
  it('a key enqueued again while it is being delivered stays sent, and goes out once', async () => {
    const ch = new RecordingChannel();
    const w = worker(ch);
    for (let round = 0; round < 40; round++) {
      const key = `again${round}`;
      await enqueue(item(key));
      // The monthly job re-enqueues what it already enqueued while delivery marks it sent.
      await Promise.all([w.deliverDue(), ...Array.from({ length: 4 }, () => enqueue(item(key)))]);
      expect((await findMessage({ key }))!.status).toBe('sent');
    }
    expect(await w.deliverDue()).toBe(0);
    expect(ch.sent).toHaveLength(40);
  });

  it('does not stall behind messages whose worker died between claiming and sending; takes them over later', async () => {
    const ch = new RecordingChannel();
    for (let i = 0; i < 25; i++) {
      await enqueue({ ...item(`dead${i}`), to: `p${i}` });
      const doc = await Outbox.findOne({ key: `dead${i}` }).lean();
      // A worker claimed attempt 0 and was killed before it marked the message.
      expect(await claimOnce(`deliver:${doc!._id}:0`, T0, 'dead-worker')).toBe(true);
    }
    // Real time of the last claim (on a busy machine the loop above takes seconds).
    const claimedBy = Date.now();
    clock.set(new Date(T0.getTime() + 1000));
    await enqueue({ ...item('fresh'), dueAt: clock.now() });
    const quick = () => new DeliveryWorker({ channels: new Map([['rec', ch]]), defaultChannel: 'rec', clock, log, maxAttempts: 5, claimMs: 15_000 });
    expect(await quick().deliverDue()).toBe(1);
    expect(ch.sent.map((m) => m.key)).toEqual(['fresh']);
    // Moving the clock does not age a claim: a send that started a moment ago may still be going on.
    clock.set(new Date(T0.getTime() + 3600_000));
    expect(await quick().deliverDue()).toBe(0);
    // Real time does: after claimMs the dead worker's messages are taken over.
    await new Promise((r) => setTimeout(r, Math.max(0, claimedBy + 15_500 - Date.now())));
    expect(await quick().deliverDue()).toBe(25);
    expect(new Set(ch.sent.map((m) => m.key)).size).toBe(26);
    expect(await OutboxArchive.countDocuments({ status: 'sent' })).toBe(26);
  }, 60_000);

  it('sends to one person in order, also when the first message is throttled; others go on meanwhile', async () => {
    const ch = new RecordingChannel();
    ch.failOnce.set('a1', new RetryableSendError('45009 throttled', 30_000));
    for (const key of ['a1', 'a2', 'a3']) await enqueue(item(key));
    await enqueue({ ...item('b1'), to: 'mum' });
    expect(await worker(ch).deliverDue()).toBe(1);
    expect(ch.sent.map((m) => m.key)).toEqual(['b1']);
    clock.set(new Date(T0.getTime() + 31_000));
    expect(await worker(ch).deliverDue()).toBe(3);
    expect(ch.sent.map((m) => m.key)).toEqual(['b1', 'a1', 'a2', 'a3']);
  });

  it('a reply goes before a fan-out waiting in the queue, also to a person the fan-out is for', async () => {
    const ch = new RecordingChannel();
    await Outbox.insertMany(Array.from({ length: 250 }, (_, i) => ({
      ...item(`note${i}`), to: `p${i}`, kind: 'note', channel: 'rec', status: 'pending', attempts: 0,
    })));
    clock.set(new Date(T0.getTime() + 5 * 60_000));
    await enqueue({ ...item('reply:sim:q1:0'), to: 'p249', kind: 'reply', dueAt: clock.now() });
    const w = new DeliveryWorker({ channels: new Map([['rec', ch]]), defaultChannel: 'rec', clock, log, maxAttempts: 5, concurrency: 1 });
    expect(await w.deliverDue()).toBe(251);
    expect(ch.sent[0].key).toBe('reply:sim:q1:0');
  }, 60_000);

  it('an urgent message is not held behind an older one waiting for the end of quiet hours', async () => {
    const ch = new RecordingChannel();
    await enqueue({ ...item('morning'), dueAt: new Date(T0.getTime() + 8 * 3600_000) });
    await enqueue({ ...item('urgent'), urgent: true });
    expect(await worker(ch).deliverDue()).toBe(1);
    expect(ch.sent.map((m) => m.key)).toEqual(['urgent']);
  });

  it('a fan-out to 300 people with two workers delivers each once', async () => {
    const ch = new RecordingChannel();
    await Outbox.insertMany(Array.from({ length: 300 }, (_, i) => ({
      ...item(`fan${i}`), to: `p${i}`, channel: 'rec', status: 'pending', attempts: 0,
    })));
    const [a, b] = await Promise.all([worker(ch).deliverDue(), worker(ch).deliverDue()]);
    expect(a + b).toBe(300);
    expect(ch.sent).toHaveLength(300);
    expect(new Set(ch.sent.map((m) => m.to)).size).toBe(300);
  }, 120_000);
});

describe('delivery at county size', () => {
  it('a reply to a message just handled goes out beside a long fan-out, without waiting for it to drain', async () => {
    const ch = new RecordingChannel();
    const slow = Object.assign(ch, { send: async (msg: OutboundMessage) => { await new Promise((r) => setTimeout(r, 20)); return RecordingChannel.prototype.send.call(ch, msg); } });
    await Outbox.insertMany(Array.from({ length: 400 }, (_, i) => ({ ...item(`fan${i}`), to: `p${i}`, status: 'pending', attempts: 0 })));
    const w = new DeliveryWorker({ channels: new Map([['rec', slow]]), defaultChannel: 'rec', clock, log, maxAttempts: 5, concurrency: 1 });
    const fanOut = w.deliverDue();
    await new Promise((r) => setTimeout(r, 300));

    await withCause('q1', () => enqueue({ ...item('reply:sim:q1:0'), to: 'p399', kind: 'reply' }));
    expect(await w.deliverDue({ cause: 'q1' })).toBe(1);
    const at = ch.sent.findIndex((m) => m.key === 'reply:sim:q1:0');
    expect(at).toBeGreaterThanOrEqual(0);
    expect(at).toBeLessThan(300); // long before the fan-out's end

    expect(await fanOut).toBe(400);
    expect(ch.sent).toHaveLength(401);
    expect(new Set(ch.sent.map((m) => m.key)).size).toBe(401);
  }, 120_000);

  it('with the queue full of messages held for later, the timer stops re-reading it, and wakes for a new message at once', async () => {
    const ch = new RecordingChannel();
    // More held messages than the timer's window (2 pages): what a night's held notices look like.
    const later = new Date(T0.getTime() + 7 * 86_400_000);
    await Outbox.insertMany(Array.from({ length: 450 }, (_, i) => ({ ...item(`held${i}`), to: `p${i}`, dueAt: later, status: 'pending', attempts: 0 })));
    const w = worker(ch);
    const reads: string[] = [];
    mongoose.set('debug', (collection: string, method: string) => { if (collection === 'outboxes' && method === 'find') reads.push(method); });
    try {
      w.start(50);
      await new Promise((r) => setTimeout(r, 1500));
      // Every 50 ms for 1.5 s would be ~30 runs of several reads each; one run, then the idle wait.
      expect(reads.length).toBeLessThanOrEqual(6);
      expect(ch.sent).toHaveLength(0);
      // A reply to a message is sent by that message's own run: it does not wake the timer to read the queue again.
      const idleReads = reads.length;
      await withCause('q-idle', () => enqueue({ ...item('reply:sim:q-idle:0'), to: 'q0', kind: 'reply' }));
      await new Promise((r) => setTimeout(r, 500));
      expect(reads.length).toBe(idleReads);
      expect(await w.deliverDue({ cause: 'q-idle' })).toBe(1);
      // A message this process enqueues wakes the timer: sent within a few of its periods, not after the idle wait.
      const t0 = Date.now();
      await enqueue({ ...item('now1'), to: 'q1' });
      for (let i = 0; i < 100 && ch.sent.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      expect(ch.sent.map((m) => m.key)).toEqual(['reply:sim:q-idle:0', 'now1']);
      expect(Date.now() - t0).toBeLessThan(1500);
    } finally {
      mongoose.set('debug', false);
      await w.stop();
    }
  }, 60_000);

  it('gathers the lanes\' claims, archive copies and removals into shared writes: well under three per message', async () => {
    const { Router } = await import('../src/bot/router');
    const ch = new RecordingChannel();
    let probed = 0;
    const probe = Object.assign(ch, {
      reach: async () => { probed++; return 'open' as const; },
      reachMany: async (addresses: string[]) => new Map(addresses.map((a) => [a, 'open' as const])),
    });
    // Enqueued as a fan-out is (one call for many: they share `batch` values).
    expect((await enqueueMany(Array.from({ length: 400 }, (_, i) => ({ ...item(`fan${i}`), to: `p${i}` })))).every(Boolean)).toBe(true);
    const router = new Router(new Map([['rec', probe]]), 'rec', 'o1');
    const w = new DeliveryWorker({ channels: new Map([['rec', probe]]), defaultChannel: 'rec', router, clock, log, maxAttempts: 5 });
    const ops: string[] = [];
    mongoose.set('debug', (collection: string, method: string) => { ops.push(`${collection}.${method}`); });
    try {
      expect(await w.deliverDue()).toBe(400);
    } finally {
      mongoose.set('debug', false);
    }
    expect(ch.sent).toHaveLength(400);
    expect(probed).toBe(0); // asked once per page, not per message
    // Per message a claim, a copy to the archive and a removal — one write each was 1,200 here — gathered across
    // the 8 lanes (bot/groupCommit.ts); per page (the due page, older unsent, identities, routes) a bounded handful.
    expect(await OutboxArchive.countDocuments({ status: 'sent' })).toBe(400);
    expect(await Outbox.countDocuments({})).toBe(0);
    const writes = ops.filter((o) => /^(claims|outboxarchives|outboxes)\.(insert|delete|update)/.test(o));
    expect(writes.length).toBeLessThan(400 * 1.5);
    expect(ops.length).toBeLessThanOrEqual(400 * 1.5 + 3 * 8);
  }, 120_000);
});

describe('lease', () => {
  it('lets one holder run at a time, and another after expiry', async () => {
    const [a, b] = await Promise.all([acquireLease('tick', 'A', T0, 60_000), acquireLease('tick', 'B', T0, 60_000)]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    const holder = a ? 'A' : 'B';
    const other = a ? 'B' : 'A';
    expect(await acquireLease('tick', holder, new Date(T0.getTime() + 1000), 60_000)).toBe(true);
    expect(await acquireLease('tick', other, new Date(T0.getTime() + 30_000), 60_000)).toBe(false);
    expect(await acquireLease('tick', other, new Date(T0.getTime() + 62_000), 60_000)).toBe(true);
  });
});

describe('router', () => {
  it('sends a push through the channel the person last wrote from, if it is running; else the default', async () => {
    const { Router } = await import('../src/bot/router');
    const { noteRoute } = await import('../src/models/route');
    const running = new Map<string, Channel>([['rec', new RecordingChannel()], ['wechaty', new RecordingChannel()]]);
    const router = new Router(running, 'rec', 'o1');
    expect(await router.pick('new-person')).toBe('rec');
    await noteRoute('o1', 'grandma', 'wechaty', new Date('2026-11-01T01:00:00Z'));
    expect(await router.pick('grandma')).toBe('wechaty');
    await noteRoute('o1', 'grandma', 'wecom-kf', new Date('2026-11-01T02:00:00Z'));
    // wecom-kf is not running here: the most recent running one wins.
    expect(await router.pick('grandma')).toBe('wechaty');
    await noteRoute('o1', 'grandma', 'rec', new Date('2026-11-01T03:00:00Z'));
    expect(await router.pick('grandma')).toBe('rec');
  });

  it('posts to a room through the channel configured to serve it, even before anyone spoke there', async () => {
    const { Router } = await import('../src/bot/router');
    const robot = Object.assign(new RecordingChannel(), { name: 'wecom-aibot', servesRoom: (room: string) => room === 'teachers' });
    const running = new Map<string, Channel>([['rec', new RecordingChannel()], ['wecom-aibot', robot as unknown as Channel]]);
    const router = new Router(running, 'rec', 'o1');
    expect(await router.pick('teachers', { room: true })).toBe('wecom-aibot');
    expect(await router.pick('hope-teachers', { room: true })).toBe('rec');
  });
});
