/**
 * The delivery worker: claims due outbox documents one at a time (atomic findOneAndUpdate), sends them
 * through their channel, and retries with exponential backoff. A claim expires, so a crashed worker's
 * message is picked up again; two workers never hold the same message at once.
 */
import crypto from 'node:crypto';
import { Outbox, OutboxDoc } from '../models/outbox';
import type { Clock } from '../clock';
import type { Logger } from '../log';
import { Channel, PermanentSendError, RetryableSendError } from './channel';

export interface DeliveryOptions {
  channels: Map<string, Channel>;
  /** Used for `auto` items until routing by person (issue 5) exists. */
  defaultChannel: string;
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
    return Outbox.findOneAndUpdate(
      {
        dueAt: { $lte: now },
        $or: [{ status: 'pending' }, { status: 'sending', lockedUntil: { $lte: now } }],
      },
      { $set: { status: 'sending', lockedUntil: new Date(now.getTime() + (this.opts.claimMs ?? 60_000)), claimedBy: this.workerId } },
      { sort: { dueAt: 1, _id: 1 }, new: true },
    );
  }

  private async sendOne(doc: OutboxDoc): Promise<boolean> {
    const name = doc.channel === 'auto' ? this.opts.defaultChannel : doc.channel;
    const channel = this.opts.channels.get(name);
    try {
      if (!channel) throw new PermanentSendError(`no channel "${name}" is running`);
      const res = await channel.send({ key: doc.key, to: doc.to, room: doc.room ?? undefined, text: doc.text, style: doc.style as 'text' | 'voice' });
      await Outbox.updateOne({ _id: doc._id }, {
        $set: { status: 'sent', sentAt: this.opts.clock.now(), route: res.route, attempts: doc.attempts + 1 },
        $unset: { lockedUntil: 1, lastError: 1 },
      });
      return true;
    } catch (err) {
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
          lastError: (err as Error).message,
          dueAt: permanent ? doc.dueAt : new Date(now.getTime() + backoff),
        },
        $unset: { lockedUntil: 1 },
      });
      this.opts.log.warn({ key: doc.key, attempts, permanent, err: (err as Error).message }, 'delivery failed');
      return false;
    }
  }
}
