/**
 * Large imports run in the background: the request answers 202 `{jobId}` at once, and `GET /api/import/jobs/:id`
 * follows `{status, processed, total, result}`: `processed` of `total` rows that passed validation (at first, of all
 * data rows). The job lives in MongoDB, so any instance of the bot can answer for it. A running job's process
 * marks it alive every 20 s; one not marked for 2 minutes died with its process (a restart, a crash) and is shown
 * as failed, saying to import the file again (imports are idempotent). Jobs are kept 30 days.
 */
import { Schema, Types, model } from 'mongoose';
import type { Lang } from '../locales';
import { importAnswer, type ImportAnswer } from './answer';
import type { ImportResult } from './result';

/** Files with more data rows than this run as a job; smaller ones keep the synchronous answer. */
export const BACKGROUND_ROWS = 2000;
/** Progress is written at most this often, so a fast import is not slowed by its own bookkeeping. */
const PROGRESS_EVERY_MS = 500;
/** A running job is marked alive this often… */
const BEAT_MS = 20_000;
/** …and counted dead when not marked for this long. */
export const STALE_JOB_MS = 2 * 60_000;
/** Finished jobs (and their results) are kept this long. */
const KEEP_JOBS_MS = 30 * 24 * 3600_000;
export const DIED_MESSAGE = 'The bot stopped (restart or crash) before this import finished. Import the file again: an import changes only what differs.';

const importJobSchema = new Schema({
  orgId: { type: String, required: true },
  kind: { type: String, enum: ['staff', 'roster'], required: true },
  dryRun: { type: Boolean, default: false },
  status: { type: String, enum: ['running', 'done', 'failed'], default: 'running' },
  processed: { type: Number, default: 0 },
  total: { type: Number, default: 0 },
  result: Schema.Types.Mixed,
  error: String,
  /** Last sign of life of the process running it (real time). */
  beatAt: Date,
  /** Who started it ('admin' for the token, else a staff userid): only they (and the county) may follow it. */
  actor: String,
}, { timestamps: true });
importJobSchema.index({ orgId: 1, createdAt: -1 });

export const ImportJob = model('ImportJob', importJobSchema);

export interface JobView {
  jobId: string;
  kind: string;
  dryRun: boolean;
  status: 'running' | 'done' | 'failed';
  processed: number;
  total: number;
  result?: ImportAnswer;
  error?: string;
}

type Run = (onProgress: (done: number, total: number) => void) => Promise<ImportResult>;

/** Jobs this process is running: never judged dead here, however late a heartbeat write is on a busy database. */
const runningIds = new Set<string>();

/**
 * Starts `run` in the background and returns the job's id. `finish` runs after a successful import (the audit
 * entry). A failure is recorded on the job, never thrown: nobody is waiting on the request any more.
 */
export async function startJob(orgId: string, kind: 'staff' | 'roster', dryRun: boolean, total: number, lang: Lang, run: Run, finish: (r: ImportResult) => Promise<void>, actor?: string): Promise<string> {
  // Heartbeats, progress pacing and staleness are the process's own bookkeeping: real time, not the bot's clock
  // (a simulated clock moved by a day must not make a running job look dead).
  const job = await ImportJob.create({ orgId, kind, dryRun, total, beatAt: new Date(), actor });
  // One write at a time: on FerretDB a late progress or heartbeat write racing the final one can rewrite the whole
  // document from an older copy, putting a finished job back to "running" (then judged dead). The final write
  // waits for the chain.
  let writes: Promise<unknown> = Promise.resolve();
  const write = (set: Record<string, unknown>) => {
    writes = writes.then(() => ImportJob.updateOne({ _id: job._id }, { $set: set })).catch(() => undefined);
  };
  const beat = setInterval(() => write({ beatAt: new Date() }), BEAT_MS);
  beat.unref();
  let last = 0;
  let lastTotal = total;
  const settle = async (set: Record<string, unknown>) => {
    clearInterval(beat);
    await writes;
    await ImportJob.updateOne({ _id: job._id }, { $set: set });
  };
  const work = (async () => {
    try {
      const result = await run((done, of) => {
        lastTotal = of;
        const now = Date.now();
        if (now - last < PROGRESS_EVERY_MS && done < of) return;
        last = now;
        write({ processed: done, total: of, beatAt: new Date() });
      });
      await finish(result);
      await settle({ status: 'done', processed: lastTotal, total: lastTotal, result: importAnswer(result, lang) });
    } catch (err) {
      await settle({ status: 'failed', error: (err as Error).message }).catch(() => undefined);
    } finally {
      clearInterval(beat);
    }
  })();
  runningIds.add(String(job._id));
  void work.finally(() => runningIds.delete(String(job._id)));
  return String(job._id);
}

/** A job's progress; with `actor`, only a job that caller started. */
export async function jobView(orgId: string, id: string, actor?: string): Promise<JobView | undefined> {
  if (!Types.ObjectId.isValid(id) || !/^[0-9a-f]{24}$/i.test(id)) return undefined;
  const job = await ImportJob.findOne({ _id: id, orgId, ...(actor ? { actor } : {}) }).lean();
  if (!job) return undefined;
  const lastSign = Math.max(job.beatAt?.getTime() ?? 0, job.updatedAt.getTime());
  // Real time: heartbeats are stamped with it (see startJob).
  if (job.status === 'running' && !runningIds.has(String(job._id)) && lastSign < Date.now() - STALE_JOB_MS) {
    Object.assign(job, { status: 'failed', error: DIED_MESSAGE });
    await ImportJob.updateOne({ _id: job._id, status: 'running' }, { $set: { status: 'failed', error: DIED_MESSAGE } });
  }
  return {
    jobId: String(job._id), kind: job.kind, dryRun: job.dryRun, status: job.status, processed: job.processed, total: job.total,
    ...(job.result ? { result: job.result as ImportAnswer } : {}), ...(job.error ? { error: job.error } : {}),
  };
}

/** Drops jobs older than 30 days (real time: jobs are stamped with it). */
export async function pruneImportJobs(realNow = new Date()): Promise<number> {
  return (await ImportJob.deleteMany({ createdAt: { $lt: new Date(realNow.getTime() - KEEP_JOBS_MS) } })).deletedCount ?? 0;
}
