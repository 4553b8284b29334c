/**
 * A concern case's life in the records: opened with a number, messages added by the family and the school,
 * acknowledged, closed. Who is told what is in concernCase.ts; the handlers decide which step a message is.
 */
import { Concern, ConcernDoc, OPEN_STATUSES } from '../models/concern';
import { nextNumber } from '../models/counter';
import { holdsPostIn, StaffDoc } from '../models/staff';
import { recordStep, RequiredNotice } from './concernCase';

/** Follow-ups reach an open case for this long after it was opened. */
const FOLLOW_UP_DAYS = 7;

type Role = 'father' | 'mother' | 'guardian' | 'staff';

export interface NewCase {
  childId: unknown;
  schoolId: unknown;
  raisedBy: string;
  raisedByRole: Role;
  teacherId?: unknown;
  category: string;
  urgent: boolean;
  /** The first message. */
  text: string;
  voiceMediaId?: string;
  /**
   * An incident the school reports: already in hand (whoever reports it has it), so the ladder's "nobody
   * acknowledged" steps do not apply.
   */
  incident?: boolean;
}

/** Opens a numbered case with its first message. */
export async function openCase(orgId: string, c: NewCase, now: Date): Promise<ConcernDoc> {
  const number = await nextNumber(orgId, 'concern', now);
  return Concern.create({
    orgId, number, childId: c.childId, schoolId: c.schoolId, raisedBy: c.raisedBy, raisedByRole: c.raisedByRole,
    teacherId: c.teacherId, category: c.category, urgency: c.urgent ? 'urgent' : 'normal', openedAt: now,
    ...(c.incident ? { incident: true, status: 'acknowledged', acknowledgedAt: now, acknowledgedBy: c.raisedBy } : {}),
    messages: [{ at: now, from: c.raisedBy, direction: c.raisedByRole === 'staff' ? 'staff' : 'family', text: c.text, voiceMediaId: c.voiceMediaId }],
  });
}

/** Cases older than this are left to people: the ladder has long run its course. */
const LADDER_DAYS = 14;

/**
 * The cases the ladder job climbs at `now`: opened in the last two weeks (and not after `now`), still open or
 * resolved (a closed case still owes the leadership its summary and the family its deadlines).
 */
export function casesOnTheLadder(orgId: string, now: Date): Promise<ConcernDoc[]> {
  const since = new Date(now.getTime() - LADDER_DAYS * 24 * 3600_000);
  return Concern.find({ orgId, status: { $in: [...OPEN_STATUSES, 'resolved'] }, openedAt: { $gte: since, $lte: now } });
}

/** Marks the case escalated (a step of the ladder went up), unless it was resolved meanwhile. */
export async function markEscalated(concernId: unknown): Promise<void> {
  await Concern.updateOne({ _id: concernId, status: { $ne: 'resolved' } }, { $set: { status: 'escalated' } });
}

/** Keeps on the case the notices the emergency rule required (checked by the ladder job and the report). */
export async function addRequiredNotices(concernId: unknown, notices: RequiredNotice[]): Promise<void> {
  await Concern.updateOne({ _id: concernId }, { $push: { requiredNotices: { $each: notices } } });
}

/** The newest case this address raised that is still open and recent enough for follow-ups (of one child, if given). */
export async function openCaseRaisedBy(orgId: string, raisedBy: string, now: Date, childId?: unknown): Promise<ConcernDoc | null> {
  const since = new Date(now.getTime() - FOLLOW_UP_DAYS * 24 * 3600_000);
  const q: Record<string, unknown> = { orgId, raisedBy, status: { $in: OPEN_STATUSES }, openedAt: { $gte: since } };
  if (childId) q.childId = childId;
  // The newest first; number breaks a tie of two cases opened in the same instant.
  return Concern.findOne(q).sort({ openedAt: -1, number: -1 });
}

/** Adds a family member's message to the case; returns its sequence number (for the notice key). */
export async function addFamilyMessage(concern: ConcernDoc, from: string, at: Date, text: string, voiceMediaId?: string): Promise<number> {
  const seq = concern.messages.length;
  await Concern.updateOne({ _id: concern._id }, { $push: { messages: { at, from, direction: 'family', text, voiceMediaId } } });
  return seq;
}

export function caseByNumber(orgId: string, number: number): Promise<ConcernDoc | null> {
  return Concern.findOne({ orgId, number });
}

export function isOpen(concern: ConcernDoc): boolean {
  return OPEN_STATUSES.includes(concern.status as (typeof OPEN_STATUSES)[number]);
}

/** Staff of the child's school may answer (their main post or a further one); county staff (no school) may not. */
export function mayAnswer(staff: StaffDoc, concern: ConcernDoc): boolean {
  return holdsPostIn(staff, concern.schoolId);
}

/** Marks the case acknowledged by `by` unless it already was; true when this call did it. */
export async function acknowledgeCase(concern: ConcernDoc, by: string, at: Date): Promise<boolean> {
  if (concern.acknowledgedAt) return false;
  await Concern.updateOne({ _id: concern._id, acknowledgedAt: { $exists: false } },
    { $set: { status: 'acknowledged', acknowledgedAt: at, acknowledgedBy: by } });
  await recordStep(concern._id, 'acknowledged', at, [by]);
  return true;
}

/** Adds the school's answer to the case (an answer acknowledges it too); returns its sequence number. */
export async function addStaffAnswer(concern: ConcernDoc, by: string, at: Date, text: string): Promise<number> {
  const seq = concern.messages.length;
  await Concern.updateOne({ _id: concern._id }, { $push: { messages: { at, from: by, direction: 'staff', text } } });
  await acknowledgeCase(concern, by, at);
  return seq;
}

/** Closes the case with the school's note (acknowledging it if nobody had). */
export async function closeCase(concern: ConcernDoc, by: string, at: Date, note: string): Promise<void> {
  await Concern.updateOne({ _id: concern._id }, {
    $set: { status: 'resolved', resolvedAt: at, resolution: note, ...(concern.acknowledgedAt ? {} : { acknowledgedAt: at, acknowledgedBy: by }) },
    $push: { messages: { at, from: by, direction: 'staff', text: note } },
  });
}
