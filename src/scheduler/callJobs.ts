/**
 * The weekly family call (亲情电话) job: reminders before each child's slot, the "did the call happen?" question
 * after it, and unanswered weeks settled (the rules are in domain/calls.ts, the question's records in callChecks.ts).
 *
 * Everything is derived from the data at `now`: the child's slot (own, else the school's), the bound family
 * members and the pairing. Keys carry the child and the slot's local date, so repeated runs, clock moves and two
 * instances send each item once.
 */
import { afterQuietHours, localDate } from '../localTime';
import {
  CallCheck, DAY, MIN, callFamilies, checkQuestion, lastSlotAtOrBefore, nextSlotAfter, reminderMoment, whenWord,
} from '../domain/calls';
import { markWeekAsked, offerCallCheck, settleUnanswered, weekAsked } from '../domain/callChecks';
import { isParent } from '../domain/family';
import type { Job, JobContext } from './scheduler';

/** The after-call question is still worth asking (and answerable) for a day; later it is stale. */
const ASK_WINDOW_MS = DAY;

async function runCalls(ctx: JobContext): Promise<void> {
  const { now, timeZone: tz } = ctx;
  const s = ctx.settings.calls;
  for (const { childId, child, slot, members: family } of await callFamilies(ctx.orgId)) {
    // Before the next call: due from its reminder moment until the call itself. Once the call time has passed
    // the reminder is stale (a reminder for a call that already happened helps nobody), so it is skipped.
    const next = nextSlotAfter(slot, now, tz);
    if (reminderMoment(next, s.remindBeforeMinutes, ctx.audience.quietHours, tz) <= now) {
      const date = localDate(next, tz);
      const readAt = afterQuietHours(now, ctx.audience.quietHours, tz);
      for (const m of family) {
        const parent = isParent(m);
        await ctx.notify({
          to: m.address, key: `${parent ? 'callRemind' : 'callReady'}:${childId}:${date}:${m.memberId}`,
          kind: parent ? 'call.remind' : 'call.ready',
          render: (t) => t(parent ? 'calls.remind.parent' : 'calls.remind.guardian', {
            child, when: whenWord(t, next, readAt, tz), weekday: t(`weekday.${slot.weekday}`), time: slot.time,
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
      const alreadyAsked = await weekAsked(ctx.orgId, childId, date);
      const check: CallCheck = { childId, child, memberId: '', date, at: last.toISOString(), weekday: slot.weekday, time: slot.time };
      let offered = false;
      for (const m of parents) offered = (await offerCheck(ctx, m.address, { ...check, memberId: m.memberId })) || offered;
      // The week counts as asked once a parent really has the question (not while all are busy in a dialog);
      // that is also when last week's unanswered question is settled.
      if (offered && !alreadyAsked && (await markWeekAsked(ctx.orgId, childId, date, now, last))) {
        await settleUnanswered(ctx.audience, now, childId, last, s.missedWeeksAlert);
      }
    }
  }
}

/** Offers the check to a parent (domain/callChecks) and asks the first open one; true when the parent has (or already had) it. */
async function offerCheck(ctx: JobContext, address: string, check: CallCheck): Promise<boolean> {
  const offer = await offerCallCheck(ctx.orgId, address, check, ctx.now, afterQuietHours(ctx.now, ctx.audience.quietHours, ctx.timeZone));
  if ('busy' in offer) return false;
  if ('had' in offer) return true;
  const { head } = offer;
  await ctx.notify({
    to: address, key: `callAsk:${head.childId}:${head.date}:${head.memberId}`, kind: 'call.ask',
    render: (t) => checkQuestion(t, head),
  });
  return true;
}

export const callJobs: Job[] = [{ name: 'calls', wholeCounty: true, runDue: runCalls }];
