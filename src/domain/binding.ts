/**
 * Binding a family member's address to a child: by the code on the contact card, or — card lost — by a request the
 * pairing teacher approves. The rules against guessing live here: wrong tries per address (a lock) and wrong codes
 * across the org (a pause for new addresses, the principals alerted once per pause); see models/bindAttempt.ts.
 * Two simultaneous tries for one code, or two answers to one request, are decided by a unique claim.
 */
import { Audience, notify } from '../bot/notify';
import type { Logger } from '../log';
import { BindAttempt, BindLimits, lockedUntil, OrgBindLimits, orgPausedUntil, recordFailure, recordOrgFailure } from '../models/bindAttempt';
import { BindRequest } from '../models/bindRequest';
import { Child, ChildDoc } from '../models/child';
import { claimOnce } from '../models/claim';
import { nextNumber } from '../models/counter';
import { FamilyMember, FamilyMemberDoc } from '../models/familyMember';
import { Identity } from '../models/identity';
import { Staff } from '../models/staff';
import { formatLocalTime } from './format';

const HOUR = 3600_000;

/** Until when this address may not try to bind (too many wrong tries), if it is locked now. */
export function bindingLockedUntil(orgId: string, address: string, now: Date): Promise<Date | undefined> {
  return lockedUntil(orgId, address, now);
}

/** Until when binding by code is paused for new addresses (too many wrong codes across the org), if it is now. */
export function codesPausedUntil(orgId: string, now: Date): Promise<Date | undefined> {
  return orgPausedUntil(orgId, now);
}

/** Counts a failed try of the address: the lock's end when this one reached the limit, else how many tries are left. */
export async function countFailure(orgId: string, address: string, now: Date, limits: BindLimits): Promise<{ lockedUntil: Date } | { left: number }> {
  const until = await recordFailure(orgId, address, now, limits);
  if (until) return { lockedUntil: until };
  const used = await BindAttempt.countDocuments({ orgId, address, at: { $gt: new Date(now.getTime() - HOUR) } });
  return { left: Math.max(0, limits.maxFailures - used) };
}

/**
 * Counts a wrong code org-wide; the instance whose try started a pause alerts every principal once (the outbox
 * key is per pause and principal, so a retried message never alerts twice).
 */
export async function countWrongCode(aud: Audience & { log: Logger }, now: Date, limits: OrgBindLimits): Promise<void> {
  const { started: pause } = await recordOrgFailure(aud.orgId, now, limits);
  if (!pause) return;
  const until = formatLocalTime(pause.until, aud.timeZone);
  aud.log.warn({ orgId: aud.orgId, failures: pause.failures, until: pause.until }, 'too many wrong binding codes across the org: binding by code paused for new addresses');
  // A principal's post may be a further one (a person in two schools).
  const principals = await Staff.find({ orgId: aud.orgId, active: true, $or: [{ role: 'principal' }, { 'posts.role': 'principal' }] }).lean();
  for (const p of principals) {
    await notify(aud, now, {
      to: p.wecomUserId, key: `bindPause:${pause.id}:${p.wecomUserId}`, kind: 'security_alert',
      render: (t) => t('register.orgPausedAlert', { count: pause.failures, minutes: limits.windowMinutes, until }),
    });
  }
}

export type CodeBinding =
  | { bound: FamilyMemberDoc }
  | { already: FamilyMemberDoc }
  /** No such code, or it is another address's: the same answer, so a used code cannot be told from a made-up one. */
  | { wrong: true };

/** Binds the address to the member whose card carries `code`. */
export async function bindByCode(orgId: string, address: string, code: string, now: Date): Promise<CodeBinding> {
  const member = await FamilyMember.findOne({ orgId, code });
  if (!member) return { wrong: true };
  if (member.boundAddress === address) return { already: member };
  if (member.boundAddress) return { wrong: true };
  // Two addresses sending the same code at once: the unique claim lets exactly one of them bind.
  if (!(await claimOnce(`bind:${member._id}:code`, now, address))) return { wrong: true };
  const claimed = await FamilyMember.findOneAndUpdate(
    { _id: member._id },
    { $set: { boundAddress: address, boundAt: now, boundVia: 'code' } },
    { new: true },
  );
  return claimed ? { bound: claimed } : { wrong: true };
}

/** The family identity of a newly bound address (kept as it is when it exists). */
export async function ensureFamilyIdentity(orgId: string, address: string, via: 'code' | 'teacher_approval', now: Date, displayName?: string): Promise<void> {
  await Identity.updateOne(
    { orgId, address },
    { $setOnInsert: { kind: 'family', verifiedVia: via, verifiedAt: now, displayName } },
    { upsert: true },
  );
}

export function childOfMember(orgId: string, member: { childId: unknown }): Promise<ChildDoc | null> {
  return Child.findOne({ orgId, _id: member.childId });
}

/** The member whose child has this name and birth date and who has this phone on the roster, with the child. */
export async function lostCardMatch(orgId: string, childName: string, birthDate: string, phone: string | undefined): Promise<{ member: FamilyMemberDoc; child: ChildDoc } | undefined> {
  if (!phone) return undefined;
  const children = await Child.find({ orgId, name: childName, birthDate, status: 'active' });
  if (!children.length) return undefined;
  const member = await FamilyMember.findOne({ orgId, childId: { $in: children.map((c) => c._id) }, phone });
  if (!member) return undefined;
  return { member, child: children.find((c) => String(c._id) === String(member.childId))! };
}

export interface NewBindRequest { address: string; displayName?: string; childId: unknown; memberId: unknown; teacherId: unknown }

/** Opens a request for the teacher to approve: its number, or `pending` when this address already waits for this member. */
export async function openBindRequest(orgId: string, r: NewBindRequest, now: Date): Promise<{ number: number } | { pending: true }> {
  if (await BindRequest.exists({ orgId, address: r.address, memberId: r.memberId, status: 'pending' })) return { pending: true };
  const number = await nextNumber(orgId, 'bindRequest', now);
  await BindRequest.create({ orgId, number, ...r, requestedAt: now });
  return { number };
}

/** The teacher's requests waiting for an answer, oldest number first, with the child's name and the member's role. */
export async function pendingBindRequests(orgId: string, teacherId: unknown): Promise<Array<{ number: number; child: string; role: string }>> {
  const pending = await BindRequest.find({ orgId, teacherId, status: 'pending' }).sort({ number: 1 }).lean();
  return Promise.all(pending.map(async (r) => {
    const [child, member] = await Promise.all([Child.findById(r.childId).lean(), FamilyMember.findById(r.memberId).lean()]);
    return { number: r.number, child: child?.name ?? '', role: member?.role ?? 'guardian' };
  }));
}

export type Decision =
  | { notYours: true }
  | { alreadyDecided: true }
  | { rejected: { address: string } }
  | { approved: { address: string; child: ChildDoc; member: FamilyMemberDoc } };

/**
 * The teacher's answer to request `number`. Of two simultaneous answers only one decides. Approving binds the
 * address to the member (and gives it a family identity).
 */
export async function decideBindRequest(orgId: string, teacherId: unknown, number: number, approve: boolean, now: Date, by: string): Promise<Decision> {
  const request = await BindRequest.findOne({ orgId, number, teacherId });
  if (!request) return { notYours: true };
  if (request.status !== 'pending' || !(await claimOnce(`bindRequest:${request._id}:decision`, now, by))) return { alreadyDecided: true };
  await BindRequest.updateOne({ _id: request._id }, { $set: { status: approve ? 'approved' : 'rejected', decidedAt: now } });
  const [child, member] = await Promise.all([
    Child.findOne({ orgId, _id: request.childId }),
    FamilyMember.findOne({ orgId, _id: request.memberId }),
  ]);
  if (!child || !member) return { notYours: true };
  if (!approve) return { rejected: { address: request.address } };
  await FamilyMember.updateOne({ _id: member._id }, { $set: { boundAddress: request.address, boundAt: now, boundVia: 'teacher_approval' } });
  await ensureFamilyIdentity(orgId, request.address, 'teacher_approval', now, request.displayName ?? undefined);
  return { approved: { address: request.address, child, member } };
}
