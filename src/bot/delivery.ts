/**
 * The delivery worker: reads due outbox documents a page at a time and sends them through their channel, with
 * retries and exponential backoff. Three writes per message (the claim, the copy to the archive, the removal from
 * the queue), each gathered with the other lanes' into shared round trips (groupCommit.ts; removal by `batch` on
 * FerretDB, bot/outbox.ts byBatch), plus the route's own checks; per page of 200, the due messages, the older
 * unsent ones to the same recipients (for the order check) and who the recipients are.
 *
 * - Exactly once: each attempt of each message is claimed by a unique insert (`deliver:ID:ATTEMPT`, see
 *   models/claim.ts) — on FerretDB a conditional update is not atomic, an insert is. Only the claim holder
 *   writes to the message afterwards, so no two writers ever rewrite one document at the same time.
 * - The hot queue holds only what is still to send: a message that was sent (or failed for good) is copied to
 *   the archive and then removed (bot/outboxArchive.ts), so its queries stay fast at any history size.
 * - Crashes: a worker that dies after claiming leaves a `pending` message whose attempt claim is older than
 *   `claimMs`; it is taken over as the next attempt (racing recoverers all `$set` the same attempt number, then
 *   the next claim decides) — unless its copy already reached the archive, which means it was sent.
 * - Order per person: messages to one address go one after another, oldest first; a message waits while an
 *   older one to the same address is still unsent (retrying after a throttle, or being sent by another worker).
 * - Throughput: different addresses are sent in parallel lanes (`concurrency`), so a fan-out is limited by the
 *   platform's rate, not by one round trip at a time.
 * - Routes: a route that refuses a message as closed (FallbackSendError: kf window or quota, unknown parent)
 *   passes it on to the router's next route within the same attempt; `route` records the one that delivered.
 */
import crypto from 'node:crypto';
import { Claim, claimMany, claimOnce } from '../models/claim';
import { GroupCommit } from './groupCommit';
import { Outbox, OutboxArchive, OutboxDoc } from '../models/outbox';
import { retire } from './outboxArchive';
import { onPending } from './outbox';
import type { Clock } from '../clock';
import type { Logger } from '../log';
import type { Speech } from '../speech';
import { Channel, OutboundMessage, PermanentSendError, RetryableSendError, SendResult } from './channel';
import { canFallBack, type Known, type Router } from './router';
import { findByValues } from '../models/manyValues';
import { onFerretDb } from '../models/connect';

export interface DeliveryOptions {
  channels: Map<string, Channel>;
  /** Used for `auto` items when there is no router or it knows nothing better. */
  defaultChannel: string;
  router?: Router;
  clock: Clock;
  log: Logger;
  maxAttempts: number;
  /** How long a claimed attempt may take before another worker may take the message over. */
  claimMs?: number;
  /** Addresses served in parallel. */
  concurrency?: number;
  /** Recordings for voice-style messages (none: text only). */
  speech?: Pick<Speech, 'recording'>;
}

const BASE_BACKOFF_MS = 2_000;
const MAX_BACKOFF_MS = 60 * 60 * 1000;
const PAGE = 200;
/** Bound on one run, so a flood cannot hold a run (and a graceful stop) forever. */
const MAX_PER_RUN = 20_000;
/** Messages seen but not sendable in one run (another worker's, waiting for an older one) before the run ends. */
const MAX_SKIPPED = 5_000;

/**
 * The timer's runs read the whole sorted queue (FerretDB) at most this often when the window finds little due: with
 * 20,000 messages held for later, each such read is ~4 s of FerretDB and PostgreSQL. Due replies are read first by
 * a query of their own at every run, and the scheduler's minute run reads the queue too.
 */
const SORTED_EVERY_MS = 30_000;
/**
 * On FerretDB, with the queue's front full of messages held for later (a night's held notices, 20,000 reminders
 * due next week) and nothing due, the timer reads the queue at most this often: FerretDB hands PostgreSQL no limit,
 * so each read of the window is a read of every pending message (at 20,000: ~160 ms of PostgreSQL a second, which
 * slowed every question). This process's own new messages (onPending) and retries coming due wake it at once;
 * the scheduler's minute run and each message's own run do not wait for the timer.
 */
const IDLE_MS = 30_000;
/** How long the replies to one message are waited for when another run is sending them. */
const SINCE_WAIT_MS = 10_000;

type Candidate = OutboxDoc;
type Waiting = Pick<OutboxDoc, '_id' | 'orgId' | 'to' | 'room' | 'kind' | 'dueAt' | 'attempts' | 'status'>;

/** What one page of deliveries reads once: older unsent messages to its recipients, and who they are. */
interface PageBook {
  waiting: Waiting[];
  /** Sent or given up on in this run since `waiting` was read. */
  done: Set<string>;
  known?: Known;
}

export class DeliveryWorker {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  /** Runs for what one message caused (`deliverDue({ cause })`). */
  private readonly side = new Set<Promise<number>>();
  private stopping = false;
  private readonly workerId = crypto.randomBytes(6).toString('hex');
  /** See pendingWindow. */
  private sortedNotBefore = 0;
  /** See IDLE_MS: real time before which the timer does not read the queue; and whether the last window was full. */
  private idleUntil = 0;
  private windowFull = false;
  private unsubscribe?: () => void;
  /** The lanes' first claims of their messages, gathered into shared inserts (groupCommit.ts). */
  private readonly claims = new GroupCommit<{ key: string; at: Date }, boolean>((items) => claimMany(items, this.workerId));
  /** Finished messages, moved to the archive together (groupCommit.ts); each lane waits for its own move. */
  private readonly retirements = new GroupCommit<Parameters<typeof retire>[0][number], void>(async (docs) => {
    await retire(docs, this.opts.clock.now());
    return docs.map(() => undefined);
  });

  constructor(private readonly opts: DeliveryOptions) {}

  private get claimMs(): number {
    return this.opts.claimMs ?? 60_000;
  }

  /**
   * Sends everything due now; returns how many were sent. Calls made while a run is active join it, then run again.
   * With `cause`, sends only what the handling of one inbound message enqueued (bot/outbox.ts withCause: its
   * replies, the notices it raised), at once and beside a long run — a reply must not wait for a month's fan-out to
   * drain; the claims keep each send single.
   */
  async deliverDue(opts: { cause?: string; tick?: boolean } = {}): Promise<number> {
    if (opts.cause) {
      const run = this.drainCause(opts.cause);
      this.side.add(run);
      try {
        return await run;
      } finally {
        this.side.delete(run);
      }
    }
    while (this.running) await this.running.catch(() => undefined);
    if (this.stopping) return 0;
    this.windowFull = false;
    this.running = this.drain(undefined, opts.tick).then((r) => r.sent);
    try {
      const sent = await this.running;
      // Real time: the timer's own pacing.
      if (opts.tick && !sent && this.windowFull) this.idleUntil = Date.now() + IDLE_MS;
      return sent;
    } finally {
      this.running = undefined;
    }
  }

  /**
   * What `cause` enqueued; then, while a reply among it is still due (the long run claimed it first and is sending
   * it), waits for that run's send, a few seconds at most.
   */
  private async drainCause(cause: string): Promise<number> {
    let sent = 0;
    // Real time: how long this caller waits for another run's send, whatever the bot's clock says.
    const until = Date.now() + SINCE_WAIT_MS;
    while (!this.stopping) {
      const run = await this.drain(cause);
      sent += run.sent;
      // Nothing passed over: all it caused that is due was sent (or is waiting for its retry).
      if (!run.skipped) break;
      const waiting = await Outbox.exists({ cause, status: { $in: ['pending', 'sending'] }, kind: 'reply', dueAt: { $lte: this.opts.clock.now() } });
      if (!waiting || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return sent;
  }

  start(intervalMs = 1000): void {
    // New messages may sit behind the window's held ones: the next run may read the sorted queue too.
    this.unsubscribe = onPending(() => { this.idleUntil = 0; this.sortedNotBefore = 0; });
    this.timer = setInterval(() => {
      if (this.running || Date.now() < this.idleUntil) return;
      this.deliverDue({ tick: true }).catch((err) => this.opts.log.error({ err }, 'delivery run failed'));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops after the messages being sent right now; what is left stays in the outbox for the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    await Promise.all([this.running, ...this.side].map((r) => r?.catch(() => undefined)));
  }

  /** Sends what is due (only what `cause` enqueued, when given); returns how many were sent and passed over. */
  private async drain(cause?: string, tick = false): Promise<{ sent: number; skipped: number }> {
    let sent = 0;
    const skipped = new Set<string>();
    while (!this.stopping && sent < MAX_PER_RUN && skipped.size < MAX_SKIPPED) {
      const now = this.opts.clock.now();
      const page = await this.duePage(now, skipped, cause, tick);
      if (!page.length) break;
      const lanes = new Map<string, Candidate[]>();
      for (const doc of page) {
        const addr = addressOf(doc);
        lanes.set(addr, [...(lanes.get(addr) ?? []), doc]);
      }
      // Within one address, oldest first by creation (a retried message has a later dueAt but must still lead).
      for (const lane of lanes.values()) lane.sort((a, b) => String(a._id).localeCompare(String(b._id)));
      // What the page's messages may have to wait for, and who their recipients are: read once for the page.
      const book: PageBook = {
        waiting: await this.unsentTo(page),
        done: new Set(),
        known: this.opts.router ? await this.opts.router.preload(
          page.filter((d) => d.channel === 'auto' && !d.room).map((d) => d.to),
          page.filter((d) => d.channel === 'auto' && d.room).map((d) => d.room!),
        ) : undefined,
      };
      let progressed = 0;
      await this.runLanes(inWorkerOrder([...lanes.values()]), async (lane) => {
        for (const doc of lane) {
          if (this.stopping) return;
          const outcome = await this.attempt(doc, now, book);
          if (outcome === 'skipped') {
            // Not ours or not yet: the rest of this address's messages wait behind it.
            for (const d of lane.slice(lane.indexOf(doc))) skipped.add(String(d._id));
            return;
          }
          progressed++;
          if (outcome === 'sent' || outcome === 'failed') book.done.add(String(doc._id));
          if (outcome === 'sent') sent++;
          if (outcome === 'retry') return; // the younger ones wait for it (order per person)
        }
      });
      if (!progressed && page.length < PAGE) break;
      // What one message caused is all there after its handling: a short page was all of it.
      if (cause && page.length < PAGE) break;
    }
    return { sent, skipped: skipped.size };
  }

  /**
   * Due pending messages (oldest first), plus `sending` ones left by a crash; skipping those passed over in this
   * run; only what `cause` enqueued, when given.
   */
  private async duePage(now: Date, skipped: Set<string>, cause?: string, tick = false): Promise<Candidate[]> {
    const from = cause ? { cause } : {};
    // Plain queries rather than one $or: each is served by its index. Replies first: someone is waiting for the
    // answer, and a month's fan-out of notes must not stand between a parent's question and its reply. What one
    // message caused is one query (its few replies and notices), replies put first here.
    const replies = cause ? [] : await Outbox.find({ status: 'pending', kind: 'reply', dueAt: { $lte: now } })
      .sort({ dueAt: 1, _id: 1 }).limit(PAGE + skipped.size);
    const pending = !cause && onFerretDb() ? await this.pendingWindow(now, skipped, tick)
      : await Outbox.find({ status: 'pending', dueAt: { $lte: now }, ...from }).sort({ dueAt: 1, _id: 1 }).limit(PAGE + skipped.size);
    if (cause) pending.sort((a, b) => Number(b.kind === 'reply') - Number(a.kind === 'reply'));
    const seen = new Set<string>();
    const fresh = [...replies, ...pending].filter((d) => {
      const id = String(d._id);
      if (skipped.has(id) || seen.has(id)) return false;
      seen.add(id);
      return true;
    }).slice(0, PAGE);
    if (fresh.length >= PAGE || cause) return fresh;
    const crashed = await Outbox.find({ status: 'sending', lockedUntil: { $lte: now } })
      .sort({ lockedUntil: 1, _id: 1 }).limit(PAGE + skipped.size);
    return [...fresh, ...crashed.filter((d) => !skipped.has(String(d._id)))].slice(0, PAGE);
  }

  /**
   * The due pending messages on FerretDB: it sorts in its own process after reading every match (the 60,000 notes
   * of a county's 1st: seconds of its CPU per page), but unsorted it stops reading at the limit. So a window of the
   * queue in storage order (about the order of enqueueing), filtered and sorted here; the sorted query only when the
   * window is full yet holds less than a page of due messages (many held for later at its front). Order per person
   * does not rest on this: each page is checked against the older unsent messages of its recipients (unsentTo).
   * The timer's once-a-second runs (`tick`) read the whole sorted queue at most every SORTED_EVERY_MS: with
   * thousands of messages held for the morning, doing it every second kept FerretDB busy for nothing; a message's
   * own answers (`cause`) and the explicit runs (the scheduler's, the simulator's) are never held back by this.
   */
  private async pendingWindow(now: Date, skipped: Set<string>, tick: boolean): Promise<Candidate[]> {
    const size = 2 * PAGE + skipped.size;
    const window = await Outbox.find({ status: 'pending' }).limit(size);
    if (window.length >= size) this.windowFull = true;
    const due = window.filter((d) => d.dueAt <= now)
      .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || String(a._id).localeCompare(String(b._id)));
    if (window.length < size || due.filter((d) => !skipped.has(String(d._id))).length >= PAGE) return due;
    // Real time: how often this process reads the whole queue, whatever the bot's clock says.
    if (tick && Date.now() < this.sortedNotBefore) return due;
    const sorted = await Outbox.find({ status: 'pending', dueAt: { $lte: now } }).sort({ dueAt: 1, _id: 1 }).limit(PAGE + skipped.size);
    if (sorted.length < PAGE) this.sortedNotBefore = Date.now() + SORTED_EVERY_MS;
    return sorted;
  }

  private async runLanes(lanes: Candidate[][], fn: (lane: Candidate[]) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < lanes.length) await fn(lanes[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency ?? 32, lanes.length) }, worker));
  }

  /** Claims and sends one message. */
  private async attempt(doc: Candidate, now: Date, book: PageBook): Promise<'sent' | 'failed' | 'retry' | 'skipped'> {
    if (olderUnsent(doc, book)) return 'skipped';
    if (!(await this.claim(doc, now))) return 'skipped';
    return this.sendOne(doc, book.known);
  }

  /** Unsent messages to the page's recipients, older than its youngest: one query for the page's order checks. */
  private async unsentTo(page: Candidate[]): Promise<Waiting[]> {
    if (!page.length) return [];
    const youngest = page.reduce((a, b) => (String(a._id) > String(b._id) ? a : b))._id;
    const orgs = [...new Set(page.map((d) => d.orgId))];
    return findByValues(Outbox, page.map((d) => d.to), (to) => Outbox.find({
      orgId: orgs.length === 1 ? orgs[0] : { $in: orgs }, to, status: { $in: ['pending', 'sending'] }, _id: { $lte: youngest },
    }, { orgId: 1, to: 1, room: 1, kind: 1, dueAt: 1, attempts: 1, status: 1 }).lean<Waiting[]>());
  }

  private async claim(doc: Candidate, now: Date): Promise<boolean> {
    if (doc.status === 'sending') {
      // Marked by a worker that died mid-send (older versions marked every send): that attempt counts.
      await this.takeOver(doc);
    }
    if (await this.claims.add({ key: claimKey(doc), at: now })) return true;
    // Someone holds this attempt. If they claimed it long ago and the message is still here, they died meanwhile.
    // Real time, not the bot's clock: two instances' simulated clocks may differ, and a clock moved on does not
    // make a send that started a second ago any older.
    const held = await Claim.findById(claimKey(doc)).lean();
    if (!held || Date.now() - (held.heldSince ?? held.at).getTime() < this.claimMs) return false;
    if (await OutboxArchive.exists({ _id: doc._id })) {
      // It was sent and copied; only the removal from the queue was lost.
      await Outbox.deleteOne({ _id: doc._id });
      return false;
    }
    await this.takeOver(doc);
    return claimOnce(claimKey(doc), now, this.workerId);
  }

  /** Counts the dead attempt and moves to the next; `$set` (not `$inc`) keeps racing recoverers in step. */
  private async takeOver(doc: Candidate): Promise<void> {
    await Outbox.updateOne({ _id: doc._id, attempts: doc.attempts, status: { $in: ['pending', 'sending'] } }, { $set: { status: 'pending', attempts: doc.attempts + 1 } });
    doc.attempts += 1;
  }

  private async sendOne(doc: Candidate, known?: Known): Promise<'sent' | 'failed' | 'retry'> {
    const target = doc.room ?? doc.to;
    let name = doc.channel === 'auto'
      ? (this.opts.router ? await this.opts.router.pick(target, { room: !!doc.room, known }) : this.opts.defaultChannel)
      : doc.channel;
    // Routes that refused this message as closed (kf window, quota, unknown parent): the next route gets it.
    const tried: string[] = [];
    const refusals: string[] = [];
    // Made once, and only for a route that sends recordings (`capabilities.audio`).
    let audio: Promise<OutboundMessage['audio']> | undefined;
    const recording = () => (audio ??= this.audioFor(doc));
    for (;;) {
      tried.push(name);
      const res = await this.tryChannel(doc, name, recording).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
      if (!(res instanceof Error)) {
        await this.retire(doc, {
          status: 'sent', sentAt: this.opts.clock.now(), route: res.route, attempts: doc.attempts + 1, claimedBy: this.workerId,
          ...(res.platformMsgId ? { platformMsgId: res.platformMsgId } : {}),
        });
        if (refusals.length) this.opts.log.info({ key: doc.key, route: res.route, refused: refusals }, 'delivered through a fallback route');
        return 'sent';
      }
      const next = canFallBack(res) && this.opts.router ? await this.opts.router.next(target, tried, { room: !!doc.room, known }) : undefined;
      if (next) {
        refusals.push(`${name}: ${res.message}`);
        name = next;
        continue;
      }
      // The routes that refused first stay in the error, so that an operator sees why each was not used.
      return this.failed(doc, res, refusals.length ? [...refusals, `${name}: ${res.message}`].join(' | ') : res.message);
    }
  }

  private async tryChannel(doc: Candidate, name: string, recording: () => Promise<OutboundMessage['audio']>): Promise<SendResult> {
    const channel = this.opts.channels.get(name);
    if (!channel) throw new PermanentSendError(`no channel "${name}" is running`);
    const audio = channel.capabilities.audio ? await recording() : undefined;
    return channel.send({
      key: doc.key, to: doc.to, room: doc.room ?? undefined, text: doc.text, style: doc.style as 'text' | 'voice',
      voice: doc.voiceMediaId ? { mediaId: doc.voiceMediaId } : undefined,
      ...(audio ? { audio } : {}),
      mentions: doc.mentions?.length ? doc.mentions : undefined,
      // A reply names the message it answers; the channel it came from (a reply is enqueued for that channel).
      ...(doc.inReplyTo ? { replyTo: { channel: doc.channel, platformId: doc.inReplyTo } } : {}),
    });
  }

  /**
   * A recording of a voice-style message to a person (rooms are text), for a route that sends recordings: made here,
   * at sending, so every kind of message (replies, notices, notes, a teacher's answer, emergencies) gets one from one
   * place, and a retry finds it in the speech cache. A synthesis failure never holds the message back: the text goes alone, the failure is logged.
   */
  private async audioFor(doc: Candidate): Promise<OutboundMessage['audio']> {
    if (doc.style !== 'voice' || doc.room || !this.opts.speech) return undefined;
    try {
      const rec = await this.opts.speech.recording(doc.text);
      return rec ? { file: rec.file, seconds: rec.seconds, hash: rec.hash } : undefined;
    } catch (err) {
      this.opts.log.error({ err, key: doc.key }, 'speech synthesis failed; the message goes as text alone');
      return undefined;
    }
  }

  /**
   * Copies the finished message to the archive, then removes it from the queue. If the copy fails, it is marked
   * in the queue instead (so it is never sent again) and the housekeeping sweep moves it later.
   */
  private async retire(doc: Candidate, changes: Record<string, unknown>): Promise<void> {
    const { lockedUntil: _l, lastError, ...rest } = doc.toObject() as Record<string, unknown>;
    const finished = { ...rest, ...(changes.status === 'sent' ? {} : { lastError }), ...changes } as Parameters<typeof retire>[0][number];
    try {
      await this.retirements.add(finished);
    } catch (err) {
      this.opts.log.warn({ err, key: doc.key }, 'archiving a finished message failed; marked in the queue for the sweep');
      await Outbox.updateOne({ _id: doc._id }, { $set: changes, $unset: { lockedUntil: 1 } });
    }
  }

  private async failed(doc: Candidate, err: Error, lastError: string): Promise<'failed' | 'retry'> {
    const attempts = doc.attempts + 1;
    const permanent = err instanceof PermanentSendError || attempts >= this.opts.maxAttempts;
    // The platform's retry-after is a floor, not the plan: a minute of throttling answered "retry in 2 s" used up
    // every attempt in seconds. With the growing backoff, 12 attempts span about two hours.
    const growing = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (attempts - 1));
    const backoff = err instanceof RetryableSendError && err.retryAfterMs ? Math.max(err.retryAfterMs, growing) : growing;
    const now = this.opts.clock.now();
    if (permanent) await this.retire(doc, { status: 'failed', attempts, lastError });
    else {
      await Outbox.updateOne({ _id: doc._id }, { $set: { attempts, lastError, dueAt: new Date(now.getTime() + backoff) } });
      this.idleUntil = Math.min(this.idleUntil, Date.now() + backoff);
    }
    this.opts.log.warn({ key: doc.key, attempts, permanent, err: lastError }, 'delivery failed');
    return permanent ? 'failed' : 'retry';
  }
}

/**
 * Whether an older message to the same address must go first: one already due by this one's time, or one that
 * was tried and waits for its retry. (An older notice held for quiet hours does not hold back an urgent one.)
 * Read from the page's snapshot; what this run sent since is `done`.
 */
function olderUnsent(doc: Candidate, book: PageBook): boolean {
  const id = String(doc._id);
  return book.waiting.some((o) => o.to === doc.to && (o.room ?? null) === (doc.room ?? null) && o.orgId === doc.orgId
    && String(o._id) < id && !book.done.has(String(o._id))
    // A reply waits only for the replies before it (its own earlier pieces), not for a notice in the backlog.
    && (doc.kind !== 'reply' || o.kind === 'reply')
    && (o.dueAt <= doc.dueAt || o.attempts > 0 || o.status === 'sending'));
}

/**
 * The page's lanes, replies first, the rest in an order of this worker's own: two instances reading the same page
 * then start on different people instead of both racing for the same first claims (the one behind lost every
 * claim and sat idle while the other sent everything).
 */
function inWorkerOrder(lanes: Candidate[][]): Candidate[][] {
  const replies = lanes.filter((l) => l[0].kind === 'reply');
  // In enqueue order, started at a point of this worker's own: lanes in flight together then mostly hold messages of
  // one `batch`, which their removal from the queue is written by (bot/outbox.ts byBatch).
  const rest = lanes.filter((l) => l[0].kind !== 'reply').sort((a, b) => String(a[0]._id).localeCompare(String(b[0]._id)));
  const start = rest.length ? crypto.randomInt(rest.length) : 0;
  return [...replies, ...rest.slice(start), ...rest.slice(0, start)];
}

function claimKey(doc: Candidate): string {
  return `deliver:${doc._id}:${doc.attempts}`;
}

function addressOf(doc: Candidate): string {
  return doc.room ? `room:${doc.room}` : `to:${doc.to}`;
}
