/**
 * The weekly family call (亲情电话): reminders before each child's slot, the "did the call happen?" question
 * after it, and the pairing teacher told when calls are missed several weeks in a row.
 *
 * Everything is derived from the data at `now`: the child's slot (own, else the school's), the bound family
 * members and the pairing. Keys carry the child and the slot's local date, so repeated runs, clock moves and two
 * instances send each item once.
 */
import type { Audience } from '../bot/notify';
import { notify } from '../bot/notify';
import type { T } from '../locales';
import { claimOnce, Claim } from '../models/claim';
import { Child } from '../models/child';
import { ContactEvent } from '../models/contactEvent';
import { ConversationState } from '../models/conversationState';
import { FamilyMember } from '../models/familyMember';
import { Pairing } from '../models/pairing';
import { School } from '../models/school';
import { Staff } from '../models/staff';
import { afterQuietHours, fromLocal, hm, localDate, localParts } from '../localTime';
import type { Job, JobContext } from './scheduler';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
/** The after-call question is still worth asking (and answerable) for a day; later it is stale. */
const ASK_WINDOW_MS = DAY;
/** A reminder must arrive at least this long before the call, or it is moved before the quiet hours. */
const MIN_LEAD_MS = 30 * MIN;
/** A reminder that would fall in quiet hours too close to the call goes this long before they start. */
const BEFORE_QUIET_MS = 30 * MIN;

export const CALL_CHECK = 'callCheck';

export interface Slot { weekday: number; time: string }
type SlotLike = { weekday?: number | null; time?: string | null } | null | undefined;

/** One open "did the call happen?" question, kept in the parent's ConversationState (kind 'callCheck'). */
export interface CallCheck { childId: string; child: string; memberId: string; date: string; at: string; weekday: number; time: string }

/** The child's own weekly slot, else the school default. */
export function slotOf(own: SlotLike, schoolDefault: SlotLike): Slot | undefined {
  for (const s of [own, schoolDefault]) {
    if (s?.time && typeof s.weekday === 'number') return { weekday: s.weekday, time: s.time };
  }
  return undefined;
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
function whenWord(t: T, slotAt: Date, readAt: Date, tz: string): string {
  const days = Math.round((Date.parse(localDate(slotAt, tz)) - Date.parse(localDate(readAt, tz))) / DAY);
  if (days === 0) return t('calls.when.today');
  if (days === 1) return t('calls.when.tomorrow');
  return t(`weekday.${localParts(slotAt, tz).weekday}`);
}

// ---------------------------------------------------------------------------------------------------------
// Outcomes and the missed-calls alert (shared with the handler that reads the parents' answers).

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
export async function alertMissedStreak(aud: Audience, now: Date, childId: string, weeks: number): Promise<void> {
  const events = await ContactEvent.find({ orgId: aud.orgId, childId, kind: 'family_call' }).sort({ at: -1 }).limit(60).lean();
  const run: typeof events = [];
  for (const e of events) {
    if (e.outcome !== 'missed') break; // an event without an outcome was logged by staff: a call that happened
    run.push(e);
  }
  if (run.length < weeks) return;
  const child = await Child.findOne({ orgId: aud.orgId, _id: childId }).lean();
  const pairing = await Pairing.findOne({ orgId: aud.orgId, childId, until: { $exists: false } }).sort({ from: -1 }).lean();
  if (!child || !pairing) return;
  const teacher = await Staff.findOne({ orgId: aud.orgId, _id: pairing.teacherId, active: true }).lean();
  if (!teacher) return;
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

// ---------------------------------------------------------------------------------------------------------
// The job.

interface ChildRow { _id: unknown; name: string; schoolId: unknown; familyCall?: SlotLike }
interface MemberRow { _id: unknown; childId: unknown; role: string; boundAddress?: string | null }

async function loadFamilies(orgId: string): Promise<{ children: ChildRow[]; schools: Map<string, SlotLike>; members: Map<string, MemberRow[]> }> {
  const [children, schools, members] = await Promise.all([
    // By name, so a parent of two children is asked about them in a stable order.
    Child.find({ orgId, status: 'active' }, { name: 1, schoolId: 1, familyCall: 1 }).sort({ name: 1 }).lean(),
    School.find({ orgId }, { familyCall: 1 }).lean(),
    FamilyMember.find({ orgId, boundAddress: { $exists: true } }, { childId: 1, role: 1, boundAddress: 1 }).lean(),
  ]);
  const byChild = new Map<string, MemberRow[]>();
  for (const m of members) {
    if (!m.boundAddress) continue;
    const list = byChild.get(String(m.childId)) ?? [];
    list.push(m);
    byChild.set(String(m.childId), list);
  }
  return { children, schools: new Map(schools.map((s) => [String(s._id), s.familyCall])), members: byChild };
}

const isParent = (m: MemberRow) => m.role === 'father' || m.role === 'mother';

async function runCalls(ctx: JobContext): Promise<void> {
  const { now, timeZone: tz } = ctx;
  const s = ctx.settings.calls;
  const { children, schools, members } = await loadFamilies(ctx.orgId);
  for (const child of children) {
    const slot = slotOf(child.familyCall, schools.get(String(child.schoolId)));
    if (!slot) continue;
    const childId = String(child._id);
    const family = members.get(childId) ?? [];

    // Before the next call: due from its reminder moment until the call itself. Once the call time has passed
    // the reminder is stale (a reminder for a call that already happened helps nobody), so it is skipped.
    const next = nextSlotAfter(slot, now, tz);
    if (reminderMoment(next, s.remindBeforeMinutes, ctx.audience.quietHours, tz) <= now) {
      const date = localDate(next, tz);
      const readAt = afterQuietHours(now, ctx.audience.quietHours, tz);
      for (const m of family) {
        const parent = isParent(m);
        await ctx.notify({
          to: m.boundAddress!, key: `${parent ? 'callRemind' : 'callReady'}:${childId}:${date}:${String(m._id)}`,
          kind: parent ? 'call.remind' : 'call.ready',
          render: (t) => t(parent ? 'calls.remind.parent' : 'calls.remind.guardian', {
            child: child.name, when: whenWord(t, next, readAt, tz), weekday: t(`weekday.${slot.weekday}`), time: slot.time,
          }),
        });
      }
    }

    // After the last call: ask the parents for a day from `askAfterMinutes` on (quiet hours hold the question
    // until morning); later the question is stale and the week counts as unanswered.
    const last = lastSlotAtOrBefore(slot, new Date(now.getTime() - s.askAfterMinutes * MIN), tz);
    const askAt = new Date(last.getTime() + s.askAfterMinutes * MIN);
    const parents = family.filter(isParent);
    if (parents.length && now.getTime() < askAt.getTime() + ASK_WINDOW_MS) {
      const date = localDate(last, tz);
      const askedKey = `callAsked:${ctx.orgId}:${childId}:${date}`;
      const alreadyAsked = await Claim.exists({ _id: askedKey });
      const check: CallCheck = { childId, child: child.name, memberId: '', date, at: last.toISOString(), weekday: slot.weekday, time: slot.time };
      let offered = false;
      for (const m of parents) offered = (await offerCheck(ctx, m.boundAddress!, { ...check, memberId: String(m._id) })) || offered;
      // The week counts as asked once a parent really has the question (not while all are busy in a dialog);
      // that is also when last week's unanswered question is settled.
      if (offered && !alreadyAsked && (await claimOnce(askedKey, now, last.toISOString()))) await settleUnanswered(ctx, childId, last);
    }
  }
}

/**
 * The week before this check: a question asked but answered by nobody counts as missed, now that the next
 * week's check is made. Looks at the 7 days before, so a slot moved to another weekday is still found.
 */
async function settleUnanswered(ctx: JobContext, childId: string, thisSlot: Date): Promise<void> {
  const keys: string[] = [];
  for (let d = 1; d <= 7; d++) keys.push(`callAsked:${ctx.orgId}:${childId}:${localDate(new Date(thisSlot.getTime() - d * DAY), ctx.timeZone)}`);
  const asked = await Claim.find({ _id: { $in: keys } }).lean();
  for (const a of asked) {
    const date = a._id.split(':').pop()!;
    if (await ContactEvent.exists({ orgId: ctx.orgId, key: `familyCall:${childId}:${date}` })) continue;
    await recordCallOutcome(ctx.audience, ctx.now, {
      childId, date, at: new Date(a.holder ?? a.at), outcome: 'missed', answered: false,
    }, ctx.settings.calls.missedWeeksAlert);
  }
}

/**
 * Adds a check to the parent's open list and asks the first one (several children: asked in turn, the next one
 * when the previous is answered). A parent in the middle of another dialog is not interrupted: the check waits
 * for a later tick (dialogs expire within minutes).
 */
/** True when the parent has (or already had) this check. */
async function offerCheck(ctx: JobContext, address: string, check: CallCheck): Promise<boolean> {
  const claimKey = `callCheck:${ctx.orgId}:${check.childId}:${check.date}:${check.memberId}`;
  if (await Claim.exists({ _id: claimKey })) return true;
  const state = await ConversationState.findOne({ orgId: ctx.orgId, address }).lean();
  const live = state && state.expiresAt > ctx.now;
  if (live && state.kind !== CALL_CHECK) return false;
  if (!(await claimOnce(claimKey, ctx.now))) return true;
  const open = live ? ((state.data as { checks?: CallCheck[] })?.checks ?? []) : [];
  // An older week of the same child still open was not answered: this week's question replaces it.
  const checks = [...open.filter((c) => c.childId !== check.childId), check];
  const readAt = afterQuietHours(ctx.now, ctx.audience.quietHours, ctx.timeZone);
  const expiresAt = new Date(Math.max(readAt.getTime() + DAY, live ? state.expiresAt.getTime() : 0));
  await ConversationState.updateOne(
    { orgId: ctx.orgId, address },
    { $set: { kind: CALL_CHECK, data: { checks }, expiresAt } },
    { upsert: true },
  );
  const head = checks[0];
  await ctx.notify({
    to: address, key: `callAsk:${head.childId}:${head.date}:${head.memberId}`, kind: 'call.ask',
    render: (t) => checkQuestion(t, head),
  });
  return true;
}

export function checkQuestion(t: T, c: CallCheck): string {
  return t('calls.ask.question', { child: c.child, weekday: t(`weekday.${c.weekday}`), time: c.time });
}

export const callJobs: Job[] = [{ name: 'calls', runDue: runCalls }];
