/**
 * Admin API: roster and staff import (CSV or XLSX; the county, or a principal for their own school), import jobs
 * (their starter or the county), contact cards (the children in the caller's scope).
 */
import express, { Router } from 'express';
import type { AppContext } from '../appContext';
import { importAnswer } from '../import/answer';
import { contactCards } from '../import/contactCards';
import { BACKGROUND_ROWS, jobView, startJob } from '../import/jobs';
import { ImportOptions, ImportResult } from '../import/result';
import { importRoster } from '../import/rosterImport';
import { importStaff } from '../import/staffImport';
import { importTemplate } from '../import/templates';
import { readTable, TableError } from '../import/table';
import { Lang, translate } from '../locales';
import { visibleChildIds } from '../domain/access';
import { School } from '../models/school';
import { auditAs } from './auditTrail';
import { access, guard, notFound } from './auth';

const MAX_UPLOAD = '20mb';

export function adminRoutes(app: AppContext): Router {
  const r = Router();

  for (const kind of ['staff', 'roster'] as const) {
    // Every body type an import may come with: CSV text, an .xlsx, or a generic binary upload.
    r.post(`/import/${kind}`, guard('principal'), express.raw({ type: () => true, limit: MAX_UPLOAD }), async (req, res) => {
      const a = access(res);
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
        // A principal imports for their own school(s) only.
        ...(a.county ? {} : { onlySchools: (await School.find({ orgId: app.orgId, _id: { $in: a.principalOf } }, { name: 1 }).lean()).map((s) => s.name) }),
      };
      const run = (onProgress?: ImportOptions['onProgress']) => (kind === 'staff' ? importStaff(table, { ...opts, onProgress }) : importRoster(table, { ...opts, onProgress }));
      const finish = (result: ImportResult) => auditAs(app, res, `import.${kind}`,
        { detail: { dryRun, created: result.created, updated: result.updated, errors: result.errors.length } });

      // A county's file would outlast an HTTP client's patience: it runs as a job, followed by its id.
      const dataRows = table.length - 1;
      if (dataRows > BACKGROUND_ROWS || yes(req.query.background)) {
        const jobId = await startJob(app.orgId, kind, dryRun, dataRows, lang, run, finish, a.actor);
        res.status(202).location(`/api/import/jobs/${jobId}`).json({ jobId, status: 'running', processed: 0, total: dataRows });
        return;
      }
      const result = await run();
      await finish(result);
      res.json(importAnswer(result, lang));
    });
  }

  r.get('/import/templates/:kind.xlsx', guard('principal'), async (req, res) => {
    const kind = req.params.kind;
    if (kind !== 'staff' && kind !== 'roster') return notFound(res, 'Templates: staff.xlsx or roster.xlsx.');
    const name = kind === 'staff' ? '教职工导入模板.xlsx' : '花名册导入模板.xlsx';
    res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .set('Content-Disposition', `attachment; filename="${kind}-template.xlsx"; filename*=UTF-8''${encodeURIComponent(name)}`)
      .send(await importTemplate(kind));
  });

  r.get('/import/jobs/:id', guard('principal'), async (req, res) => {
    const a = access(res);
    const job = await jobView(app.orgId, String(req.params.id), a.county ? undefined : a.actor);
    if (!job) return notFound(res, 'No such import job.');
    res.json(job);
  });

  r.get('/contact-cards', guard('staff'), async (_req, res) => {
    const visible = await visibleChildIds(app.orgId, access(res));
    const cards = await contactCards(app.orgId, visible ? { childIds: visible } : {});
    // Staff reading children's records: always audited.
    await auditAs(app, res, 'read.contact-cards', { detail: { children: cards.length } });
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
