/**
 * Teacher cadences (五个一), the Monday digest: each teacher gets what is due or overdue for their children; what
 * is overdue (a whole cycle passed without one) also goes to the head teacher of the child's class. The data
 * behind it is domain/cadenceBoard.ts.
 */
import { cadenceBoard, ChildCadence, openItems } from '../domain/cadenceBoard';
import { cycleSpan } from '../domain/cadences';
import { isDone, markDone } from '../domain/doneMarkers';
import { activeStaff, classHeads } from '../domain/staffDirectory';
import { fromLocal, hm, localParts } from '../localTime';
import type { Job } from './scheduler';

/**
 * Monday digest at `cadences.digestTime`. Catch-up: if the bot was down then, it goes out at the next tick of
 * the same week (a late digest is still this week's to-do list, computed from the data at that moment); once
 * the week is over, the new week's digest replaces it, so a missed week is never sent late. Keys carry the ISO
 * week; a marker claimed after a complete run keeps later ticks of the week from recomputing it.
 */
const digestJob: Job = {
  name: 'cadenceDigest',
  wholeCounty: true,
  async runDue(ctx) {
    const tz = ctx.timeZone;
    const week = cycleSpan('week', ctx.now, tz);
    const monday = localParts(week.start, tz);
    const [h, m] = hm(ctx.settings.cadences.digestTime);
    if (ctx.now < fromLocal(monday.year, monday.month, monday.day, h, m, tz)) return;
    const doneMarker = `cadenceDigest:${ctx.orgId}:${week.label}`;
    if (await isDone(doneMarker)) return;

    const board = await cadenceBoard(ctx.orgId, ctx.now, tz, ctx.settings.cadences);
    const staffIds = new Set(board.map((r) => r.teacherId));
    const classrooms = await classHeads(ctx.orgId, [...new Set(board.map((r) => r.classroomId))]);
    const headOf = new Map(classrooms.map((c) => [c.classroomId, c.headTeacherId]));
    for (const id of headOf.values()) if (id) staffIds.add(id);
    const staff = await activeStaff(ctx.orgId, [...staffIds]);

    // Each teacher: one message with a line per child that has anything open.
    const byTeacher = new Map<string, ChildCadence[]>();
    for (const r of board) byTeacher.set(r.teacherId, [...(byTeacher.get(r.teacherId) ?? []), r]);
    for (const [teacherId, rows] of byTeacher) {
      const teacher = staff.get(teacherId);
      const open = rows.filter((r) => r.statuses.some((s) => s.status !== 'done'));
      if (!teacher || !open.length) continue; // nothing to do: no message
      await ctx.notify({
        to: teacher.wecomUserId, key: `cadenceDigest:${week.label}:${teacherId}`, kind: 'cadenceDigest',
        render: (t) => t('cadences.digest', {
          name: teacher.name,
          list: open.map((r) => t('cadences.digestChild', { child: r.childName, list: openItems(t, r.statuses).join(t('cadences.sep.item')) }))
            .join(t('cadences.sep.line')),
        }),
      });
    }

    // Head teachers: what is overdue in their class, one message each. A head teacher's own paired children are
    // left out: their own digest already says it.
    const byHead = new Map<string, ChildCadence[]>();
    for (const r of board) {
      const head = headOf.get(r.classroomId);
      if (!head || head === r.teacherId || !r.statuses.some((s) => s.status === 'overdue')) continue;
      byHead.set(head, [...(byHead.get(head) ?? []), r]);
    }
    for (const [headId, rows] of byHead) {
      const head = staff.get(headId);
      if (!head) continue;
      await ctx.notify({
        to: head.wecomUserId, key: `cadenceOverdue:${week.label}:${headId}`, kind: 'cadenceOverdue',
        render: (t) => t('cadences.escalation', {
          name: head.name,
          list: rows.map((r) => t('cadences.escalationChild', {
            child: r.childName, teacher: staff.get(r.teacherId)?.name ?? '',
            list: openItems(t, r.statuses, true).join(t('cadences.sep.item')),
          })).join(t('cadences.sep.line')),
        }),
      });
    }
    await markDone(doneMarker, ctx.now);
  },
};

export const cadenceJobs: Job[] = [digestJob];
