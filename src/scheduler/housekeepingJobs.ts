// Infrastructure, not a care job: pruning collections is about storage, not rules, so it may use models directly.
/**
 * Keeping the hot collections small, every minute and a bounded amount each time: sent messages to the outbox
 * archive, crashed enqueues finished, old inbound de-duplication records, past leases, wrong-code attempts and
 * month-old import jobs, spent sign-in links and idle staff sessions pruned. What the console and the audit need stays: the archive keeps every message, the audit log is untouched.
 */
import { archiveOutbox, pruneLeases } from '../bot/outboxArchive';
import { pruneImportJobs } from '../import/jobs';
import { pruneBindAttempts } from '../models/bindAttempt';
import { pruneSignIns } from '../domain/signIn';
import { InboundLog } from '../models/inboundLog';
import { deleteInBatches } from '../models/manyValues';
import type { Job } from './scheduler';

/** WeCom retries a callback within seconds and 微信客服 re-syncs within hours; a week is plenty for de-duplication. */
const KEEP_INBOUND_MS = 7 * 24 * 3600_000;

export const housekeepingJobs: Job[] = [{
  name: 'housekeeping',
  async runDue(ctx) {
    const { archived, recovered } = await archiveOutbox(ctx.now);
    const inbound = await deleteInBatches(InboundLog, { at: { $lt: new Date(ctx.now.getTime() - KEEP_INBOUND_MS) } });
    const leases = await pruneLeases(ctx.now);
    const attempts = await pruneBindAttempts(ctx.now);
    const importJobs = await pruneImportJobs();
    await pruneSignIns(ctx.now);
    if (archived || recovered || inbound || leases || importJobs) ctx.log.info({ archived, recovered, inbound, leases, attempts, importJobs }, 'housekeeping');
  },
}];
