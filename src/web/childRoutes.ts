/**
 * GET /api/children — the children in the caller's scope, with their record's fields, pairing teacher and which
 * family members are bound. Filters: `school` and `class` (names), `q` (part of the child's name); paging with
 * `offset` and `limit` (default 500, at most 5,000), the total in `X-Total-Count`. Active children only. No phone
 * numbers: a list is not the place for them.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../appContext';
import { childFilter } from '../domain/access';
import { Child } from '../models/child';
import { Classroom } from '../models/classroom';
import { FamilyMember } from '../models/familyMember';
import { Pairing } from '../models/pairing';
import { School } from '../models/school';
import { Staff } from '../models/staff';
import { auditAs } from './auditTrail';
import { access, guard } from './auth';
import { badRequest } from './errors';

const query = z.object({
  school: z.string().trim().min(1).max(128).optional(),
  class: z.string().trim().min(1).max(128).optional(),
  q: z.string().trim().min(1).max(64).optional(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
}).strict();

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function childRoutes(app: AppContext): Router {
  const r = Router();

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
  return r;
}
