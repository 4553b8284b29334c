/** Admin API: roster and staff import (CSV or XLSX), contact cards. Bearer token required. */
import express, { Router } from 'express';
import type { AppContext } from '../appContext';
import { audit } from '../models/auditLog';
import { contactCards } from '../import/contactCards';
import { describeErrors } from '../import/errors';
import { ImportResult } from '../import/result';
import { importRoster } from '../import/rosterImport';
import { importStaff } from '../import/staffImport';
import { readTable, TableError } from '../import/table';
import { Lang, translate } from '../locales';
import { adminAuth } from './adminAuth';

const MAX_UPLOAD = '20mb';

export function adminRoutes(app: AppContext): Router {
  const r = Router();
  r.use(adminAuth(app.config.ADMIN_TOKEN!));
  // Every body type an import may come with: CSV text, an .xlsx, or a generic binary upload.
  r.use(express.raw({ type: () => true, limit: MAX_UPLOAD }));

  for (const kind of ['staff', 'roster'] as const) {
    r.post(`/import/${kind}`, async (req, res) => {
      const lang = langOf(req.query.lang, req.get('accept-language'));
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      let table: string[][];
      try {
        table = await readTable(body);
      } catch (err) {
        if (err instanceof TableError) {
          res.status(400).json({ created: 0, updated: 0, errors: [{ row: 0, field: 'file', message: translate(lang, 'text', 'importError.unreadable') }] });
          return;
        }
        throw err;
      }
      const dryRun = ['1', 'true', 'yes'].includes(String(req.query.dryRun ?? ''));
      const opts = { orgId: app.orgId, now: app.clock.now(), dryRun, showTeacherPhone: app.config.SHOW_TEACHER_PHONE, timeZone: app.config.TIME_ZONE };
      const result: ImportResult = kind === 'staff' ? await importStaff(table, opts) : await importRoster(table, opts);
      await audit(app.orgId, app.clock.now(), 'admin', `import.${kind}`, undefined,
        { dryRun, created: result.created, updated: result.updated, errors: result.errors.length });
      res.json({ ...result, errors: describeErrors(result.errors, lang) });
    });
  }

  r.get('/contact-cards', async (req, res) => {
    const cards = await contactCards(app.orgId);
    // Staff reading children's records: always audited.
    await audit(app.orgId, app.clock.now(), 'admin', 'read.contact-cards', undefined, { children: cards.length });
    res.json(cards);
  });
  return r;
}

function langOf(query: unknown, acceptLanguage?: string): Lang {
  if (query === 'en' || query === 'zh-CN') return query;
  return /^en\b/i.test(acceptLanguage ?? '') ? 'en' : 'zh-CN';
}
