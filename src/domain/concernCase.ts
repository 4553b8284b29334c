/**
 * Everything around one concern that both the handlers and the ladder job need: who is who for the case
 * (teacher, head teacher, leadership, the family's bound members) and the notices of the emergency rule.
 */
import type { Audience } from '../bot/notify';
import { notify } from '../bot/notify';
import type { T } from '../locales';
import { Child, ChildDoc } from '../models/child';
import { Classroom } from '../models/classroom';
import { Concern, ConcernDoc, urgentNoticeDeadline } from '../models/concern';
import { FamilyMember, FamilyMemberDoc } from '../models/familyMember';
import { findMessages, messagesByKeys } from '../bot/outboxHistory';
import { defaultTeacherRoom, School } from '../models/school';
import { maskPhones } from '../log';
import { holdsPostIn, Staff, StaffDoc } from '../models/staff';

/** Who leads a school in a case: its principal and moral-education director(s). */
const LEADER_ROLES = ['principal', 'moral_director'];

export interface CaseView {
  concern: ConcernDoc;
  child: ChildDoc;
  schoolName: string;
  className: string;
  room: string;
  teacher?: StaffDoc;
  headTeacher?: StaffDoc;
  /** Principal and moral-education director(s) of the school, and the county's staff (教育局). */
  leaders: StaffDoc[];
  family: FamilyMemberDoc[];
}

export async function loadCase(orgId: string, concern: ConcernDoc): Promise<CaseView | undefined> {
  const child = await Child.findOne({ orgId, _id: concern.childId });
  if (!child) return undefined;
  const [school, classroom, teacher, leaders, family] = await Promise.all([
    School.findOne({ orgId, _id: child.schoolId }).lean(),
    Classroom.findOne({ orgId, _id: child.classroomId }).lean(),
    concern.teacherId ? Staff.findOne({ orgId, _id: concern.teacherId }) : null,
    // Their post there may be their main one or a further one (a person in two schools); the query's second branch
    // may match a role held in another school, which holdsPostIn then leaves out.
    Staff.find({ orgId, active: true, $or: [
      { schoolId: child.schoolId, role: { $in: LEADER_ROLES } },
      { 'posts.schoolId': child.schoolId, 'posts.role': { $in: LEADER_ROLES } },
    ] }).then((xs) => xs.filter((x) => holdsPostIn(x, child.schoolId, LEADER_ROLES)))
      // The rule: "the school leadership / education authority within 2 hours" — county staff (教育局) too.
      .then(async (xs) => [...xs, ...await Staff.find({ orgId, active: true, role: 'county' })]),
    FamilyMember.find({ orgId, childId: child._id }),
  ]);
  const headTeacher = classroom?.headTeacherId ? await Staff.findOne({ orgId, _id: classroom.headTeacherId, active: true }) : null;
  return {
    concern, child, schoolName: school?.name ?? '', className: classroom?.name ?? '', room: school?.teacherRoom ?? defaultTeacherRoom(child.schoolId),
    teacher: teacher ?? undefined, headTeacher: headTeacher ?? undefined, leaders, family,
  };
}

/** "祖母" says more than "监护人" when the roster has it; staff-reported incidents name the reporter. */
function raiserLabel(view: CaseView, t: T): string {
  const c = view.concern;
  if (c.raisedByRole === 'staff') return t('concern.roleSchool');
  const member = view.family.find((m) => m.boundAddress === c.raisedBy && String(m.childId) === String(view.child._id));
  if (member?.role === 'guardian' && member.relation) return member.relation;
  return t(`role.${c.raisedByRole}`);
}

/** How a family member is named to staff: the roster's relation for a guardian (祖母), else father/mother. */
export function memberLabel(view: CaseView, address: string, t: T): string {
  const m = view.family.find((f) => f.boundAddress === address);
  if (!m) return t('concern.roleSchool');
  return m.role === 'guardian' && m.relation ? m.relation : t(`role.${m.role}`);
}

/**
 * The case's words for a message. In a group (room) phone numbers are masked: a family may write their number
 * for the teacher, but a group is not the teacher (DESIGN §6: phones masked in messages to anyone but their owner).
 */
export function caseParams(view: CaseView, t: T, extra: Record<string, string | number> = {}, opts: { room?: boolean } = {}) {
  const c = view.concern;
  const p: Record<string, string | number> = {
    number: c.number, child: view.child.name, className: view.className, school: view.schoolName,
    role: raiserLabel(view, t), category: t(`concern.category.${c.category}`), status: t(`concern.status.${c.status}`),
    teacher: view.teacher?.name ?? t('concern.noTeacher'), text: messageText(c.messages[0] ?? {}, t), ...extra,
  };
  if (opts.room && typeof p.text === 'string') p.text = maskPhones(p.text);
  return p;
}
const params = caseParams;

/** A family's message as the teacher reads it: a recording's text is what recognition heard, and says so. */
export function messageText(m: { text?: string | null; voiceMediaId?: string | null }, t: T): string {
  if (!m.text) return t('concern.voiceOnly');
  return m.voiceMediaId ? t('concern.heard', { text: m.text }) : m.text;
}

export async function pushCase(aud: Audience, now: Date, view: CaseView, to: string, key: string, msgKey: string, opts: { urgent?: boolean; extra?: Record<string, string | number>; voice?: boolean } = {}): Promise<boolean> {
  return notify(aud, now, {
    to, key, kind: 'concern', urgent: opts.urgent,
    voiceMediaId: opts.voice ? view.concern.messages[0]?.voiceMediaId ?? undefined : undefined,
    render: (t) => t(msgKey, params(view, t, opts.extra)),
  });
}

/** A new case: posted to the school's teachers' group mentioning the pairing teacher, and to the teacher 1:1. */
export async function announceCase(aud: Audience, now: Date, view: CaseView): Promise<void> {
  const c = view.concern;
  const urgent = c.urgency === 'urgent';
  const label = (t: T) => t(urgent ? 'concern.urgentLabel' : 'concern.normalLabel');
  const mention = view.teacher?.wecomUserId;
  await notify(aud, now, {
    to: view.room, room: view.room, key: `concern:${c.number}:room`, kind: 'concern', urgent, style: 'text',
    mentions: mention ? [mention] : undefined, voiceMediaId: c.messages[0]?.voiceMediaId ?? undefined,
    render: (t) => t('concern.toRoom', { ...params(view, t, {}, { room: true }), mention: view.teacher ? `@${view.teacher.name} ` : '', label: label(t) }),
  });
  if (view.teacher) {
    await notify(aud, now, {
      to: view.teacher.wecomUserId, key: `concern:${c.number}:teacher`, kind: 'concern', urgent,
      voiceMediaId: c.messages[0]?.voiceMediaId ?? undefined,
      render: (t) => t('concern.toTeacher', { ...params(view, t), label: label(t) }),
    });
  }
}

export async function recordStep(concernId: unknown, step: string, at: Date, to: string[]): Promise<void> {
  await Concern.updateOne({ _id: concernId }, { $push: { ladder: { step, at, to } } });
}

export interface RequiredNotice { role: string; name?: string; to?: string; key?: string; deadline: Date; unreachable?: boolean }

/**
 * The family side that did not raise an urgent case, or everyone in an incident, told at once (the rule's 30 min
 * for the guardian, 1 h for the parents). Returns what the rule required, for the case record.
 */
export async function tellFamily(aud: Audience, now: Date, view: CaseView, roles: Array<'father' | 'mother' | 'guardian'>, msgKey: string): Promise<RequiredNotice[]> {
  const out: RequiredNotice[] = [];
  for (const role of roles) {
    const deadline = urgentNoticeDeadline(view.concern.openedAt, role);
    const m = view.family.find((f) => f.role === role);
    if (!m) continue;
    if (!m.boundAddress) {
      out.push({ role, name: m.name, deadline, unreachable: true });
      continue;
    }
    if (m.boundAddress === view.concern.raisedBy) continue;
    const key = `concern:${view.concern.number}:family:${role}`;
    await pushCase(aud, now, view, m.boundAddress, key, msgKey, { urgent: true });
    out.push({ role, name: m.name, to: m.boundAddress, key, deadline });
  }
  return out;
}

/** Principal, moral-education director and county staff get a summary (the rule: within 2 hours). */
export async function tellLeadership(aud: Audience, now: Date, view: CaseView, msgKey: string): Promise<{ required: RequiredNotice[]; fresh: RequiredNotice[] }> {
  const deadline = urgentNoticeDeadline(view.concern.openedAt, 'leadership');
  const required: RequiredNotice[] = [];
  const fresh: RequiredNotice[] = [];
  for (const leader of view.leaders) {
    const key = `concern:${view.concern.number}:leader:${leader.wecomUserId}`;
    const notice = { role: leader.role ?? 'principal', name: leader.name, to: leader.wecomUserId, key, deadline };
    required.push(notice);
    // Only the run whose outbox insert was new records it: overlapping runs never log a notice twice.
    if (await pushCase(aud, now, view, leader.wecomUserId, key, msgKey, { urgent: true })) fresh.push(notice);
  }
  return { required, fresh };
}

/**
 * Family members the bot cannot reach (not bound) in an urgent case: the teacher (or, with no teacher, the
 * school's group) is told at once to phone them — waiting for the rule's deadline would be too late to keep it.
 * One key per case, so the ladder's catch-up never sends it twice. Returns the address told, if newly.
 */
export async function tellUnreachable(aud: Audience, now: Date, view: CaseView, notices: Array<{ name?: string | null; unreachable?: boolean | null }>): Promise<string | undefined> {
  const names = notices.filter((n) => n.unreachable).map((n) => n.name ?? '');
  if (!names.length) return undefined;
  const to = view.teacher?.wecomUserId ?? view.room;
  const inRoom = !view.teacher;
  const fresh = await notify(aud, now, {
    to, key: `concern:${view.concern.number}:unreachable`, kind: 'concern', urgent: true,
    ...(inRoom ? { room: view.room, style: 'text' as const } : {}),
    render: (t) => t('concern.unreachableToTeacher', { ...params(view, t, {}, { room: inRoom }), names: names.join(t('concern.listSeparator')) }),
  });
  return fresh ? to : undefined;
}

/**
 * Who on the family side hears the school's answers and the close: whoever raised it, and the family members the
 * rule told (an urgent case's other side, an incident's whole family) — they were promised news.
 */
export function familyRecipients(concern: ConcernDoc): string[] {
  const to = new Set<string>();
  if (concern.raisedByRole !== 'staff') to.add(concern.raisedBy);
  for (const n of concern.requiredNotices) {
    if (n.to && (n.role === 'father' || n.role === 'mother' || n.role === 'guardian')) to.add(n.to);
  }
  return [...to];
}

export interface Delivery { status: string; sentAt?: Date; attempts: number }

/**
 * How the rule's notices went out, by key. A notice to someone in voice style may have been split into pieces
 * (`KEY:0`, `KEY:1`, …; see notify): it counts as delivered when every piece is, at the last piece's time.
 */
export async function deliveries(orgId: string, keys: string[]): Promise<Map<string, Delivery>> {
  const out = new Map<string, Delivery>();
  if (!keys.length) return out;
  for (const o of await messagesByKeys(orgId, keys)) {
    out.set(o.key, { status: o.status, sentAt: o.sentAt ?? undefined, attempts: o.attempts });
  }
  const split = keys.filter((k) => !out.has(k));
  if (!split.length) return out;
  const firsts = await messagesByKeys(orgId, split.map((k) => `${k}:0`));
  for (const first of firsts) {
    const base = first.key.slice(0, -':0'.length);
    const pieces = await findMessages({ orgId, key: { $regex: `^${escapeRegExp(base)}:\\d+$` } });
    const sent = pieces.every((p) => p.status === 'sent');
    out.set(base, {
      status: sent ? 'sent' : pieces.some((p) => p.status === 'failed') ? 'failed' : 'pending',
      sentAt: sent ? new Date(Math.max(...pieces.map((p) => p.sentAt!.getTime()))) : undefined,
      attempts: Math.max(...pieces.map((p) => p.attempts)),
    });
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
