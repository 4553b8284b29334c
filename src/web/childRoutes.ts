/**
 * GET /api/children — the children in the caller's scope, with their record's fields, pairing teacher and which
 * family members are bound. Filters: `school` and `class` (names), `q` (part of the child's name), `leftBehind`,
 * `livingWith`, `boarding`, `priority` (1/0), `unbound=1` (no parent or guardian bound), `openCase=1`, `noNote=1`
 * (paired, and no note written for this month yet), `overdue=1` (a teacher's contact (五个一) overdue); paging with
 * `offset` and `limit` (default 500, at most 5,000), the total in `X-Total-Count`. Active children only. No phone
 * numbers: a list is not the place for them.
 *
 * GET /api/children/:id — one child's record with the family members (binding, style) and the pairing teacher;
 * families' phone numbers only where the school allows it (showFamilyPhone). Outside the caller's scope: 404.
 * Every read is audited.
 *
 * PATCH /api/children/:id — change the record's fields (gender, studentNo, leftBehind, livingWith, boarding,
 * priority, status): a school's leaders, the class's head teacher, the county. PUT /api/children/:id/teacher
 * {"teacher": wecom userid} — re-pair within the load rules: a school's leaders and the county; `warnings` names a
 * party member left with fewer than two children (the schools' rule). Both audited.
 */
import express, { Response, Router } from 'express';
import { Types } from 'mongoose';
import { z } from 'zod';
import type { AppContext } from '../appContext';
import { Access, childFilter, seesWholeSchool, visibleChild } from '../domain/access';
import { cadenceBoard } from '../domain/cadenceBoard';
import { childChanges, repairChild, updateChildRecord } from '../domain/childRecord';
import { loadOrgSettings } from '../domain/settings';
import { periodOf } from '../localTime';
import { Concern, OPEN_STATUSES } from '../models/concern';
import { ContactEvent } from '../models/contactEvent';
import { ProgressNote } from '../models/progressNote';
import { prefersVoice } from '../models/familyMember';
import { Identity } from '../models/identity';
import { Child } from '../models/child';
import { Classroom } from '../models/classroom';
import { FamilyMember } from '../models/familyMember';
import { Pairing } from '../models/pairing';
import { School } from '../models/school';
import { Staff } from '../models/staff';
import { auditAs } from './auditTrail';
import { access, forbidden, guard, notFound } from './auth';
import { badRequest } from './errors';

const query = z.object({
  school: z.string().trim().min(1).max(128).optional(),
  class: z.string().trim().min(1).max(128).optional(),
  q: z.string().trim().min(1).max(64).optional(),
  leftBehind: z.enum(['both', 'father', 'mother', 'single_parent']).optional(),
  livingWith: z.enum(['grandparents', 'relatives', 'proxy', 'alone', 'father', 'mother']).optional(),
  boarding: z.enum(['0', '1']).optional(),
  priority: z.enum(['0', '1']).optional(),
  unbound: z.literal('1').optional(),
  openCase: z.literal('1').optional(),
  noNote: z.literal('1').optional(),
  overdue: z.literal('1').optional(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
}).strict();

const repairBody = z.object({ teacher: z.string().trim().min(1).max(128) }).strict();

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The child (in the caller's scope) with what the caller may change: its record, its pairing. */
async function childFor(app: AppContext, res: Response, a: Access, id: string): Promise<{ _id: Types.ObjectId; schoolId: Types.ObjectId; classroomId: Types.ObjectId } | undefined> {
  const visible = await visibleChild(app.orgId, a, id);
  if (!visible) {
    notFound(res, 'No such child in your scope.');
    return undefined;
  }
  return (await Child.findById(visible, { schoolId: 1, classroomId: 1 }).lean()) ?? undefined;
}

export function childRoutes(app: AppContext): Router {
  const r = Router();
  r.use(express.json({ limit: '10kb' }));

  r.get('/', guard('staff'), async (req, res) => {
    const parsed = query.safeParse(req.query);
    if (!parsed.success) return badRequest(res, parsed.error);
    const f = parsed.data;
    const orgId = app.orgId;
    const [schools, classes] = await Promise.all([
      School.find({ orgId }, { name: 1 }).lean(),
      Classroom.find({ orgId }, { name: 1, schoolId: 1 }).lean(),
    ]);
    const and: Array<Record<string, unknown>> = [await childFilter(orgId, access(res)), { status: 'active' }];
    if (f.school) and.push({ schoolId: { $in: schools.filter((s) => s.name === f.school).map((s) => s._id) } });
    if (f.class) and.push({ classroomId: { $in: classes.filter((c) => c.name === f.class).map((c) => c._id) } });
    if (f.q) and.push({ name: { $regex: escapeRegex(f.q) } });
    if (f.leftBehind) and.push({ leftBehind: f.leftBehind });
    if (f.livingWith) and.push({ livingWith: f.livingWith });
    if (f.boarding) and.push(f.boarding === '1' ? { boarding: true } : { boarding: { $ne: true } });
    if (f.priority) and.push(f.priority === '1' ? { priority: true } : { priority: { $ne: true } });
    // Both read once from their collection: the ids of children with a bound member, or with an open case.
    if (f.unbound) and.push({ _id: { $nin: await FamilyMember.distinct('childId', { orgId, boundAddress: { $exists: true, $ne: null } }) } });
    if (f.openCase) and.push({ _id: { $in: await Concern.distinct('childId', { orgId, status: { $in: OPEN_STATUSES } }) } });
    if (f.noNote || f.overdue) {
      const now = app.clock.now();
      const { timeZone, schedule } = await loadOrgSettings(orgId, app.services.timeZone);
      const board = await cadenceBoard(orgId, now, timeZone, schedule.cadences);
      if (f.noNote) {
        const written = new Set((await ProgressNote.distinct('childId', { orgId, period: periodOf(now, timeZone), status: { $in: ['submitted', 'sent'] } })).map(String));
        and.push({ _id: { $in: board.filter((b) => !written.has(b.childId)).map((b) => new Types.ObjectId(b.childId)) } });
      }
      if (f.overdue) and.push({ _id: { $in: board.filter((b) => b.statuses.some((s) => s.status === 'overdue')).map((b) => new Types.ObjectId(b.childId)) } });
    }
    const filter = { $and: and };
    const [total, children] = await Promise.all([
      Child.countDocuments(filter),
      Child.find(filter).sort({ schoolId: 1, classroomId: 1, name: 1, _id: 1 }).skip(f.offset).limit(f.limit).lean(),
    ]);
    const ids = children.map((c) => c._id);
    const [pairings, members] = await Promise.all([
      Pairing.find({ orgId, childId: { $in: ids }, until: { $exists: false } }, { childId: 1, teacherId: 1 }).lean(),
      FamilyMember.find({ orgId, childId: { $in: ids } }, { childId: 1, role: 1, boundAddress: 1 }).lean(),
    ]);
    const teachers = await Staff.find({ orgId, _id: { $in: pairings.map((p) => p.teacherId) } }, { name: 1 }).lean();
    const nameOf = (xs: Array<{ _id: unknown; name: string }>) => new Map(xs.map((x) => [String(x._id), x.name]));
    const [schoolName, className, teacherName] = [nameOf(schools), nameOf(classes), nameOf(teachers)];
    const teacherOf = new Map(pairings.map((p) => [String(p.childId), String(p.teacherId)]));
    const bound = new Map<string, { father: boolean; mother: boolean; guardian: boolean }>();
    for (const m of members) {
      const b = bound.get(String(m.childId)) ?? { father: false, mother: false, guardian: false };
      if (m.boundAddress && (m.role === 'father' || m.role === 'mother' || m.role === 'guardian')) b[m.role] = true;
      bound.set(String(m.childId), b);
    }
    const rows = children.map((c) => ({
      childId: String(c._id), child: c.name, school: schoolName.get(String(c.schoolId)) ?? null, class: className.get(String(c.classroomId)) ?? null,
      gender: c.gender ?? null, birthDate: c.birthDate, leftBehind: c.leftBehind ?? null, livingWith: c.livingWith ?? null,
      boarding: !!c.boarding, priority: !!c.priority,
      teacher: teacherName.get(teacherOf.get(String(c._id)) ?? '') ?? null,
      bound: bound.get(String(c._id)) ?? { father: false, mother: false, guardian: false },
    }));
    await auditAs(app, res, 'read.children', { detail: { ...f, count: rows.length, total } });
    res.set('X-Total-Count', String(total)).json(rows);
  });

  r.get('/:id', guard('staff'), async (req, res) => {
    const orgId = app.orgId;
    const id = await visibleChild(orgId, access(res), String(req.params.id));
    if (!id) return notFound(res, 'No such child in your scope.');
    const child = (await Child.findById(id).lean())!;
    const [school, classroom, pairing, members] = await Promise.all([
      School.findById(child.schoolId, { name: 1, showFamilyPhone: 1 }).lean(),
      Classroom.findById(child.classroomId, { name: 1 }).lean(),
      Pairing.findOne({ orgId, childId: id, until: { $exists: false } }).sort({ from: -1 }).lean(),
      FamilyMember.find({ orgId, childId: id }).lean(),
    ]);
    const [teacher, identities] = await Promise.all([
      pairing ? Staff.findById(pairing.teacherId, { name: 1, wecomUserId: 1 }).lean() : null,
      Identity.find({ orgId, address: { $in: members.flatMap((m) => (m.boundAddress ? [m.boundAddress] : [])) } }, { address: 1, style: 1 }).lean(),
    ]);
    const styleOf = new Map(identities.map((i) => [i.address, i.style]));
    // The child's care over time: notes, logged contacts (calls, letters, the teachers' 五个一), cases.
    const [notes, contacts, cases] = await Promise.all([
      ProgressNote.find({ orgId, childId: id, status: { $ne: 'draft' } }).sort({ period: -1 }).limit(24).lean(),
      ContactEvent.find({ orgId, childId: id }).sort({ at: -1 }).limit(200).lean(),
      Concern.find({ orgId, childId: id }).sort({ number: -1 }).limit(100).lean(),
    ]);
    const staffIds = [...new Set([...notes.map((n) => String(n.teacherId)), ...contacts.flatMap((c) => (c.staffId ? [String(c.staffId)] : []))])];
    const staffName = new Map((await Staff.find({ orgId, _id: { $in: staffIds } }, { name: 1 }).lean()).map((s) => [String(s._id), s.name]));
    const phones = !!school?.showFamilyPhone;
    await auditAs(app, res, 'read.child', { target: String(id), schoolIds: [child.schoolId] });
    res.json({
      childId: String(id), child: child.name, school: school?.name ?? null, class: classroom?.name ?? null,
      gender: child.gender ?? null, birthDate: child.birthDate, studentNo: child.studentNo ?? null,
      leftBehind: child.leftBehind ?? null, livingWith: child.livingWith ?? null, boarding: !!child.boarding, priority: !!child.priority,
      status: child.status, familyCall: child.familyCall?.time ? { weekday: child.familyCall.weekday, time: child.familyCall.time } : null,
      teacher: teacher ? { name: teacher.name, wecomUserId: teacher.wecomUserId, since: pairing!.from } : null,
      family: members.map((m) => ({
        role: m.role, name: m.name, relation: m.relation ?? null, age: m.age ?? null, literacy: m.literacy ?? null, workCity: m.workCity ?? null,
        bound: !!m.boundAddress, boundAt: m.boundAt ?? null, boundVia: m.boundVia ?? null,
        style: (m.boundAddress && styleOf.get(m.boundAddress)) || (prefersVoice(m) ? 'voice' : 'text'),
        ...(phones ? { phone: m.phone ?? null } : {}),
      })),
      notes: notes.map((n) => ({
        period: n.period, status: n.status, teacher: staffName.get(String(n.teacherId)) ?? null, submittedAt: n.submittedAt ?? null, sentAt: n.sentAt ?? null,
        study: n.study ?? null, life: n.life ?? null, mood: n.mood ?? null, health: n.health ?? null, text: n.text ?? null, replies: (n.replies ?? []).length,
      })),
      contacts: contacts.map((c) => ({
        kind: c.kind, at: c.at, teacher: c.staffId ? staffName.get(String(c.staffId)) ?? null : null, note: c.note ?? null, outcome: c.outcome ?? null,
      })),
      cases: cases.map((c) => ({ number: c.number, category: c.category, urgency: c.urgency, status: c.status, openedAt: c.openedAt, resolvedAt: c.resolvedAt ?? null })),
      history: (child.history ?? []).slice(-50).map((h) => ({ at: h.at, source: h.source, changed: h.changed })),
    });
  });

  r.patch('/:id', guard('staff'), async (req, res) => {
    const a = access(res);
    const child = await childFor(app, res, a, String(req.params.id));
    if (!child) return;
    if (!seesWholeSchool(a, child.schoolId) && !a.classes.includes(String(child.classroomId))) {
      return forbidden(res, "A child's record is changed by the class's head teacher or the school's leaders.");
    }
    const parsed = childChanges.safeParse(req.body);
    if (!parsed.success) return badRequest(res, parsed.error);
    const changed = await updateChildRecord(app.orgId, child._id, parsed.data, app.clock.now(), a.actor);
    if (changed.length) await auditAs(app, res, 'child.update', { target: String(child._id), detail: { changed, to: parsed.data }, schoolIds: [child.schoolId] });
    res.json({ changed });
  });

  r.put('/:id/teacher', guard('staff'), async (req, res) => {
    const a = access(res);
    const child = await childFor(app, res, a, String(req.params.id));
    if (!child) return;
    if (!seesWholeSchool(a, child.schoolId)) return forbidden(res, "A child's pairing teacher is changed by the school's leaders.");
    const parsed = repairBody.safeParse(req.body);
    if (!parsed.success) return badRequest(res, parsed.error);
    const result = await repairChild(app.orgId, child._id, parsed.data.teacher, app.clock.now());
    if (!result.ok) {
      const why = { no_teacher: 'no active staff member with this wecom userid', other_school: "not a staff member of the child's school", full: `already pairs ${result.max} children (最多帮扶人数)` }[result.reason];
      return void res.status(409).json({ error: result.reason, message: `teacher: ${why}` });
    }
    if (!result.unchanged) await auditAs(app, res, 'child.repair', { target: String(child._id), detail: { teacher: result.teacher.wecomUserId }, schoolIds: [child.schoolId] });
    res.json({ teacher: result.teacher, unchanged: result.unchanged, warnings: result.warnings });
  });
  return r;
}
