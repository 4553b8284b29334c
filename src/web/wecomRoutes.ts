/**
 * Admin API of the WeCom adapters (mounted under /api/wecom when the 学校通知 plugin is on; county scope):
 *
 *   POST /api/wecom/school-sync[?dryRun=1]   reads the school's 家校通讯录 and links its parents to our family
 *                                            members (schoolSync.ts); answers the report. Body {"dryRun": true} works too.
 *
 * A WeCom error answers 502 with what the operator must fix (e.g. 48002: give the 家校 app 家校通讯录 access).
 */
import express, { Router } from 'express';
import { RetryableSendError } from '../bot/channel';
import type { SchoolSyncReport } from '../bot/wecom/schoolSync';
import { WeComPermanentError } from '../bot/wecom/errors';
import { guard } from './auth';

export const WECOM_API_PATH = '/api/wecom';

export interface WeComRouteDeps {
  schoolSync: (opts: { dryRun: boolean }) => Promise<SchoolSyncReport>;
}

const yes = (v: unknown) => v === true || ['1', 'true', 'yes'].includes(String(v ?? '').toLowerCase());

/** The body as an object whether /api's raw parser already read it (a Buffer) or not. */
function bodyOf(body: unknown): Record<string, unknown> {
  if (Buffer.isBuffer(body)) {
    try {
      const parsed = body.length ? JSON.parse(body.toString('utf8')) : {};
      return parsed && typeof parsed === 'object' ? parsed : {};
    } catch {
      return {};
    }
  }
  return body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
}

export function wecomRoutes(deps: WeComRouteDeps): Router {
  const r = Router();
  r.use(express.json({ limit: '10kb' }));
  let running: Promise<SchoolSyncReport> | undefined;

  r.post('/school-sync', guard('county'), async (req, res) => {
    if (running) {
      res.status(409).json({ error: 'busy', message: 'A school sync is already running; try again when it is done.' });
      return;
    }
    const dryRun = yes(req.query.dryRun) || yes(bodyOf(req.body).dryRun);
    running = deps.schoolSync({ dryRun });
    try {
      res.json(await running);
    } catch (err) {
      if (err instanceof WeComPermanentError) {
        res.status(502).json({ error: 'wecom', message: err.message });
        return;
      }
      if (err instanceof RetryableSendError) {
        res.status(503).json({ error: 'wecom_busy', message: err.message });
        return;
      }
      throw err;
    } finally {
      running = undefined;
    }
  });
  return r;
}
