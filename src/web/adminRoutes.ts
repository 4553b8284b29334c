/**
 * Admin API: roster and staff import (CSV or XLSX; the county, or a principal for their own school), import jobs
 * (their starter or the county), contact cards (the children in the caller's scope) as JSON and as a printable PDF.
 */
import express, { Router } from 'express';
import { Types } from 'mongoose';
import { z } from 'zod';
import type { AppContext } from '../appContext';
import { importAnswer } from '../import/answer';
import { type CjkFont, loadCjkFont, NoCjkFontError } from '../import/cjkFont';
import { contactCards } from '../import/contactCards';
import { renderContactCardsPdf } from '../import/contactCardsPdf';
import { BACKGROUND_ROWS, jobView, startJob } from '../import/jobs';
import { ImportOptions, ImportResult } from '../import/result';
import { importRoster } from '../import/rosterImport';
import { importStaff } from '../import/staffImport';
import { importTemplate } from '../import/templates';
import { readTable, TableError } from '../import/table';
import { Lang, translate } from '../locales';
import { childFilter, visibleChildIds } from '../domain/access';
import { Child } from '../models/child';
import { Classroom } from '../models/classroom';
import { School } from '../models/school';
import { auditAs } from './auditTrail';
import { access, guard, notFound } from './auth';
import { badRequest } from './errors';

const MAX_UPLOAD = '20mb';
/** 375 A4 pages, a few seconds of work: a county prints school by school (?school=). */
const MAX_PDF_CARDS = 3000;

const cardsQuery = z.object({
  school: z.string().trim().min(1).max(128).optional(),
  class: z.string().trim().min(1).max(128).optional(),
  childId: z.string().regex(/^[0-9a-f]{24}$/i, 'expected a childId from GET /api/children').optional(),
}).strict();

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

  // The same cards, printable: A4, eight to a page, with cut lines; filters by school and class name, or one child.
  r.get('/contact-cards.pdf', guard('staff'), async (req, res) => {
    const parsed = cardsQuery.safeParse(req.query);
    if (!parsed.success) return badRequest(res, parsed.error);
    const f = parsed.data;
    let font: CjkFont;
    try {
      font = await loadCjkFont(app.config.CJK_FONT_PATH);
    } catch (err) {
      if (!(err instanceof NoCjkFontError)) throw err;
      // Never a PDF whose Chinese would print as empty boxes: say what to install instead.
      res.status(503).json({ error: 'no_cjk_font', message: err.message });
      return;
    }
    const orgId = app.orgId;
    const and: Array<Record<string, unknown>> = [await childFilter(orgId, access(res)), { status: 'active' }];
    if (f.school) and.push({ schoolId: { $in: await School.distinct('_id', { orgId, name: f.school }) } });
    if (f.class) and.push({ classroomId: { $in: await Classroom.distinct('_id', { orgId, name: f.class }) } });
    if (f.childId) and.push({ _id: new Types.ObjectId(f.childId) });
    const childIds = await Child.distinct('_id', { $and: and });
    if (!childIds.length) return notFound(res, 'No contact cards: no active child in your scope matches school, class and childId.');
    if (childIds.length > MAX_PDF_CARDS) {
      res.status(400).json({ error: 'too_many_cards', message: `${childIds.length} cards are more than ${MAX_PDF_CARDS} in one PDF: print by school (?school=) or class (&class=).` });
      return;
    }
    const cards = await contactCards(orgId, { childIds });
    const pdf = await renderContactCardsPdf(cards, { font, kfLink: app.config.WECOM_KF_LINK });
    // Staff reading children's records: always audited.
    await auditAs(app, res, 'read.contact-cards', { detail: { format: 'pdf', children: cards.length, ...f } });
    res.status(200)
      .set('Content-Type', 'application/pdf')
      .set('Content-Disposition', `inline; filename="contact-cards.pdf"; filename*=UTF-8''${encodeURIComponent('联系卡.pdf')}`)
      .set('Cache-Control', 'no-store') // binding codes: not for a shared cache or the browser's disk
      .send(pdf);
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
