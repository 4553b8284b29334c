/**
 * The after-call question (亲情电话: "did the call happen?"): offered to each parent in their open dialog, a week
 * marked asked once a parent has it, and last week's unanswered question settled as missed. The calls job decides
 * when; the rules of slots and outcomes are in calls.ts.
 */
import { Claim, claimOnce } from '../models/claim';
import { ContactEvent } from '../models/contactEvent';
import type { Audience } from '../bot/notify';
import { localDate } from '../localTime';
import { CALL_CHECK, CallCheck, DAY, recordCallOutcome } from './calls';
import { openDialogOf, saveDialog } from './dialogs';

const askedKey = (orgId: string, childId: string, date: string) => `callAsked:${orgId}:${childId}:${date}`;

/** True once the week of `date` (the slot's local date) counts as asked for the child. */
export async function weekAsked(orgId: string, childId: string, date: string): Promise<boolean> {
  return !!(await Claim.exists({ _id: askedKey(orgId, childId, date) }));
}

/** Marks the week asked (kept with the slot's instant `slotAt`); true for the one caller that did it. */
export function markWeekAsked(orgId: string, childId: string, date: string, now: Date, slotAt: Date): Promise<boolean> {
  return claimOnce(askedKey(orgId, childId, date), now, slotAt.toISOString());
}

/**
 * The week before this check: a question asked but answered by nobody counts as missed, now that the next
 * week's check is made. Looks at the 7 days before, so a slot moved to another weekday is still found.
 */
export async function settleUnanswered(aud: Audience, now: Date, childId: string, thisSlot: Date, missedWeeksAlert: number): Promise<void> {
  const keys: string[] = [];
  for (let d = 1; d <= 7; d++) keys.push(askedKey(aud.orgId, childId, localDate(new Date(thisSlot.getTime() - d * DAY), aud.timeZone)));
  const asked = await Claim.find({ _id: { $in: keys } }).lean();
  for (const a of asked) {
    const date = a._id.split(':').pop()!;
    if (await ContactEvent.exists({ orgId: aud.orgId, key: `familyCall:${childId}:${date}` })) continue;
    await recordCallOutcome(aud, now, { childId, date, at: new Date(a.holder ?? a.at), outcome: 'missed', answered: false }, missedWeeksAlert);
  }
}

/** What offering a check came to: the parent already had it, is busy in another dialog, or has it now (ask `head`). */
export type Offer = { had: true } | { busy: true } | { head: CallCheck };

/**
 * Adds a check to the parent's open list (several children: asked in turn, the next one when the previous is
 * answered); the caller asks `head`. A parent in the middle of another dialog is not interrupted: the check waits
 * for a later tick (dialogs expire within minutes). The list stays open for a day after `readAt` (when the parent
 * reads it, after quiet hours).
 */
export async function offerCallCheck(orgId: string, address: string, check: CallCheck, now: Date, readAt: Date): Promise<Offer> {
  const claimKey = `callCheck:${orgId}:${check.childId}:${check.date}:${check.memberId}`;
  if (await Claim.exists({ _id: claimKey })) return { had: true };
  const live = await openDialogOf(orgId, address, now);
  if (live && live.kind !== CALL_CHECK) return { busy: true };
  if (!(await claimOnce(claimKey, now))) return { had: true };
  const open = live ? ((live.data as { checks?: CallCheck[] }).checks ?? []) : [];
  // An older week of the same child still open was not answered: this week's question replaces it.
  const checks = [...open.filter((c) => c.childId !== check.childId), check];
  const expiresAt = new Date(Math.max(readAt.getTime() + DAY, live ? live.expiresAt.getTime() : 0));
  await saveDialog(orgId, address, CALL_CHECK, { checks }, expiresAt);
  return { head: checks[0] };
}
