/**
 * Staff sign-in without passwords: a one-time link asked for in chat (or WeCom's own OAuth) opens a browser
 * session. Links: 10 minutes, single use, at most 5 per staff member per hour. Sessions: 12 hours idle.
 */
import crypto from 'node:crypto';
import { claimOnce } from '../models/claim';
import { LoginCode, StaffSession } from '../models/staffSession';
import { Staff } from '../models/staff';

const MINUTE = 60_000;
const LOGIN_LINK_MINUTES = 10;
export const LOGIN_LINKS_PER_HOUR = 5;
export const SESSION_IDLE_HOURS = 12;
/** A session's last-seen time is written at most this often: one write per busy minute, not per request. */
const TOUCH_EVERY_MS = MINUTE;

const hash = (secret: string) => crypto.createHash('sha256').update(secret).digest('hex');
const secret = () => crypto.randomBytes(24).toString('base64url');

export type LinkIssue = { code: string; expiresAt: Date } | { limited: true; retryAt: Date };

/** A new one-time code for an active staff member, unless they asked for 5 within the last hour. */
export async function issueLoginCode(orgId: string, wecomUserId: string, now: Date): Promise<LinkIssue> {
  const hourAgo = new Date(now.getTime() - 60 * MINUTE);
  const recent = await LoginCode.find({ orgId, wecomUserId, createdAt: { $gt: hourAgo } }, { createdAt: 1 }).sort({ createdAt: 1 }).lean();
  if (recent.length >= LOGIN_LINKS_PER_HOUR) {
    return { limited: true, retryAt: new Date(recent[recent.length - LOGIN_LINKS_PER_HOUR].createdAt.getTime() + 60 * MINUTE) };
  }
  const code = secret();
  const expiresAt = new Date(now.getTime() + LOGIN_LINK_MINUTES * MINUTE);
  await LoginCode.create({ _id: hash(code), orgId, wecomUserId, createdAt: now, expiresAt });
  return { code, expiresAt };
}

export function loginUrl(publicUrl: string, code: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/admin/login?code=${encodeURIComponent(code)}`;
}

export type Redeemed = { wecomUserId: string } | { refused: 'unknown' | 'used' | 'expired' | 'inactive' };

/** Spends a code: exactly one caller ever gets its staff member (the claim is a unique insert). */
export async function redeemLoginCode(orgId: string, code: string, now: Date): Promise<Redeemed> {
  const id = hash(code);
  const doc = await LoginCode.findOne({ _id: id, orgId }).lean();
  if (!doc) return { refused: 'unknown' };
  if (doc.expiresAt <= now) return { refused: 'expired' };
  if (!(await claimOnce(`login:${id}`, now))) return { refused: 'used' };
  // Someone removed from the staff list since asking for the link is not let in.
  if (!(await Staff.exists({ orgId, wecomUserId: doc.wecomUserId, active: true }))) return { refused: 'inactive' };
  return { wecomUserId: doc.wecomUserId };
}

const REGEXP_SPECIALS = /[.*+?^${}()|[\]\\/-]/g;

/**
 * The staff list's spelling of the userid WeCom vouched for (sign-in with WeCom), if that person is active staff here.
 * WeCom userids are case-insensitive, as the staff import treats them: an exact match first, else the one record that
 * matches ignoring case (none when two do). Undefined for anyone else.
 */
export async function activeStaffUserId(orgId: string, wecomUserId: string): Promise<string | undefined> {
  if (!wecomUserId || wecomUserId.length > 64) return undefined;
  const exact = await Staff.findOne({ orgId, wecomUserId, active: true }, { wecomUserId: 1 }).lean();
  if (exact) return exact.wecomUserId;
  const anyCase = new RegExp(`^${wecomUserId.replace(REGEXP_SPECIALS, '\\$&')}$`, 'i');
  const found = await Staff.find({ orgId, wecomUserId: anyCase, active: true }, { wecomUserId: 1 }).limit(2).lean();
  return found.length === 1 ? found[0].wecomUserId : undefined;
}

export interface OpenedSession { token: string; csrf: string }

export async function openSession(orgId: string, wecomUserId: string, via: 'chat' | 'wecom', now: Date): Promise<OpenedSession> {
  const token = secret();
  const csrf = secret();
  await StaffSession.create({ _id: hash(token), orgId, wecomUserId, csrf, via, createdAt: now, lastSeenAt: now });
  return { token, csrf };
}

export interface LiveSession { wecomUserId: string; csrf: string; via: string }

/** The session behind a cookie's token, if it was used within the last 12 hours; each use extends it. */
export async function sessionOf(orgId: string, token: string, now: Date): Promise<LiveSession | undefined> {
  const id = hash(token);
  const s = await StaffSession.findOne({ _id: id, orgId }).lean();
  if (!s) return undefined;
  if (now.getTime() - s.lastSeenAt.getTime() > SESSION_IDLE_HOURS * 60 * MINUTE) {
    await StaffSession.deleteOne({ _id: id });
    return undefined;
  }
  if (now.getTime() - s.lastSeenAt.getTime() >= TOUCH_EVERY_MS) await StaffSession.updateOne({ _id: id }, { $set: { lastSeenAt: now } });
  return { wecomUserId: s.wecomUserId, csrf: s.csrf, via: s.via };
}

export async function closeSession(orgId: string, token: string): Promise<void> {
  await StaffSession.deleteOne({ _id: hash(token), orgId });
}

/** What no link or session can use any more; the scheduler's daily housekeeping calls it. */
export async function pruneSignIns(now: Date): Promise<void> {
  await LoginCode.deleteMany({ expiresAt: { $lt: new Date(now.getTime() - 60 * MINUTE) } });
  await StaffSession.deleteMany({ lastSeenAt: { $lt: new Date(now.getTime() - SESSION_IDLE_HOURS * 60 * MINUTE) } });
}
