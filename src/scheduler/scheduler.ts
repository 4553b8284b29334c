// Infrastructure, not a job: it may use models directly (leases, the org's settings, the outbox's backlog for makeRoom).
/**
 * Scheduled work. Each job is `runDue(ctx)`: it finds what is due at `ctx.now` from the data (not from memory)
 * and pushes notices with period keys, so running it twice, late, or on two instances sends each item once.
 * node-cron only decides when to call `runDue` (every minute); a per-tick lease lets one instance do the work.
 *
 * One instance runs a job once at a time: a minute's tick skips a job still running from an earlier tick (the
 * next tick catches up, everything is derived from the data) and starts the others, and a `/sim/clock` run
 * waits for it. Without this, a long fan-out was started again every minute and ran many times in parallel.
 */
import crypto from 'node:crypto';
import cron, { ScheduledTask } from 'node-cron';
import type { Audience, Notice } from '../bot/notify';
import { notify } from '../bot/notify';
import type { Clock } from '../clock';
import type { Logger } from '../log';
import { acquireLease } from '../models/lease';
import { Org } from '../models/org';
import { Outbox } from '../models/outbox';
import { ScheduleSettings, scheduleSettings } from '../domain/settings';

export interface JobContext {
  orgId: string;
  now: Date;
  timeZone: string;
  settings: ScheduleSettings;
  audience: Audience;
  log: Logger;
  /** Base of links to the console (PUBLIC_URL, or this server's own address); '' when the app did not give one. */
  publicUrl: string;
  /** Pushes a notice (rendered for its recipient, quiet hours applied); false when its key was already used. */
  notify(notice: Notice): Promise<boolean>;
  /** Aborted when the bot stops: long loops end early (what is left is due again at the next start). */
  signal: AbortSignal;
  /**
   * For a job that pushes thousands of notices: call it every so often; while many are already waiting to be
   * sent, it delivers them before the job adds more, so the queue (and every query on it) stays small.
   */
  makeRoom(): Promise<void>;
  /** Puts the recording of a voice-style text into the speech cache; absent when the bot makes no recordings. */
  record?: (text: string) => Promise<unknown>;
}

/** Thrown by `ctx.notify` once the bot is stopping, to end a long job quickly. */
class StoppingError extends Error {
  constructor() {
    super('scheduler is stopping');
  }
}

export interface Job {
  name: string;
  /**
   * The job reads the whole roster into memory (the county report, the cadence board, …). Such jobs run one at a
   * time in an instance — the others as ever at once: at county size each holds tens of MB while it runs, and a
   * tick that started them all together (the Monday after the 1st) added them up.
   */
  wholeCounty?: boolean;
  runDue(ctx: JobContext): Promise<void>;
}

export interface SchedulerOptions {
  orgId: string;
  clock: Clock;
  log: Logger;
  audience: Audience;
  /** Sends what is due now (the delivery worker); without it makeRoom() only waits for nothing. */
  deliver?: () => Promise<unknown>;
  /** Default QUEUE_HIGH_WATER. */
  queueHighWater?: number;
  /** Base of links to the console, read at each run (the server learns its port only once it listens). */
  publicUrl?: () => string;
  /** See JobContext.record. */
  record?: (text: string) => Promise<unknown>;
}

/**
 * Due messages waiting in the queue above which a fan-out lets delivery catch up first: a few pages of notes
 * (500 notes ≈ 1,500 messages), so that enqueueing the next page overlaps with sending the last ones, while the
 * queue that delivery's queries read stays a few thousand documents.
 */
const QUEUE_HIGH_WATER = 5_000;
/**
 * How often makeRoom looks at the queue while delivery catches up: on FerretDB each look reads every pending
 * message (a few thousand here), which twice a second took database time from the sends it waits for. Half the
 * high-water mark is ~15 s of sends at WeCom's rate, so a look every 2 s still enqueues well before the queue runs dry.
 */
const ROOM_POLL_MS = 2_000;

const TICK_LEASE_MS = 55_000;
/** How long a stop waits for the jobs in progress before letting the process go (the rest is idempotent). */
const STOP_WAIT_MS = 5_000;

export class Scheduler {
  private task?: ScheduledTask;
  /** Jobs running in this instance, by name: a job never runs twice at once here. */
  private readonly running = new Map<string, Promise<boolean>>();
  private readonly abort = new AbortController();
  /** The last whole-county job started here: the next waits for it (see Job.wholeCounty). */
  private wholeCountyTurn: Promise<unknown> = Promise.resolve();
  readonly instanceId = crypto.randomBytes(6).toString('hex');

  constructor(private readonly jobs: Job[], private readonly opts: SchedulerOptions) {}

  /** Runs every job for `now`, in order, each after its own run in progress if any. Returns the names that ran. */
  async runDue(now: Date = this.opts.clock.now()): Promise<string[]> {
    const base = await this.base();
    const ran: string[] = [];
    for (const job of this.jobs) {
      if (this.abort.signal.aborted) break;
      while (this.running.get(job.name)) await this.running.get(job.name)!.catch(() => undefined);
      if (await this.launch(job, now, base)) ran.push(job.name);
    }
    return ran;
  }

  /** Whether a job is running now in this instance (the cron tick skips it instead of queueing behind it). */
  busy(name?: string): boolean {
    return name ? this.running.has(name) : this.running.size > 0;
  }

  /** The org's settings and audience, read once per tick. */
  private async base(): Promise<{ settings: ScheduleSettings; audience: Audience }> {
    const org = await Org.findById(this.opts.orgId).lean();
    return {
      settings: scheduleSettings(org?.schedule),
      audience: {
        ...this.opts.audience,
        timeZone: org?.timeZone ?? this.opts.audience.timeZone,
        quietHours: org?.quietHours ?? this.opts.audience.quietHours,
      },
    };
  }

  /**
   * Lets delivery catch up while the queue holds a high-water mark of due messages: until it is down to half that
   * (the delivery run keeps going meanwhile), or the run has sent everything. Waiting for the whole run instead
   * left the fan-out idle between pages: nothing was enqueued until the queue was empty.
   */
  private async makeRoom(now: Date): Promise<void> {
    if (!this.opts.deliver) return;
    const high = this.opts.queueHighWater ?? QUEUE_HIGH_WATER;
    const waiting = () => Outbox.countDocuments({ status: 'pending', dueAt: { $lte: now } });
    if ((await waiting()) < high) return;
    let drained = false;
    const run = this.opts.deliver().then(() => { drained = true; }, (err: unknown) => { drained = true; this.opts.log.error({ err }, 'delivery run failed'); });
    while (!drained && !this.abort.signal.aborted) {
      await Promise.race([run, new Promise((r) => setTimeout(r, ROOM_POLL_MS))]);
      if (!drained && (await waiting()) < high / 2) return;
    }
  }

  /** Runs one job under its lease; true when it ran. A job that fails is logged, never thrown. */
  private launch(job: Job, now: Date, { settings, audience }: { settings: ScheduleSettings; audience: Audience }): Promise<boolean> {
    const run = job.wholeCounty ? this.inTurn(() => this.runJob(job, now, settings, audience)) : this.runJob(job, now, settings, audience);
    const tracked = run.finally(() => this.running.delete(job.name));
    this.running.set(job.name, tracked);
    return tracked;
  }

  /** Runs `f` after the whole-county jobs started before it, one at a time. */
  private inTurn<X>(f: () => Promise<X>): Promise<X> {
    const run = this.wholeCountyTurn.then(f, f);
    this.wholeCountyTurn = run.catch(() => undefined);
    return run;
  }

  private runJob(job: Job, now: Date, settings: ScheduleSettings, audience: Audience): Promise<boolean> {
    return (async () => {
      // A job that waited its turn may find the bot stopping.
      if (this.abort.signal.aborted) return false;
      if (!(await acquireLease(`job:${this.opts.orgId}:${job.name}`, this.instanceId, now, TICK_LEASE_MS))) return false;
      const ctx: JobContext = {
        orgId: this.opts.orgId, now, timeZone: audience.timeZone, settings, audience, log: this.opts.log, publicUrl: this.opts.publicUrl?.() ?? '',
        notify: (notice) => {
          if (this.abort.signal.aborted) return Promise.reject(new StoppingError());
          return notify(audience, now, notice);
        },
        signal: this.abort.signal,
        record: this.opts.record,
        makeRoom: () => this.makeRoom(now),
      };
      try {
        await job.runDue(ctx);
        return true;
      } catch (err) {
        if (!(err instanceof StoppingError)) this.opts.log.error({ err, job: job.name }, 'scheduled job failed');
        return false;
      }
    })();
  }

  /**
   * Every minute: start each job that is not still running from an earlier tick (a month's note fan-out can take
   * many minutes; the concern ladder must keep its minute meanwhile), then `after` (the delivery worker).
   */
  start(after: () => Promise<unknown>): void {
    this.task = cron.schedule('* * * * *', async () => {
      await this.tick().catch((err) => this.opts.log.error({ err }, 'scheduler tick failed'));
      await after().catch((err) => this.opts.log.error({ err }, 'delivery after tick failed'));
    });
  }

  /** One minute's tick: starts every job not running here yet and waits for the ones it started. */
  async tick(now: Date = this.opts.clock.now()): Promise<void> {
    if (this.abort.signal.aborted) return;
    const base = await this.base();
    const started: Promise<boolean>[] = [];
    for (const job of this.jobs) {
      if (this.busy(job.name)) {
        this.opts.log.info({ job: job.name }, 'scheduler: still running from an earlier tick; skipped this minute');
        continue;
      }
      started.push(this.launch(job, now, base));
    }
    await Promise.all(started);
  }

  /** Stops the ticks and ends the jobs in progress early; waits for them at most a few seconds. */
  async stop(): Promise<void> {
    void this.task?.stop();
    this.abort.abort();
    if (!this.running.size) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.running.values()].map((r) => r.catch(() => undefined))),
      new Promise<void>((resolve) => { timer = setTimeout(resolve, STOP_WAIT_MS); }),
    ]);
    clearTimeout(timer);
  }
}
