/**
 * The delivery worker: claims due outbox documents one at a time, sends them through their channel, and
 * retries with exponential backoff. Each attempt of each message is claimed by a unique insert
 * (`deliver:ID:ATTEMPT`, see models/claim.ts), so two workers never send the same attempt; a claim that was
 * not finished in time (a crashed worker) is taken over as the next attempt.
 * A route that refuses a message as closed (FallbackSendError: kf window or quota, unknown parent) passes it on
 * to the router's next route within the same attempt; `route` records the one that delivered.
 */
import crypto from 'node:crypto';
import { claimOnce } from '../models/claim';
import { Outbox, OutboxDoc } from '../models/outbox';
import type { Clock } from '../clock';
import type { Logger } from '../log';
import { Channel, PermanentSendError, RetryableSendError, SendResult } from './channel';
import { canFallBack, type Router } from './router';

export interface DeliveryOptions {
  channels: Map<string, Channel>;
  /** Used for `auto` items when there is no router or it knows nothing better. */
  defaultChannel: string;
  router?: Router;
  clock: Clock;
  log: Logger;
  maxAttempts: number;
  claimMs?: number;
}

const BASE_BACKOFF_MS = 2_000;
const MAX_BACKOFF_MS = 60 * 60 * 1000;

export class DeliveryWorker {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private readonly workerId = crypto.randomBytes(6).toString('hex');

  constructor(private readonly opts: DeliveryOptions) {}

  /** Sends everything due now; returns how many were sent. Calls made while a run is active join it, then run again. */
  async deliverDue(): Promise<number> {
    while (this.running) await this.running.catch(() => undefined);
    this.running = this.drain();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  start(intervalMs = 1000): void {
    this.timer = setInterval(() => {
      if (!this.running) this.deliverDue().catch((err) => this.opts.log.error({ err }, 'delivery run failed'));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async drain(): Promise<number> {
    let sent = 0;
    // Bounded: at most this many per run, so a flood cannot starve the event loop forever.
    for (let i = 0; i < 10_000; i++) {
      const doc = await this.claim();
      if (!doc) break;
      if (await this.sendOne(doc)) sent++;
    }
    return sent;
  }

  private async claim(): Promise<OutboxDoc | null> {
    const now = this.opts.clock.now();
    // Two plain queries rather than one $or: FerretDB pushes simple equality filters down to SQLite, not $or.
    let candidates = await Outbox.find({ status: 'pending', dueAt: { $lte: now } }).sort({ dueAt: 1, _id: 1 }).limit(20);
    if (!candidates.length) candidates = await Outbox.find({ status: 'sending', lockedUntil: { $lte: now } }).limit(20);
    for (const doc of candidates) {
      if (doc.status === 'sending') {
        // Its worker died mid-send: that attempt counts, the next one is claimable. $set (not $inc) keeps racing recoverers in step.
        await Outbox.updateOne({ _id: doc._id, attempts: doc.attempts }, { $set: { status: 'pending', attempts: doc.attempts + 1 } });
        doc.attempts += 1;
      }
      if (!(await claimOnce(`deliver:${doc._id}:${doc.attempts}`, now, this.workerId))) continue;
      const lockedUntil = new Date(now.getTime() + (this.opts.claimMs ?? 60_000));
      await Outbox.updateOne({ _id: doc._id }, { $set: { status: 'sending', lockedUntil, claimedBy: this.workerId } });
      doc.status = 'sending';
      return doc;
    }
    return null;
  }

  private async sendOne(doc: OutboxDoc): Promise<boolean> {
    const target = doc.room ?? doc.to;
    let name = doc.channel === 'auto'
      ? (this.opts.router ? await this.opts.router.pick(target, { room: !!doc.room }) : this.opts.defaultChannel)
      : doc.channel;
    // Routes that refused this message as closed (kf window, quota, unknown parent): the next route gets it.
    const tried: string[] = [];
    const refusals: string[] = [];
    for (;;) {
      tried.push(name);
      const res = await this.tryChannel(doc, name).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
      if (!(res instanceof Error)) {
        await Outbox.updateOne({ _id: doc._id }, {
          $set: { status: 'sent', sentAt: this.opts.clock.now(), route: res.route, attempts: doc.attempts + 1, ...(res.platformMsgId ? { platformMsgId: res.platformMsgId } : {}) },
          $unset: { lockedUntil: 1, lastError: 1 },
        });
        if (refusals.length) this.opts.log.info({ key: doc.key, route: res.route, refused: refusals }, 'delivered through a fallback route');
        return true;
      }
      const next = canFallBack(res) && this.opts.router ? await this.opts.router.next(target, tried, { room: !!doc.room }) : undefined;
      if (next) {
        refusals.push(`${name}: ${res.message}`);
        name = next;
        continue;
      }
      // The routes that refused first stay in the error, so that an operator sees why each was not used.
      return this.failed(doc, res, refusals.length ? [...refusals, `${name}: ${res.message}`].join(' | ') : res.message);
    }
  }

  private async tryChannel(doc: OutboxDoc, name: string): Promise<SendResult> {
    const channel = this.opts.channels.get(name);
    if (!channel) throw new PermanentSendError(`no channel "${name}" is running`);
    return channel.send({
      key: doc.key, to: doc.to, room: doc.room ?? undefined, text: doc.text, style: doc.style as 'text' | 'voice',
      voice: doc.voiceMediaId ? { mediaId: doc.voiceMediaId } : undefined,
      mentions: doc.mentions?.length ? doc.mentions : undefined,
    });
  }

  private async failed(doc: OutboxDoc, err: Error, lastError: string): Promise<boolean> {
    const attempts = doc.attempts + 1;
    const permanent = err instanceof PermanentSendError || attempts >= this.opts.maxAttempts;
    const backoff = err instanceof RetryableSendError && err.retryAfterMs
      ? err.retryAfterMs
      : Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (attempts - 1));
    const now = this.opts.clock.now();
    await Outbox.updateOne({ _id: doc._id }, {
      $set: {
        status: permanent ? 'failed' : 'pending',
        attempts,
        lastError,
        dueAt: permanent ? doc.dueAt : new Date(now.getTime() + backoff),
      },
      $unset: { lockedUntil: 1 },
    });
    this.opts.log.warn({ key: doc.key, attempts, permanent, err: lastError }, 'delivery failed');
    return false;
  }
}
