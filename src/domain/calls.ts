/**
 * The weekly family call (亲情电话), its rules: the child's slot (own, else the school's), when to remind before
 * it, how a week's outcome is logged (one event per child per slot date), and the pairing teacher told when calls
 * are missed several weeks in a row. Used by the calls job (reminders, the after-call question) and by the
 * handler that reads the parents' answers.
 */
import type { Audience } from '../bot/notify';
import { notify } from '../bot/notify';
import type { T } from '../locales';
import { audit } from '../models/auditLog';
import { Child } from '../models/child';
import { ContactEvent } from '../models/contactEvent';
import { boundMembers, BoundMember } from './family';
import { rosterChildren, SlotLike } from './rosterSnapshot';
import { activeTeacherOf } from './pairings';
import { School } from '../models/school';
import { afterQuietHours, fromLocal, hm, localDate, localParts } from '../localTime';

export const MIN = 60_000;
export const DAY = 24 * 60 * MIN;
/** A reminder must arrive at least this long before the call, or it is moved before the quiet hours. */
const MIN_LEAD_MS = 30 * MIN;
/** A reminder that would fall in quiet hours too close to the call goes this long before they start. */
const BEFORE_QUIET_MS = 30 * MIN;

export const CALL_CHECK = 'callCheck';

export interface Slot { weekday: number; time: string }
export type { SlotLike };

/** One open "did the call happen?" question, kept in the parent's ConversationState (kind 'callCheck'). */
export interface CallCheck { childId: string; child: string; memberId: string; date: string; at: string; weekday: number; time: string }

/** The child's own weekly slot, else the school default. */
export function slotOf(own: SlotLike, schoolDefault: SlotLike): Slot | undefined {
  for (const s of [own, schoolDefault]) {
    if (s?.time && typeof s.weekday === 'number') return { weekday: s.weekday, time: s.time };
  }
  return undefined;
}

/** An active child with a weekly call slot, and the family members bound to an address. */
export interface CallFamily { childId: string; child: string; slot: Slot; members: BoundMember[] }

/**
 * The org's active children that have a weekly slot (own, else the school's), by name (so a parent of two
 * children is asked about them in a stable order), each with their bound family members.
 */
export async function callFamilies(orgId: string): Promise<CallFamily[]> {
  const [{ children, schoolSlots }, members] = await Promise.all([rosterChildren(orgId), boundMembers(orgId)]);
  const byChild = new Map<string, BoundMember[]>();
  for (const m of members) {
    const list = byChild.get(m.childId);
    if (list) list.push(m);
    else byChild.set(m.childId, [m]);
  }
  // By name as MongoDB compares strings (code units), as the sorted query gave them.
  const byName = [...children].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return byName.flatMap((c) => {
    const slot = slotOf(c.familyCall, c.schoolId ? schoolSlots.get(c.schoolId) : undefined);
    return slot ? [{ childId: c.id, child: c.name, slot, members: byChild.get(c.id) ?? [] }] : [];
  });
}

/** The last slot instant at or before `at`. */
export function lastSlotAtOrBefore(slot: Slot, at: Date, tz: string): Date {
  const p = localParts(at, tz);
  const [h, m] = hm(slot.time);
  const back = (p.weekday - slot.weekday + 7) % 7;
  const d = fromLocal(p.year, p.month, p.day - back, h, m, tz);
  return d > at ? fromLocal(p.year, p.month, p.day - back - 7, h, m, tz) : d;
}

/** The first slot instant strictly after `at`. */
export function nextSlotAfter(slot: Slot, at: Date, tz: string): Date {
  return lastSlotAtOrBefore(slot, new Date(at.getTime() + 7 * DAY), tz);
}

/**
 * When to remind before a call at `slotAt`. Normally `minutesBefore` earlier; quiet hours hold it until they end,
 * which is fine while that is still well before the call (a 08:00 call: reminded at 07:30). When the held reminder
 * would come too late (a 07:00 call), it goes the evening before, before the quiet hours start.
 */
export function reminderMoment(slotAt: Date, minutesBefore: number, quietHours: string, tz: string): Date {
  const at = new Date(slotAt.getTime() - minutesBefore * MIN);
  if (afterQuietHours(at, quietHours, tz).getTime() <= slotAt.getTime() - MIN_LEAD_MS) return at;
  const [sh, sm] = hm(quietHours.split('-')[0]);
  // The start of the quiet window the reminder fell into (today's evening, or yesterday's if past midnight).
  const p = localParts(at, tz);
  let start = fromLocal(p.year, p.month, p.day, sh, sm, tz);
  if (start > at) start = fromLocal(p.year, p.month, p.day - 1, sh, sm, tz);
  return new Date(start.getTime() - BEFORE_QUIET_MS);
}

/** 今天 / 明天 / 周六: the call day as seen when the message is read. */
export function whenWord(t: T, slotAt: Date, readAt: Date, tz: string): string {
  const days = Math.round((Date.parse(localDate(slotAt, tz)) - Date.parse(localDate(readAt, tz))) / DAY);
  if (days === 0) return t('calls.when.today');
  if (days === 1) return t('calls.when.tomorrow');
  return t(`weekday.${localParts(slotAt, tz).weekday}`);
}

// Outcomes and the missed-calls alert.

export interface CallOutcome { childId: string; date: string; at: Date; outcome: 'done' | 'missed'; answered: boolean; withWhom?: string }

/**
 * Logs one week's call for a child (one event per child per slot date). When both parents answer differently,
 * "done" wins: one of them did call. Then checks the missed streak.
 */
export async function recordCallOutcome(aud: Audience, now: Date, ev: CallOutcome, missedWeeksAlert: number): Promise<void> {
  const key = `familyCall:${ev.childId}:${ev.date}`;
  try {
    await ContactEvent.create({
      orgId: aud.orgId, childId: ev.childId, kind: 'family_call', at: ev.at, withWhom: ev.withWhom,
      outcome: ev.outcome, answered: ev.answered, key,
    });
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
    if (ev.outcome === 'done') {
      await ContactEvent.updateOne({ orgId: aud.orgId, key, outcome: 'missed' }, { $set: { outcome: 'done', answered: true, withWhom: ev.withWhom } });
    }
  }
  await alertMissedStreak(aud, now, ev.childId, missedWeeksAlert);
}

/**
 * `weeks` missed calls in a row → the pairing teacher is told, once per streak: the key names the streak's
 * first missed week, so a third missed week does not tell again, and a new streak after a call does.
 */
async function alertMissedStreak(aud: Audience, now: Date, childId: string, weeks: number): Promise<void> {
  const events = await ContactEvent.find({ orgId: aud.orgId, childId, kind: 'family_call' }).sort({ at: -1 }).limit(60).lean();
  const run: typeof events = [];
  for (const e of events) {
    if (e.outcome !== 'missed') break; // an event without an outcome was logged by staff: a call that happened
    run.push(e);
  }
  if (run.length < weeks) return;
  const child = await Child.findOne({ orgId: aud.orgId, _id: childId }).lean();
  const teacher = child ? await activeTeacherOf(aud.orgId, childId) : undefined;
  if (!child || !teacher) return;
  const school = await School.findOne({ orgId: aud.orgId, _id: child.schoolId }).lean();
  const slot = slotOf(child.familyCall, school?.familyCall);
  const start = localDate(run[run.length - 1].at, aud.timeZone);
  await notify(aud, now, {
    to: teacher.wecomUserId, key: `callMissed:${childId}:${start}:${String(teacher._id)}`, kind: 'call.missed',
    render: (t) => t('calls.missed.teacher', {
      child: child.name, count: run.length,
      weekday: slot ? t(`weekday.${slot.weekday}`) : '', time: slot?.time ?? '',
    }),
  });
}
export function checkQuestion(t: T, c: CallCheck): string {
  return t('calls.ask.question', { child: c.child, weekday: t(`weekday.${c.weekday}`), time: c.time });
}

/** A parent sets the child's own weekly slot (kept in the record's history and the audit log). */
export async function setFamilyCallSlot(orgId: string, childId: unknown, slot: Slot, now: Date, by: string): Promise<void> {
  await Child.updateOne(
    { orgId, _id: childId },
    { $set: { familyCall: slot }, $push: { history: { at: now, source: 'family', changed: ['familyCall'] } } },
  );
  await audit(orgId, now, by, 'child.familyCall', String(childId), slot);
}
