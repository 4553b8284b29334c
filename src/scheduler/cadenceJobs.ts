/**
 * Teacher cadences (五个一): the data behind them (who is paired with whom at a moment, their contacts) and the
 * Monday digest: each teacher gets what is due or overdue for their children; what is overdue (a whole cycle
 * passed without one) also goes to the head teacher of the child's class.
 */
import { Types } from 'mongoose';
import type { T } from '../locales';
import { Child } from '../models/child';
import { Claim, claimOnce } from '../models/claim';
import { Classroom } from '../models/classroom';
import { ContactEvent } from '../models/contactEvent';
import { Org } from '../models/org';
import { Pairing } from '../models/pairing';
import { Staff } from '../models/staff';
import { CADENCE_KINDS, CadenceKind, KindStatus, childStatuses, cycleSpan, lookbackStart } from './cadences';
import { fromLocal, hm, localParts } from '../localTime';
import type { Job } from './scheduler';
import { ScheduleSettings, scheduleSettings } from './settings';

export type CadenceSettings = ScheduleSettings['cadences'];

export interface ChildCadence {
  childId: string;
  childName: string;
  classroomId: string;
  schoolId: string;
  teacherId: string;
  pairedFrom: Date;
  statuses: KindStatus[];
}

/** The org's time zone and cadence settings as stored now (handlers and routes; jobs get them in their context). */
export async function orgCadences(orgId: string, fallbackTz: string): Promise<{ timeZone: string; cadences: CadenceSettings }> {
  const org = await Org.findById(orgId).lean();
  return { timeZone: org?.timeZone ?? fallbackTz, cadences: scheduleSettings(org?.schedule).cadences };
}

/**
 * Every active child with a pairing in effect at `at` (optionally one teacher's or one child's), with the
 * status of each cadence at `at`. Plain range/equality queries only (FerretDB); the joins are done here.
 */
export async function cadenceBoard(orgId: string, at: Date, tz: string, cadences: CadenceSettings,
  only: { teacherId?: unknown; childId?: unknown } = {}): Promise<ChildCadence[]> {
  const filter: Record<string, unknown> = { orgId, from: { $lte: at } };
  if (only.teacherId) filter.teacherId = only.teacherId;
  if (only.childId) filter.childId = only.childId;
  const pairings = (await Pairing.find(filter).lean()).filter((p) => !p.until || p.until > at);
  // One pairing per child: the latest that began (a re-pairing ends the old one, but be safe).
  const byChild = new Map<string, typeof pairings[number]>();
  for (const p of pairings) {
    const prev = byChild.get(String(p.childId));
    if (!prev || prev.from < p.from) byChild.set(String(p.childId), p);
  }
  if (!byChild.size) return [];
  const ids = [...byChild.keys()].map((id) => new Types.ObjectId(id));
  const children = await Child.find({ orgId, _id: { $in: ids }, status: 'active' }, { name: 1, classroomId: 1, schoolId: 1 }).sort({ name: 1 }).lean();
  if (!children.length) return [];
  const events = await ContactEvent.find({
    orgId, childId: { $in: children.map((c) => c._id) }, kind: { $in: [...CADENCE_KINDS] },
    at: { $gte: lookbackStart(at, tz, cadences), $lte: at },
  }, { childId: 1, kind: 1, at: 1 }).lean();
  const contacts = new Map<string, Partial<Record<CadenceKind, Date[]>>>();
  for (const e of events) {
    const m = contacts.get(String(e.childId)) ?? {};
    (m[e.kind as CadenceKind] ??= []).push(e.at);
    contacts.set(String(e.childId), m);
  }
  return children.map((c) => {
    const p = byChild.get(String(c._id))!;
    return {
      childId: String(c._id), childName: c.name, classroomId: String(c.classroomId), schoolId: String(c.schoolId),
      teacherId: String(p.teacherId), pairedFrom: p.from,
      statuses: childStatuses(at, tz, cadences, p.from, contacts.get(String(c._id)) ?? {}),
    };
  });
}

/** "谈心（本周）、家访（已逾期）": a child's open items in the recipient's words; only the kind names when `onlyOverdue`. */
export function openItems(t: T, statuses: KindStatus[], onlyOverdue = false): string[] {
  return statuses
    .filter((s) => (onlyOverdue ? s.status === 'overdue' : s.status !== 'done'))
    .map((s) => {
      const kind = t(`cadences.kind.${s.kind}`);
      if (onlyOverdue) return kind;
      return t(s.status === 'overdue' ? 'cadences.overdueItem' : 'cadences.dueItem', { kind, cycle: t(`cadences.cycle.${s.cycle}`) });
    });
}

/**
 * Monday digest at `cadences.digestTime`. Catch-up: if the bot was down then, it goes out at the next tick of
 * the same week (a late digest is still this week's to-do list, computed from the data at that moment); once
 * the week is over, the new week's digest replaces it, so a missed week is never sent late. Keys carry the ISO
 * week; a marker claimed after a complete run keeps later ticks of the week from recomputing it.
 */
const digestJob: Job = {
  name: 'cadenceDigest',
  async runDue(ctx) {
    const tz = ctx.timeZone;
    const week = cycleSpan('week', ctx.now, tz);
    const monday = localParts(week.start, tz);
    const [h, m] = hm(ctx.settings.cadences.digestTime);
    if (ctx.now < fromLocal(monday.year, monday.month, monday.day, h, m, tz)) return;
    const doneMarker = `cadenceDigest:${ctx.orgId}:${week.label}`;
    if (await Claim.exists({ _id: doneMarker })) return;

    const board = await cadenceBoard(ctx.orgId, ctx.now, tz, ctx.settings.cadences);
    const staffIds = new Set(board.map((r) => r.teacherId));
    const classrooms = await Classroom.find({ orgId: ctx.orgId, _id: { $in: [...new Set(board.map((r) => r.classroomId))] } }, { headTeacherId: 1 }).lean();
    const headOf = new Map(classrooms.map((c) => [String(c._id), c.headTeacherId ? String(c.headTeacherId) : undefined]));
    for (const id of headOf.values()) if (id) staffIds.add(id);
    const staff = new Map((await Staff.find({ orgId: ctx.orgId, _id: { $in: [...staffIds] }, active: true }, { name: 1, wecomUserId: 1 }).lean())
      .map((s) => [String(s._id), s]));

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
    await claimOnce(doneMarker, ctx.now, 'done');
  },
};

export const cadenceJobs: Job[] = [digestJob];
