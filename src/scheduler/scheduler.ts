/**
 * Scheduled work. Each job is `runDue(ctx)`: it finds what is due at `ctx.now` from the data (not from memory)
 * and pushes notices with period keys, so running it twice, late, or on two instances sends each item once.
 * node-cron only decides when to call `runDue` (every minute); a per-tick lease lets one instance do the work.
 *
 * One instance runs one pass at a time: a minute's tick that finds the last pass still going is skipped (the
 * next tick catches up, everything is derived from the data), and a `/sim/clock` run waits for it. Without
 * this, a long fan-out was started again every minute and ran many times in parallel.
 */
import crypto from 'node:crypto';
import cron, { ScheduledTask } from 'node-cron';
import type { Audience, Notice } from '../bot/notify';
import { notify } from '../bot/notify';
import type { Clock } from '../clock';
import type { Logger } from '../log';
import { acquireLease } from '../models/lease';
import { Org } from '../models/org';
import { ScheduleSettings, scheduleSettings } from './settings';

export interface JobContext {
  orgId: string;
  now: Date;
  timeZone: string;
  settings: ScheduleSettings;
  audience: Audience;
  log: Logger;
  /** Pushes a notice (rendered for its recipient, quiet hours applied); false when its key was already used. */
  notify(notice: Notice): Promise<boolean>;
  /** Aborted when the bot stops: long loops end early (what is left is due again at the next start). */
  signal: AbortSignal;
}

/** Thrown by `ctx.notify` once the bot is stopping, to end a long job quickly. */
export class StoppingError extends Error {
  constructor() {
    super('scheduler is stopping');
  }
}

export interface Job {
  name: string;
  runDue(ctx: JobContext): Promise<void>;
}

export interface SchedulerOptions {
  orgId: string;
  clock: Clock;
  log: Logger;
  audience: Audience;
}

const TICK_LEASE_MS = 55_000;
/** How long a stop waits for the pass in progress before letting the process go (the rest is idempotent). */
const STOP_WAIT_MS = 5_000;

export class Scheduler {
  private task?: ScheduledTask;
  private current?: Promise<string[]>;
  private readonly abort = new AbortController();
  readonly instanceId = crypto.randomBytes(6).toString('hex');

  constructor(private readonly jobs: Job[], private readonly opts: SchedulerOptions) {}

  /** Runs every job for `now`, after the pass in progress if any. Returns the names that ran. */
  async runDue(now: Date = this.opts.clock.now()): Promise<string[]> {
    while (this.current) await this.current.catch(() => undefined);
    if (this.abort.signal.aborted) return [];
    this.current = this.pass(now);
    try {
      return await this.current;
    } finally {
      this.current = undefined;
    }
  }

  /** Whether a pass is running now (the cron tick skips instead of queueing behind it). */
  get busy(): boolean {
    return !!this.current;
  }

  /** One pass: a job that fails is logged and the others still run. */
  private async pass(now: Date): Promise<string[]> {
    const org = await Org.findById(this.opts.orgId).lean();
    const settings = scheduleSettings(org?.schedule);
    const audience: Audience = {
      ...this.opts.audience,
      timeZone: org?.timeZone ?? this.opts.audience.timeZone,
      quietHours: org?.quietHours ?? this.opts.audience.quietHours,
    };
    const ran: string[] = [];
    for (const job of this.jobs) {
      if (this.abort.signal.aborted) break;
      if (!(await acquireLease(`job:${this.opts.orgId}:${job.name}`, this.instanceId, now, TICK_LEASE_MS))) continue;
      const ctx: JobContext = {
        orgId: this.opts.orgId, now, timeZone: audience.timeZone, settings, audience, log: this.opts.log,
        notify: (notice) => {
          if (this.abort.signal.aborted) return Promise.reject(new StoppingError());
          return notify(audience, now, notice);
        },
        signal: this.abort.signal,
      };
      try {
        await job.runDue(ctx);
        ran.push(job.name);
      } catch (err) {
        if (err instanceof StoppingError) break;
        this.opts.log.error({ err, job: job.name }, 'scheduled job failed');
      }
    }
    return ran;
  }

  /** Every minute: run what is due, then `after` (the delivery worker). */
  start(after: () => Promise<unknown>): void {
    this.task = cron.schedule('* * * * *', async () => {
      if (this.busy) {
        this.opts.log.info('scheduler: the last pass is still running; this tick is skipped');
        return;
      }
      await this.runDue().catch((err) => this.opts.log.error({ err }, 'scheduler tick failed'));
      await after().catch((err) => this.opts.log.error({ err }, 'delivery after tick failed'));
    });
  }

  /** Stops the ticks and ends the pass in progress early; waits for it at most a few seconds. */
  async stop(): Promise<void> {
    void this.task?.stop();
    this.abort.abort();
    const running = this.current;
    if (!running) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      running.catch(() => undefined),
      new Promise<void>((resolve) => { timer = setTimeout(resolve, STOP_WAIT_MS); }),
    ]);
    clearTimeout(timer);
  }
}
