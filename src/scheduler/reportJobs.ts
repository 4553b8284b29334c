/**
 * The monthly 通报: on the 2nd at 09:00 (org time, the day after last month's notes went to the families) each
 * principal (职务 校长) gets last month's numbers of their school, and each county staff member (教育局) the
 * county's, with a link to the console. Someone in voice style gets the short spoken version and the link as a
 * separate text message (a link is not something to hear).
 *
 * One key per month, recipient and scope (`countyBulletin:2026-11:sun:<schoolId>`, `…:qian:county`), so a second
 * tick, a clock moved back or a second instance sends each once. Catch-up: a bot that was down on the 2nd sends it
 * at its next tick of the month. The report is computed once per run for the whole county (domain/countyReport.ts)
 * and each recipient gets their part of it; a marker claimed after a complete run keeps the month's later ticks from
 * computing it again.
 */
import { recipient } from '../bot/notify';
import { TOKEN_ACCESS } from '../domain/access';
import { countyReport, doneItems, Group, overdueItems } from '../domain/countyReport';
import { periodLabel } from '../domain/format';
import type { T } from '../locales';
import { fromLocal, hm, localParts, periodOf, shiftPeriod } from '../localTime';
import { isDone, markDone } from '../domain/doneMarkers';
import { countyAndPrincipals } from '../domain/staffDirectory';
import type { Job, JobContext } from './scheduler';

const BULLETIN_DAY = 2;
const BULLETIN_TIME = '09:00';

async function send(ctx: JobContext, month: string, to: string, key: string, group: Group, scope: (t: T) => string): Promise<void> {
  const url = `${ctx.publicUrl.replace(/\/+$/, '')}/admin/`;
  const { roster, care } = group;
  await ctx.notify({
    to, key, kind: 'countyBulletin',
    render: (t) => t('bulletin.report', {
      period: periodLabel(t, month), scope: scope(t), url,
      total: roster.children, complete: roster.complete, bound: roster.bound.anyParent,
      notesDue: care.notes.expected, notesWritten: care.notes.written, notesSent: care.notes.delivered, notesMissing: care.notes.missing,
      callsDone: care.calls.done, callsMissed: care.calls.missed, letters: care.letters.reminded,
      contactsDone: doneItems(care), overdue: overdueItems(care),
      cases: care.cases.opened, casesAnswered: care.cases.answered, casesOnTime: care.cases.onTime, casesRuled: care.cases.withRule,
    }),
  });
  if ((await recipient(ctx.audience, to)).style !== 'voice') return;
  await ctx.notify({
    to, key: `${key}:link`, kind: 'countyBulletin', style: 'text',
    render: (t) => t('bulletin.link', { period: periodLabel(t, month), url }),
  });
}

const bulletinJob: Job = {
  name: 'countyBulletin',
  wholeCounty: true,
  async runDue(ctx) {
    const tz = ctx.timeZone;
    const today = localParts(ctx.now, tz);
    const [h, m] = hm(BULLETIN_TIME);
    if (ctx.now < fromLocal(today.year, today.month, BULLETIN_DAY, h, m, tz)) return;
    const month = shiftPeriod(periodOf(ctx.now, tz), -1);
    const doneMarker = `countyBulletin:${ctx.orgId}:${month}`;
    if (await isDone(doneMarker)) return;

    const people = await countyAndPrincipals(ctx.orgId);
    if (people.length) {
      const report = await countyReport(ctx.orgId, TOKEN_ACCESS, { month, now: ctx.now, timeZone: tz, cadences: ctx.settings.cadences });
      const schools = new Map(report.schools.map((s) => [s.schoolId, s]));
      for (const p of people) {
        // County staff get the county; a principal who is county staff too needs nothing more.
        if (p.county) {
          await send(ctx, month, p.address, `countyBulletin:${month}:${p.address}:county`, report.totals,
            (t) => t('bulletin.county', { schools: report.schools.length }));
          continue;
        }
        for (const id of p.schoolIds) {
          const school = schools.get(id);
          if (school) await send(ctx, month, p.address, `countyBulletin:${month}:${p.address}:${id}`, school, () => school.school);
        }
      }
    }
    await markDone(doneMarker, ctx.now);
  },
};

export const reportJobs: Job[] = [bulletinJob];
