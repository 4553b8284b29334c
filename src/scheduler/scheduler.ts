/**
 * Scheduled work. Each job is `runDue(ctx)`: it finds what is due at `ctx.now` from the data (not from memory)
 * and pushes notices with period keys, so running it twice, late, or on two instances sends each item once.
 * node-cron only decides when to call `runDue` (every minute); a per-tick lease lets one instance do the work.
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

export class Scheduler {
  private task?: ScheduledTask;
  readonly instanceId = crypto.randomBytes(6).toString('hex');

  constructor(private readonly jobs: Job[], private readonly opts: SchedulerOptions) {}

  /** Runs every job for `now`; a job that fails is logged and the others still run. Returns the names that ran. */
  async runDue(now: Date = this.opts.clock.now()): Promise<string[]> {
    const org = await Org.findById(this.opts.orgId).lean();
    const settings = scheduleSettings(org?.schedule);
    const audience: Audience = {
      ...this.opts.audience,
      timeZone: org?.timeZone ?? this.opts.audience.timeZone,
      quietHours: org?.quietHours ?? this.opts.audience.quietHours,
    };
    const ran: string[] = [];
    for (const job of this.jobs) {
      if (!(await acquireLease(`job:${this.opts.orgId}:${job.name}`, this.instanceId, now, TICK_LEASE_MS))) continue;
      const ctx: JobContext = {
        orgId: this.opts.orgId, now, timeZone: audience.timeZone, settings, audience, log: this.opts.log,
        notify: (notice) => notify(audience, now, notice),
      };
      try {
        await job.runDue(ctx);
        ran.push(job.name);
      } catch (err) {
        this.opts.log.error({ err, job: job.name }, 'scheduled job failed');
      }
    }
    return ran;
  }

  /** Every minute: run what is due, then `after` (the delivery worker). */
  start(after: () => Promise<unknown>): void {
    this.task = cron.schedule('* * * * *', async () => {
      await this.runDue().catch((err) => this.opts.log.error({ err }, 'scheduler tick failed'));
      await after().catch((err) => this.opts.log.error({ err }, 'delivery after tick failed'));
    });
  }

  stop(): void {
    void this.task?.stop();
  }
}
