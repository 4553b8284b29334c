/**
 * The concern ladder (the schools' emergency rule), derived every tick from the open cases:
 * ordinary, unacknowledged → teacher reminded after 24 h, head teacher told after 48 h;
 * urgent, unacknowledged → head teacher and principal after 30 min; urgent → leadership summary (within 2 h);
 * a required notice not delivered by its deadline → the teacher is told to phone.
 * Every step has its own key, so it happens once, and is timestamped on the case. Urgent steps ignore quiet hours.
 */
import type { ConcernDoc } from '../models/concern';
import { CaseView, deliveries, loadCase, pushCase, recordStep, tellLeadership, tellUnreachable } from '../domain/concernCase';
import { addRequiredNotices, casesOnTheLadder, markEscalated } from '../domain/concerns';
import type { Job, JobContext } from './scheduler';

async function climb(ctx: JobContext, concern: ConcernDoc): Promise<void> {
  const s = ctx.settings.concerns;
  const age = ctx.now.getTime() - concern.openedAt.getTime();
  const acked = !!concern.acknowledgedAt;
  const view = await loadCase(ctx.orgId, concern);
  if (!view) return;
  const n = concern.number;

  if (concern.urgency === 'normal' && !acked) {
    if (age >= s.remindTeacherHours * 3600_000 && view.teacher) {
      if (await pushCase(ctx.audience, ctx.now, view, view.teacher.wecomUserId, `concern:${n}:remindTeacher`, 'concern.remindTeacher', { extra: { hours: s.remindTeacherHours } })) {
        await recordStep(concern._id, 'remindTeacher', ctx.now, [view.teacher.wecomUserId]);
      }
    }
    if (age >= s.headTeacherHours * 3600_000) {
      await escalate(ctx, view, 'headTeacher', [view.headTeacher], 'concern.toHeadTeacher', { hours: s.headTeacherHours }, false);
    }
  }
  if (concern.urgency === 'urgent' && !acked && age >= s.urgentAckMinutes * 60_000) {
    const principals = view.leaders.filter((l) => l.role === 'principal');
    await escalate(ctx, view, 'urgentNoAck', [view.headTeacher, ...principals], 'concern.urgentNoAck', { minutes: s.urgentAckMinutes }, true);
  }
  if (concern.urgency === 'urgent' && !concern.incident && age >= s.leadershipMinutes * 60_000) {
    const { fresh } = await tellLeadership(ctx.audience, ctx.now, view, 'concern.leadershipSummary');
    if (fresh.length) {
      await addRequiredNotices(concern._id, fresh);
      await recordStep(concern._id, 'leadershipSummary', ctx.now, fresh.flatMap((r) => (r.to ? [r.to] : [])));
    }
  }
  await checkDeadlines(ctx, view);
}

async function escalate(ctx: JobContext, view: CaseView, step: string, people: Array<CaseView['headTeacher']>, msgKey: string, extra: Record<string, number>, urgent: boolean): Promise<void> {
  const to = [...new Set(people.flatMap((p) => (p ? [p.wecomUserId] : [])))];
  const sent: string[] = [];
  for (const address of to) {
    if (await pushCase(ctx.audience, ctx.now, view, address, `concern:${view.concern.number}:${step}:${address}`, msgKey, { urgent, extra })) sent.push(address);
  }
  if (sent.length) {
    await markEscalated(view.concern._id);
    await recordStep(view.concern._id, step, ctx.now, sent);
  }
}

/**
 * A required notice past its deadline and not delivered: the teacher must phone. Family nobody can reach (not
 * bound) was reported at once when the case opened (incidents: to the reporter; urgent cases: to the teacher) —
 * here only caught up, under the same key, should that have been missed.
 */
async function checkDeadlines(ctx: JobContext, view: CaseView): Promise<void> {
  const notices = view.concern.requiredNotices.filter((r) => r.role !== 'principal' && r.role !== 'moral_director');
  if (!view.concern.incident && notices.some((r) => r.unreachable)) {
    const told = await tellUnreachable(ctx.audience, ctx.now, view, notices);
    if (told) await recordStep(view.concern._id, 'unreachable', ctx.now, [told]);
  }
  const overdue = notices.filter((r) => r.deadline <= ctx.now && !r.unreachable && r.key);
  if (!overdue.length) return;
  // A voice-style notice may have gone out in pieces: deliveries() counts it delivered when all of them were.
  const sent = await deliveries(ctx.orgId, overdue.map((r) => r.key!));
  const who = view.teacher?.wecomUserId ?? (view.concern.raisedByRole === 'staff' ? view.concern.raisedBy : undefined);
  if (!who) return;
  for (const r of overdue) {
    const d = sent.get(r.key!);
    if (d?.sentAt && d.sentAt <= r.deadline) continue;
    if (await pushCase(ctx.audience, ctx.now, view, who, `concern:${view.concern.number}:overdue:${r.role}`, 'concern.noticeOverdue', { urgent: true, extra: { name: r.name ?? '' } })) {
      await recordStep(view.concern._id, `overdue:${r.role}`, ctx.now, [who]);
    }
  }
}

export const concernJobs: Job[] = [{
  name: 'concernLadder',
  async runDue(ctx) {
    for (const c of await casesOnTheLadder(ctx.orgId, ctx.now)) {
      // A closed case still owes the leadership its summary and the family its deadlines; nothing else.
      if (c.status === 'resolved' && c.urgency !== 'urgent') continue;
      await climb(ctx, c);
    }
  },
}];
