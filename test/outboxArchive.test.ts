/** The hot outbox stays small: sent messages move to the archive, their keys stay used, crashed enqueues are finished. */
import crypto from 'node:crypto';
import mongoose, { Types } from 'mongoose';
import { Channel, ChannelCapabilities, OutboundMessage, SendResult } from '../src/bot/channel';
import { DeliveryWorker } from '../src/bot/delivery';
import { enqueue, usedKeys } from '../src/bot/outbox';
import { archiveOutbox, pruneLeases, SWEEP_AFTER_MS } from '../src/bot/outboxArchive';
import { messagesByKeys } from '../src/bot/outboxHistory';
import { ManualClock } from '../src/clock';
import { createLogger } from '../src/log';
import '../src/models';
import { Claim, claimOnce } from '../src/models/claim';
import { connectDatabase, disconnectDatabase } from '../src/models/connect';
import { acquireLease } from '../src/models/lease';
import { withDatabase } from '../src/models/mongoServer';
import { Outbox, OutboxArchive, OutboxKey } from '../src/models/outbox';

class Recorder implements Channel {
  readonly name = 'rec';
  readonly capabilities: ChannelCapabilities = { reaches: ['family', 'staff', 'room'], quotes: false, voice: false, audio: false };
  sent: OutboundMessage[] = [];
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async send(msg: OutboundMessage): Promise<SendResult> {
    this.sent.push(msg);
    return { route: 'rec', platformMsgId: `pm-${msg.key}` };
  }
}

const log = createLogger('silent');
const clock = new ManualClock();
const T0 = new Date('2026-11-01T02:00:00Z');
const item = (key: string, to = 'dad') => ({ orgId: 'o1', key, to, text: `hello ${key}`, style: 'text' as const, kind: 'test', channel: 'rec', dueAt: clock.now() });
const worker = (ch: Recorder) => new DeliveryWorker({ channels: new Map([['rec', ch]]), defaultChannel: 'rec', clock, log, maxAttempts: 5 });

beforeAll(async () => {
  await connectDatabase(withDatabase(process.env.MONGODB_URI!, `t_archive_${crypto.randomBytes(3).toString('hex')}`));
});
afterAll(async () => {
  await mongoose.connection.db?.dropDatabase();
  await disconnectDatabase();
});
beforeEach(async () => {
  await Promise.all([Outbox.deleteMany({}), OutboxArchive.deleteMany({}), OutboxKey.deleteMany({}), Claim.deleteMany({})]);
  clock.set(T0);
});

describe('outbox archive', () => {
  it('keeps only what is still to send: a sent message moves to the archive at once, its key stays used, it can still be read', async () => {
    const ch = new Recorder();
    for (let i = 0; i < 30; i++) await enqueue(item(`n${i}`, `p${i}`));
    await enqueue({ ...item('later'), dueAt: new Date(T0.getTime() + 3600_000) });
    expect(await worker(ch).deliverDue()).toBe(30);
    expect(await Outbox.countDocuments({})).toBe(1);
    expect(await OutboxArchive.countDocuments({ status: 'sent' })).toBe(30);
    // Their delivery claims are pruned a day later with past leases.
    expect(await Claim.countDocuments({ _id: /^deliver:/ })).toBe(30);
    expect(await pruneLeases(new Date(T0.getTime() + 2 * 24 * 3600_000))).toBe(30);

    // A job that derives the same notice again (say, a weekly digest caught up later) must not send it twice.
    expect(await enqueue(item('n7', 'p7'))).toBe(false);
    expect(await Outbox.countDocuments({ key: 'n7' })).toBe(0);
    expect([...(await usedKeys('o1', ['n7', 'never']))]).toEqual(['n7']);
    const [n7] = await messagesByKeys('o1', ['n7']);
    expect(n7).toMatchObject({ key: 'n7', status: 'sent', platformMsgId: 'pm-n7' });
    expect(await worker(ch).deliverDue()).toBe(0);
    expect(ch.sent.filter((m) => m.key === 'n7')).toHaveLength(1);
  });

  it('sweeps a message marked sent whose move a crash interrupted, also when its copy was already made', async () => {
    const ch = new Recorder();
    await enqueue(item('half'));
    await enqueue(item('marked', 'mum'));
    // Crashed after marking, before moving: still in the queue as sent (one of them already copied).
    for (const key of ['half', 'marked']) {
      await Outbox.updateOne({ key }, { $set: { status: 'sent', sentAt: T0, attempts: 1 } });
    }
    const doc = await Outbox.findOne({ key: 'half' }).lean();
    await OutboxArchive.create({ ...doc, archivedAt: clock.now() });
    expect(await worker(ch).deliverDue()).toBe(0); // marked sent: never sent again
    expect((await archiveOutbox(clock.now())).archived).toBe(0); // left alone for a few minutes
    clock.set(new Date(T0.getTime() + SWEEP_AFTER_MS + 60_000));
    expect((await archiveOutbox(clock.now())).archived).toBe(2);
    expect(await Outbox.countDocuments({})).toBe(0);
    expect(await OutboxArchive.countDocuments({ key: { $in: ['half', 'marked'] } })).toBe(2);
    expect(ch.sent).toHaveLength(0);
  });

  it('finishes an enqueue that crashed before reserving its key, and drops one whose key another message holds', async () => {
    const ch = new Recorder();
    const old = new Date(Date.now() - 5 * 60_000);
    // Crashed after step 1: in the queue as `new`, key not reserved → released and delivered once.
    await Outbox.collection.insertOne({ ...item('crashed'), status: 'new', attempts: 0, createdAt: old, updatedAt: old });
    // A leftover whose key an earlier message holds → removed, never sent.
    await OutboxKey.create({ _id: 'o1/taken', outboxId: new Types.ObjectId(), at: old });
    await Outbox.collection.insertOne({ ...item('taken', 'mum'), status: 'new', attempts: 0, createdAt: old, updatedAt: old });
    expect(await worker(ch).deliverDue()).toBe(0); // delivery never sees `new` messages
    expect((await archiveOutbox(clock.now())).recovered).toBe(1);
    expect(await worker(ch).deliverDue()).toBe(1);
    expect(ch.sent.map((m) => m.key)).toEqual(['crashed']);
    expect(await Outbox.countDocuments({ key: 'taken' })).toBe(0);
    expect(await enqueue(item('crashed'))).toBe(false);
  });

  it('a message whose worker died after archiving it, before removing it, is removed and not sent again', async () => {
    const ch = new Recorder();
    await enqueue(item('copied'));
    const doc = await Outbox.findOne({ key: 'copied' }).lean();
    expect(await claimOnce(`deliver:${doc!._id}:0`, T0, 'dead-worker')).toBe(true);
    await OutboxArchive.create({ ...doc, status: 'sent', sentAt: T0, attempts: 1, archivedAt: T0 });
    await new Promise((r) => setTimeout(r, 600));
    const quick = new DeliveryWorker({ channels: new Map([['rec', ch]]), defaultChannel: 'rec', clock, log, maxAttempts: 5, claimMs: 500 });
    expect(await quick.deliverDue()).toBe(0);
    expect(ch.sent).toHaveLength(0);
    expect(await Outbox.countDocuments({})).toBe(0);
  });

  it('prunes leases of slots long past, not the current one', async () => {
    expect(await acquireLease('tick', 'A', T0, 55_000)).toBe(true);
    const later = new Date(T0.getTime() + 2 * 24 * 3600_000);
    expect(await acquireLease('tick', 'A', later, 55_000)).toBe(true);
    expect(await pruneLeases(later)).toBe(1);
    expect(await acquireLease('tick', 'B', later, 55_000)).toBe(false);
  });
});

describe('a prune with a large backlog', () => {
  it('removes more than 65,535 old claims, a bounded batch at a time (FerretDB refuses one statement naming them all)', async () => {
    const old = new Date(T0.getTime() - 3 * 24 * 3600_000);
    const n = 70_000;
    for (let i = 0; i < n; i += 5_000) {
      await Claim.collection.insertMany(Array.from({ length: Math.min(5_000, n - i) }, (_, j) => ({ _id: `deliver:big${i + j}:0`, at: old })) as never[], { ordered: false });
    }
    await Claim.create({ _id: 'deliver:fresh:0', at: T0 });
    let pruned = 0;
    for (let run = 0; run < 5; run++) {
      const res = await pruneLeases(T0);
      pruned += res;
      if (!res) break;
    }
    expect(pruned).toBe(n);
    expect(await Claim.countDocuments({ _id: { $regex: /^deliver:big/ } })).toBe(0);
    expect(await Claim.exists({ _id: 'deliver:fresh:0' })).toBeTruthy();
  }, 300_000);
});
