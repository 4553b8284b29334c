/**
 * The monthly rhythm of progress notes: reminders to teachers of missing notes, the head teacher's list, and
 * delivery of last month's notes to the families (with the teacher told of children who had none).
 * Everything is derived from the data at `now`; idempotency keys carry the period, so repeated or backward
 * clock moves and a second instance send each item once.
 */
import { Types } from 'mongoose';
import { periodLabel } from '../domain/format';
import { Child } from '../models/child';
import { Classroom } from '../models/classroom';
import { usedKeys } from '../bot/outbox';
import { ProgressNote } from '../models/progressNote';
import { Staff } from '../models/staff';
import { daysInMonth, fromLocal, hm, localParts, periodOf, shiftPeriod } from '../localTime';
import { currentPairings } from '../domain/pairings';
import { deliverDueNotes, deliveryMoment, lateWindowEnd, periodStart } from '../domain/notes';
import type { Job, JobContext } from './scheduler';

interface Missing { childId: string; child: string; classroomId: string; teacherId: string }

/** Children of current pairings (optionally paired before `pairedBefore`) with no submitted or sent note for `period`. */
async function missingNotes(orgId: string, period: string, pairedBefore?: Date): Promise<Missing[]> {
  const pairings = (await currentPairings(orgId)).filter((p) => !pairedBefore || p.from < pairedBefore);
  if (!pairings.length) return [];
  const ids = pairings.map((p) => p.childId);
  const [children, notes] = await Promise.all([
    Child.find({ orgId, _id: { $in: ids }, status: 'active' }, { name: 1, classroomId: 1 }).sort({ name: 1 }).lean(),
    ProgressNote.find({ orgId, period, childId: { $in: ids }, status: { $in: ['submitted', 'sent'] } }, { childId: 1 }).lean(),
  ]);
  const written = new Set(notes.map((n) => String(n.childId)));
  return children.filter((c) => !written.has(String(c._id))).map((c) => ({
    childId: String(c._id), child: c.name, classroomId: String(c.classroomId),
    teacherId: String(pairings.find((p) => String(p.childId) === String(c._id))!.teacherId),
  }));
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) m.set(key(it), [...(m.get(key(it)) ?? []), it]);
  return m;
}

async function activeStaff(orgId: string, ids: string[]): Promise<Map<string, { name: string; wecomUserId: string }>> {
  const rows = await Staff.find({ orgId, _id: { $in: ids.map((id) => new Types.ObjectId(id)) }, active: true }, { name: 1, wecomUserId: 1 }).lean();
  return new Map(rows.map((s) => [String(s._id), { name: s.name, wecomUserId: s.wecomUserId }]));
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

  const missing = await missingNotes(ctx.orgId, period);
  if (!missing.length) return;
  const byClass = groupBy(missing, (m) => m.classroomId);
  const classrooms = await Classroom.find({ orgId: ctx.orgId, _id: { $in: [...byClass.keys()].map((id) => new Types.ObjectId(id)) } }).lean();
  const staff = await activeStaff(ctx.orgId, [
    ...new Set([...missing.map((m) => m.teacherId), ...classrooms.filter((c) => c.headTeacherId).map((c) => String(c.headTeacherId))]),
  ]);
  for (const room of classrooms) {
    const head = room.headTeacherId ? staff.get(String(room.headTeacherId)) : undefined;
    if (!head) continue;
    const children = byClass.get(String(room._id)) ?? [];
    await ctx.notify({
      to: head.wecomUserId, key: `noteHeadTeacher:${period}:${String(room._id)}:${String(room.headTeacherId)}`, kind: 'noteHeadTeacher',
      render: (t) => {
        const items = children.map((c) => t('notes.headTeacherItem', { child: c.child, teacher: staff.get(c.teacherId)?.name ?? '' }));
        // One per line; the voice twin does not read the list out.
        const list = items.join('\n');
        return t('notes.headTeacher', { className: room.name, period: periodLabel(t, period), count: children.length, list });
      },
    });
  }
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
}

export const noteJobs: Job[] = [
  { name: 'noteDelivery', runDue: runDelivery },
  { name: 'noteReminders', runDue: runReminders },
  { name: 'noteHeadTeacher', runDue: runHeadTeacher },
];
