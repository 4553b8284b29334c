/**
 * Large imports run in the background: the request answers 202 `{jobId}` at once, and `GET /api/import/jobs/:id`
 * follows `{status, processed, total, result}`: `processed` of `total` rows that passed validation (at first, of all
 * data rows). The job lives in MongoDB, so any instance of the bot can answer
 * for it; a job whose process died stays `running` with an old `updatedAt` (import the file again: it is idempotent).
 */
import { Schema, Types, model } from 'mongoose';
import type { Lang } from '../locales';
import { importAnswer, type ImportAnswer } from './answer';
import type { ImportResult } from './result';

/** Files with more data rows than this run as a job; smaller ones keep the synchronous answer. */
export const BACKGROUND_ROWS = 2000;
/** Progress is written at most this often, so a fast import is not slowed by its own bookkeeping. */
const PROGRESS_EVERY_MS = 500;

const importJobSchema = new Schema({
  orgId: { type: String, required: true },
  kind: { type: String, enum: ['staff', 'roster'], required: true },
  dryRun: { type: Boolean, default: false },
  status: { type: String, enum: ['running', 'done', 'failed'], default: 'running' },
  processed: { type: Number, default: 0 },
  total: { type: Number, default: 0 },
  result: Schema.Types.Mixed,
  error: String,
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

const running = new Set<Promise<void>>();

/**
 * Starts `run` in the background and returns the job's id. `finish` runs after a successful import (the audit
 * entry). A failure is recorded on the job, never thrown: nobody is waiting on the request any more.
 */
export async function startJob(orgId: string, kind: 'staff' | 'roster', dryRun: boolean, total: number, lang: Lang, run: Run, finish: (r: ImportResult) => Promise<void>): Promise<string> {
  const job = await ImportJob.create({ orgId, kind, dryRun, total });
  let last = 0;
  let lastTotal = total;
  const work = (async () => {
    try {
      const result = await run((done, of) => {
        lastTotal = of;
        const now = Date.now();
        if (now - last < PROGRESS_EVERY_MS && done < of) return;
        last = now;
        void ImportJob.updateOne({ _id: job._id }, { $set: { processed: done, total: of } }).catch(() => undefined);
      });
      await finish(result);
      const answer = importAnswer(result, lang);
      await ImportJob.updateOne({ _id: job._id }, { $set: { status: 'done', processed: lastTotal, total: lastTotal, result: answer } });
    } catch (err) {
      await ImportJob.updateOne({ _id: job._id }, { $set: { status: 'failed', error: (err as Error).message } }).catch(() => undefined);
    }
  })();
  running.add(work);
  void work.finally(() => running.delete(work));
  return String(job._id);
}

export async function jobView(orgId: string, id: string): Promise<JobView | undefined> {
  if (!Types.ObjectId.isValid(id) || !/^[0-9a-f]{24}$/i.test(id)) return undefined;
  const job = await ImportJob.findOne({ _id: id, orgId }).lean();
  if (!job) return undefined;
  return {
    jobId: String(job._id), kind: job.kind, dryRun: job.dryRun, status: job.status, processed: job.processed, total: job.total,
    ...(job.result ? { result: job.result as ImportAnswer } : {}), ...(job.error ? { error: job.error } : {}),
  };
}

/** Resolves when every job this process started has finished (for shutdown and tests). */
export async function jobsIdle(): Promise<void> {
  while (running.size) await Promise.allSettled([...running]);
}
