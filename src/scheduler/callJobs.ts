/**
 * The weekly family call (亲情电话) job: reminders before each child's slot, the "did the call happen?" question
 * after it, and unanswered weeks settled (the rules are in domain/calls.ts).
 *
 * Everything is derived from the data at `now`: the child's slot (own, else the school's), the bound family
 * members and the pairing. Keys carry the child and the slot's local date, so repeated runs, clock moves and two
 * instances send each item once.
 */
import { claimOnce, Claim } from '../models/claim';
import { Child } from '../models/child';
import { ContactEvent } from '../models/contactEvent';
import { openDialogOf, saveDialog } from '../domain/dialogs';
import { FamilyMember } from '../models/familyMember';
import { School } from '../models/school';
import { afterQuietHours, localDate } from '../localTime';
import {
  CALL_CHECK, CallCheck, DAY, MIN, SlotLike, checkQuestion, lastSlotAtOrBefore, nextSlotAfter,
  recordCallOutcome, reminderMoment, slotOf, whenWord,
} from '../domain/calls';
import type { Job, JobContext } from './scheduler';

/** The after-call question is still worth asking (and answerable) for a day; later it is stale. */
const ASK_WINDOW_MS = DAY;

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
  const live = await openDialogOf(ctx.orgId, address, ctx.now);
  if (live && live.kind !== CALL_CHECK) return false;
  if (!(await claimOnce(claimKey, ctx.now))) return true;
  const open = live ? ((live.data as { checks?: CallCheck[] }).checks ?? []) : [];
  // An older week of the same child still open was not answered: this week's question replaces it.
  const checks = [...open.filter((c) => c.childId !== check.childId), check];
  const readAt = afterQuietHours(ctx.now, ctx.audience.quietHours, ctx.timeZone);
  const expiresAt = new Date(Math.max(readAt.getTime() + DAY, live ? live.expiresAt.getTime() : 0));
  await saveDialog(ctx.orgId, address, CALL_CHECK, { checks }, expiresAt);
  const head = checks[0];
  await ctx.notify({
    to: address, key: `callAsk:${head.childId}:${head.date}:${head.memberId}`, kind: 'call.ask',
    render: (t) => checkQuestion(t, head),
  });
  return true;
}


export const callJobs: Job[] = [{ name: 'calls', runDue: runCalls }];
