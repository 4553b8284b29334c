/** Admin API for cases: open ones (or all) with their deadlines, ladder history and the rule's notices with delivery times. */
import { Router } from 'express';
import type { AppContext } from '../appContext';
import { Child } from '../models/child';
import { Classroom } from '../models/classroom';
import { Concern, OPEN_STATUSES, urgentNoticeDeadline } from '../models/concern';
import { FamilyMember } from '../models/familyMember';
import { deliveries } from '../domain/concernCase';
import { School } from '../models/school';
import { Staff } from '../models/staff';
import { loadOrgSettings } from '../domain/settings';
import { visibleChildIds } from '../domain/access';
import { auditAs } from './auditTrail';
import { access, guard } from './auth';

const MINUTE = 60_000;

export function concernRoutes(app: AppContext): Router {
  const r = Router();

  r.get('/', guard('staff'), async (req, res) => {
    const all = req.query.status === 'all';
    const visible = await visibleChildIds(app.orgId, access(res));
    const cases = await Concern.find({
      orgId: app.orgId, ...(all ? {} : { status: { $in: OPEN_STATUSES } }), ...(visible ? { childId: { $in: visible } } : {}),
    }).sort({ number: -1 }).limit(500).lean();
    const s = (await loadOrgSettings(app.orgId, app.services.timeZone)).schedule.concerns;
    const childIds = [...new Set(cases.map((c) => String(c.childId)))];
    const [children, schools, classes, staff, family] = await Promise.all([
      Child.find({ orgId: app.orgId, _id: { $in: childIds } }).lean(),
      School.find({ orgId: app.orgId }).lean(),
      Classroom.find({ orgId: app.orgId }).lean(),
      // All staff of the org: the ladder names head teachers and leaders too, not only the pairing teachers.
      Staff.find({ orgId: app.orgId }).lean(),
      FamilyMember.find({ orgId: app.orgId, childId: { $in: childIds } }).lean(),
    ]);
    // Who a ladder step reached, by name: a family member's channel address is no business of the dashboard.
    const nameOf = new Map<string, string>([
      ...staff.map((x) => [x.wecomUserId, x.name] as [string, string]),
      ...family.flatMap((m) => (m.boundAddress ? [[m.boundAddress, m.name ?? m.role] as [string, string]] : [])),
    ]);
    const keys = cases.flatMap((c) => c.requiredNotices.flatMap((n) => (n.key ? [n.key] : [])));
    // Voice-style notices may have gone out in pieces; deliveries() folds them into one.
    const sent = await deliveries(app.orgId, keys);
    const byId = <T extends { _id: unknown }>(xs: T[]) => new Map(xs.map((x) => [String(x._id), x]));
    const [childBy, schoolBy, classBy, staffBy] = [byId(children), byId(schools), byId(classes), byId(staff)];

    const out = cases.map((c) => {
      const child = childBy.get(String(c.childId));
      const opened = c.openedAt.getTime();
      const ack = c.urgency === 'urgent' ? opened + s.urgentAckMinutes * MINUTE : opened + s.remindTeacherHours * 60 * MINUTE;
      return {
        number: c.number,
        child: child?.name,
        school: child ? schoolBy.get(String(child.schoolId))?.name : undefined,
        class: child ? classBy.get(String(child.classroomId))?.name : undefined,
        teacher: c.teacherId ? staffBy.get(String(c.teacherId))?.name : undefined,
        category: c.category, urgency: c.urgency, incident: c.incident, status: c.status,
        raisedByRole: c.raisedByRole,
        openedAt: c.openedAt, acknowledgedAt: c.acknowledgedAt, resolvedAt: c.resolvedAt, resolution: c.resolution,
        deadlines: {
          acknowledge: new Date(ack),
          ...(c.urgency === 'normal' ? { headTeacher: new Date(opened + s.headTeacherHours * 60 * MINUTE) } : { leadership: urgentNoticeDeadline(new Date(opened), 'leadership') }),
        },
        notices: c.requiredNotices.map((n) => {
          const o = n.key ? sent.get(n.key) : undefined;
          return {
            role: n.role, name: n.name, deadline: n.deadline, unreachable: !!n.unreachable,
            status: o?.status ?? (n.unreachable ? 'unreachable' : 'missing'), sentAt: o?.sentAt, attempts: o?.attempts,
            inTime: !!(o?.sentAt && o.sentAt <= n.deadline),
          };
        }),
        ladder: c.ladder.map((l) => ({ step: l.step, at: l.at, to: l.to.map((a) => nameOf.get(a) ?? a) })),
        // The words, as the family said them; the address of who said them stays out.
        messages: c.messages.map((m) => ({ at: m.at, direction: m.direction, text: m.text, voice: !!m.voiceMediaId })),
      };
    });
    await auditAs(app, res, 'read.concerns', { detail: { count: out.length, all }, schoolIds: children.map((c) => c.schoolId) });
    res.json(out);
  });
  return r;
}
