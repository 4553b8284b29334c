/** Admin API: roster and staff import (CSV or XLSX), import jobs, contact cards. Bearer token required. */
import express, { Router } from 'express';
import type { AppContext } from '../appContext';
import { audit } from '../models/auditLog';
import { importAnswer } from '../import/answer';
import { contactCards } from '../import/contactCards';
import { BACKGROUND_ROWS, jobView, startJob } from '../import/jobs';
import { ImportOptions, ImportResult } from '../import/result';
import { importRoster } from '../import/rosterImport';
import { importStaff } from '../import/staffImport';
import { readTable, TableError } from '../import/table';
import { Lang, translate } from '../locales';
import { adminAuth } from './adminAuth';

const MAX_UPLOAD = '20mb';

export function adminRoutes(app: AppContext): Router {
  const r = Router();
  r.use(adminAuth(app.config.ADMIN_TOKEN!));

  for (const kind of ['staff', 'roster'] as const) {
    // Every body type an import may come with: CSV text, an .xlsx, or a generic binary upload.
    r.post(`/import/${kind}`, express.raw({ type: () => true, limit: MAX_UPLOAD }), async (req, res) => {
      const lang = langOf(req.query.lang, req.get('accept-language'));
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      let table: string[][];
      try {
        table = await readTable(body);
      } catch (err) {
        if (err instanceof TableError) {
          const message = translate(lang, 'text', `importError.${err.code}`, err.params);
          res.status(400).json({ created: 0, updated: 0, errors: [{ row: 0, field: 'file', message }], errorCount: 1, truncated: false });
          return;
        }
        throw err;
      }
      const dryRun = yes(req.query.dryRun);
      const opts: ImportOptions & { timeZone: string } = {
        orgId: app.orgId, now: app.clock.now(), dryRun, showTeacherPhone: app.config.SHOW_TEACHER_PHONE, timeZone: app.config.TIME_ZONE,
      };
      const run = (onProgress?: ImportOptions['onProgress']) => (kind === 'staff' ? importStaff(table, { ...opts, onProgress }) : importRoster(table, { ...opts, onProgress }));
      const finish = (result: ImportResult) => audit(app.orgId, app.clock.now(), 'admin', `import.${kind}`, undefined,
        { dryRun, created: result.created, updated: result.updated, errors: result.errors.length });

      // A county's file would outlast an HTTP client's patience: it runs as a job, followed by its id.
      const dataRows = table.length - 1;
      if (dataRows > BACKGROUND_ROWS || yes(req.query.background)) {
        const jobId = await startJob(app.orgId, kind, dryRun, dataRows, lang, run, finish);
        res.status(202).location(`/api/import/jobs/${jobId}`).json({ jobId, status: 'running', processed: 0, total: dataRows });
        return;
      }
      const result = await run();
      await finish(result);
      res.json(importAnswer(result, lang));
    });
  }

  r.get('/import/jobs/:id', async (req, res) => {
    const job = await jobView(app.orgId, req.params.id);
    if (!job) {
      res.status(404).json({ error: 'not_found', message: 'No such import job.' });
      return;
    }
    res.json(job);
  });

  r.get('/contact-cards', async (req, res) => {
    const cards = await contactCards(app.orgId);
    // Staff reading children's records: always audited.
    await audit(app.orgId, app.clock.now(), 'admin', 'read.contact-cards', undefined, { children: cards.length });
    res.json(cards);
  });
  return r;
}

function yes(v: unknown): boolean {
  return ['1', 'true', 'yes'].includes(String(v ?? ''));
}

function langOf(query: unknown, acceptLanguage?: string): Lang {
  if (query === 'en' || query === 'zh-CN') return query;
  return /^en\b/i.test(acceptLanguage ?? '') ? 'en' : 'zh-CN';
}
