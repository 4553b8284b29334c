/**
 * The monthly rhythm of progress notes: reminders to teachers of missing notes, the head teacher's list, and
 * delivery of last month's notes to the families (with the teacher told of children who had none).
 * Everything is derived from the data at `now`; idempotency keys carry the period, so repeated or backward
 * clock moves and a second instance send each item once.
 */
import { periodLabel } from '../domain/format';
import { usedKeys } from '../bot/outbox';
import { daysInMonth, fromLocal, hm, localParts, periodOf, shiftPeriod } from '../localTime';
import { missingNotes } from '../domain/missingNotes';
import { deliverDueNotes, deliveryMoment, lateWindowEnd, periodStart, prepareNoteRecordings } from '../domain/notes';
import { activeStaff, classHeads } from '../domain/staffDirectory';
import { isDone, markDone } from '../domain/doneMarkers';
import type { Job, JobContext } from './scheduler';

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) m.set(key(it), [...(m.get(key(it)) ?? []), it]);
  return m;
}

/**
 * On each reminder day at the reminder time, each teacher with paired children lacking this month's note gets
 * one message listing them. Only the latest reminder day that has come is due: an earlier one missed while the
 * bot was down says nothing the latest does not, so it is not sent late; a day's reminder stays due until the
 * next reminder day or the month's end (delivery takes over then). After a later day's reminder went out, an
 * earlier one is never sent (the clock moved back).
 */
async function runReminders(ctx: JobContext): Promise<void> {
  const s = ctx.settings.notes;
  const tz = ctx.timeZone;
  const p = localParts(ctx.now, tz);
  const period = periodOf(ctx.now, tz);
  const [hh, mm] = hm(s.reminderTime);
  const days = [...new Set(s.reminderDays)].filter((d) => d <= daysInMonth(p.year, p.month)).sort((a, b) => a - b);
  const due = days.filter((d) => fromLocal(p.year, p.month, d, hh, mm, tz) <= ctx.now);
  if (!due.length) return;
  const day = due[due.length - 1];
  const later = days.filter((d) => d > day);
  // One complete pass a reminder day: finding the missing notes reads every pairing, child and note of the month,
  // seconds at county size, and the day stays due until the next reminder day.
  const doneMarker = `noteReminder:${ctx.orgId}:${period}:${day}`;
  if (await isDone(doneMarker)) return;

  const missing = groupBy(await missingNotes(ctx.orgId, period), (m) => m.teacherId);
  const staff = await activeStaff(ctx.orgId, [...missing.keys()]);
  const laterKey = (d: number, teacherId: string) => `noteReminder:${period}:${d}:${teacherId}`;
  // One lookup for every teacher (it runs each minute of a reminder day), in the registry of keys ever used.
  const laterSent = later.length ? await usedKeys(ctx.orgId, [...missing.keys()].flatMap((id) => later.map((d) => laterKey(d, id)))) : new Set<string>();
  for (const [teacherId, children] of missing) {
    const teacher = staff.get(teacherId);
    if (!teacher) continue;
    if (later.some((d) => laterSent.has(laterKey(d, teacherId)))) continue;
    await ctx.notify({
      to: teacher.wecomUserId, key: `noteReminder:${period}:${day}:${teacherId}`, kind: 'noteReminder',
      render: (t) => t('notes.reminder', { period: periodLabel(t, period), count: children.length, children: children.map((c) => c.child).join(t('notes.sep')) }),
    });
  }
  await markDone(doneMarker, ctx.now);
}

/**
 * On headTeacherDay at the reminder time, each class's head teacher gets the class's missing notes (with the
 * pairing teacher of each). Due until the month's end, so a tick missed that day is caught up.
 */
async function runHeadTeacher(ctx: JobContext): Promise<void> {
  const s = ctx.settings.notes;
  const tz = ctx.timeZone;
  const p = localParts(ctx.now, tz);
  const period = periodOf(ctx.now, tz);
  const [hh, mm] = hm(s.reminderTime);
  if (s.headTeacherDay > daysInMonth(p.year, p.month) || ctx.now < fromLocal(p.year, p.month, s.headTeacherDay, hh, mm, tz)) return;
  // One complete pass a month (see runReminders); a tick missed on the day still catches up until the month's end.
  const doneMarker = `noteHeadTeacher:${ctx.orgId}:${period}`;
  if (await isDone(doneMarker)) return;

  const missing = await missingNotes(ctx.orgId, period);
  const byClass = groupBy(missing, (m) => m.classroomId);
  const classrooms = await classHeads(ctx.orgId, [...byClass.keys()]);
  const staff = await activeStaff(ctx.orgId, [
    ...new Set([...missing.map((m) => m.teacherId), ...classrooms.flatMap((c) => (c.headTeacherId ? [c.headTeacherId] : []))]),
  ]);
  for (const room of classrooms) {
    const head = room.headTeacherId ? staff.get(room.headTeacherId) : undefined;
    if (!head) continue;
    const children = byClass.get(room.classroomId) ?? [];
    await ctx.notify({
      to: head.wecomUserId, key: `noteHeadTeacher:${period}:${room.classroomId}:${room.headTeacherId}`, kind: 'noteHeadTeacher',
      render: (t) => {
        const items = children.map((c) => t('notes.headTeacherItem', { child: c.child, teacher: staff.get(c.teacherId)?.name ?? '' }));
        // One per line; the voice twin does not read the list out.
        const list = items.join('\n');
        return t('notes.headTeacher', { className: room.name, period: periodLabel(t, period), count: children.length, list });
      },
    });
  }
  await markDone(doneMarker, ctx.now);
}

/**
 * From deliveryDay at deliveryTime, last month's submitted notes go to the families (older ones too: a note
 * written after its delivery moment is due at once; submission sends it, this is the safety net). Each
 * pairing teacher whose children had no note is told once, until the late window closes: after that they can no
 * longer fill the gap by message, so a message caught up that late would only be noise.
 */
async function runDelivery(ctx: JobContext): Promise<void> {
  const s = ctx.settings.notes;
  const tz = ctx.timeZone;
  await deliverDueNotes(ctx.audience, ctx.now, s, tz, ctx);

  const cur = periodOf(ctx.now, tz);
  const last = shiftPeriod(cur, -1);
  const moment = deliveryMoment(last, s, tz);
  if (ctx.now < moment) return;
  const lateEnd = lateWindowEnd(cur, s, tz);
  const windowEnd = new Date(Math.max(lateEnd.getTime(), moment.getTime() + 24 * 3600_000));
  if (ctx.now >= windowEnd) return;
  // One complete pass a month (see runReminders).
  const doneMarker = `noteMissing:${ctx.orgId}:${last}`;
  if (await isDone(doneMarker)) return;

  // Children paired only this month had no note to write for last month.
  const missing = groupBy(await missingNotes(ctx.orgId, last, periodStart(cur, tz)), (m) => m.teacherId);
  const staff = await activeStaff(ctx.orgId, [...missing.keys()]);
  const lateOpen = ctx.now < lateEnd;
  for (const [teacherId, children] of missing) {
    const teacher = staff.get(teacherId);
    if (!teacher) continue;
    await ctx.notify({
      to: teacher.wecomUserId, key: `noteMissing:${last}:${teacherId}`, kind: 'noteMissing',
      render: (t) => t(lateOpen ? 'notes.missing' : 'notes.missingNoLate', {
        period: periodLabel(t, last), count: children.length, children: children.map((c) => c.child).join(t('notes.sep')), day: s.lateUntilDay,
      }),
    });
  }
  await markDone(doneMarker, ctx.now);
}

/** How long one minute's run of noteRecordings may synthesize: the rest waits for the next tick. */
const RECORDING_RUN_MS = 40_000;

/** The guardians' recordings of the submitted notes, made as notes come in rather than all on the 1st. */
async function runRecordings(ctx: JobContext): Promise<void> {
  if (!ctx.record) return;
  await prepareNoteRecordings(ctx.audience, ctx.now, ctx.timeZone, ctx.record, { until: Date.now() + RECORDING_RUN_MS, signal: ctx.signal });
}

export const noteJobs: Job[] = [
  { name: 'noteDelivery', runDue: runDelivery },
  { name: 'noteRecordings', runDue: runRecordings },
  { name: 'noteReminders', wholeCounty: true, runDue: runReminders },
  { name: 'noteHeadTeacher', wholeCounty: true, runDue: runHeadTeacher },
];
