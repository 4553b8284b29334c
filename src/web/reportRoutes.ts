/**
 * The county report of a month, within the caller's scope (domain/countyReport.ts):
 *
 * GET /api/reports/county.xlsx?month=YYYY-MM — the workbook: 花名册, 统计, 关爱落实 (import/countyWorkbook.ts);
 *   `lang=en` for English headers (the sheets keep their names).
 * GET /api/reports/summary?month=YYYY-MM — the same numbers as JSON, for the console's dashboard: totals, per
 *   school, per class, per pairing teacher.
 *
 * `month` defaults to the current month (org time zone); a month still to come is refused. Any staff member may
 * ask: the answer holds exactly the children they may see (a teacher their paired children, a head teacher their
 * class, a principal their school, the county every school). Every read is audited: the roster is children's records.
 */
import { Response, Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../appContext';
import { CareCounts, CountyReport, countyReport, Group, onTimeRate } from '../domain/countyReport';
import { loadOrgSettings } from '../domain/settings';
import { buildCountyWorkbook } from '../import/countyWorkbook';
import { periodOf } from '../localTime';
import { auditAs } from './auditTrail';
import { access, guard } from './auth';
import { badRequest } from './errors';

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;
const month = z.string().regex(PERIOD, 'YYYY-MM').optional();
const summaryQuery = z.object({ month }).strict();
const workbookQuery = z.object({ month, lang: z.enum(['zh-CN', 'en']).optional() }).strict();

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export function reportRoutes(app: AppContext): Router {
  const r = Router();

  /** The caller's report of the asked month, or undefined once a 400 was answered. */
  async function load(res: Response, asked: string | undefined, rows = false): Promise<CountyReport | undefined> {
    const now = app.clock.now();
    const { timeZone, schedule: { cadences } } = await loadOrgSettings(app.orgId, app.services.timeZone);
    const current = periodOf(now, timeZone);
    const m = asked ?? current;
    if (m > current) {
      res.status(400).json({ error: 'bad_request', message: `month: ${m} has not begun (the current month is ${current})` });
      return undefined;
    }
    return countyReport(app.orgId, access(res), { month: m, now, timeZone, cadences, rows });
  }

  const audited = (res: Response, report: CountyReport, format: string) => auditAs(app, res, 'read.report', {
    detail: { month: report.month, format, children: report.totals.roster.children },
    schoolIds: report.schools.map((s) => s.schoolId),
  });

  r.get('/county.xlsx', guard('staff'), async (req, res) => {
    const parsed = workbookQuery.safeParse(req.query);
    if (!parsed.success) return badRequest(res, parsed.error);
    const report = await load(res, parsed.data.month, true);
    if (!report) return;
    const body = Buffer.from(await buildCountyWorkbook(report, parsed.data.lang).xlsx.writeBuffer());
    await audited(res, report, 'xlsx');
    const name = `留守儿童报表-${report.month}.xlsx`;
    res.set('Content-Type', XLSX)
      .set('Content-Disposition', `attachment; filename="county-report-${report.month}.xlsx"; filename*=UTF-8''${encodeURIComponent(name)}`)
      .send(body);
  });

  r.get('/summary', guard('staff'), async (req, res) => {
    const parsed = summaryQuery.safeParse(req.query);
    if (!parsed.success) return badRequest(res, parsed.error);
    const report = await load(res, parsed.data.month);
    if (!report) return;
    await audited(res, report, 'json');
    const care = (c: CareCounts) => ({ ...c, cases: { ...c.cases, onTimeRate: onTimeRate(c.cases) } });
    const counts = (g: Group) => ({ roster: g.roster, care: care(g.care) });
    res.json({
      month: report.month, timeZone: report.timeZone, at: report.at.toISOString(), grades: report.grades,
      totals: counts(report.totals),
      schools: report.schools.map((s) => ({ schoolId: s.schoolId, school: s.school, ...counts(s) })),
      classes: report.classes.map((c) => ({ classId: c.classId, class: c.class, schoolId: c.schoolId, school: c.school, grade: c.grade, headTeacher: c.headTeacher, ...counts(c) })),
      teachers: report.teachers.map((x) => ({
        teacherId: x.teacherId, teacher: x.teacher, wecomUserId: x.wecomUserId, schoolId: x.schoolId, school: x.school, children: x.children,
        care: care(x.care),
      })),
    });
  });
  return r;
}
