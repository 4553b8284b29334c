/** Admin API for a school's settings: whether families see the teacher's phone, the teachers' room, the default call slot. */
import express, { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../appContext';
import { defaultTeacherRoom, School } from '../models/school';
import { leadsSchool, seesSchool } from '../domain/access';
import { auditAs } from './auditTrail';
import { access, forbidden, guard, notFound } from './auth';
import { badRequest } from './errors';

const settings = z.object({
  showTeacherPhone: z.boolean().optional(),
  /** Staff see families' phone numbers on a child's page (GET /api/children/:id); never in lists. */
  showFamilyPhone: z.boolean().optional(),
  teacherRoom: z.string().trim().min(1).max(128).optional(),
  /** Weekly family call default: weekday 0 (Sunday) – 6, time HH:MM; null clears it. */
  familyCall: z.object({ weekday: z.number().int().min(0).max(6), time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/) }).nullable().optional(),
}).strict();

type SchoolLean = { _id: unknown; name: string; showTeacherPhone?: boolean | null; showFamilyPhone?: boolean | null; teacherRoom?: string | null; familyCall?: { weekday?: number | null; time?: string | null } | null };

function view(s: SchoolLean) {
  return {
    id: String(s._id), name: s.name, showTeacherPhone: s.showTeacherPhone ?? false, showFamilyPhone: s.showFamilyPhone ?? false, teacherRoom: s.teacherRoom ?? defaultTeacherRoom(s._id),
    familyCall: s.familyCall?.time ? { weekday: s.familyCall.weekday, time: s.familyCall.time } : null,
  };
}

export function schoolRoutes(app: AppContext): Router {
  const r = Router();
  r.use(express.json({ limit: '20kb' }));

  r.get('/', guard('staff'), async (_req, res) => {
    const a = access(res);
    res.json((await School.find({ orgId: app.orgId }).sort({ name: 1 }).lean()).filter((s) => seesSchool(a, s._id)).map(view));
  });

  r.patch('/:name', guard('principal'), async (req, res) => {
    const a = access(res);
    const parsed = settings.safeParse(req.body);
    if (!parsed.success) return badRequest(res, parsed.error);
    const found = await School.findOne({ orgId: app.orgId, name: req.params.name }, { _id: 1 }).lean();
    if (found && !seesSchool(a, found._id)) return notFound(res, `No school named "${req.params.name}" in your scope.`);
    if (found && !leadsSchool(a, found._id)) return forbidden(res, "Only the school's principal or the county changes its settings.");
    const { familyCall, ...rest } = parsed.data;
    const update = familyCall === null ? { $set: rest, $unset: { familyCall: 1 } } : { $set: { ...rest, ...(familyCall ? { familyCall } : {}) } };
    const school = await School.findOneAndUpdate({ orgId: app.orgId, name: req.params.name }, update, { new: true }).lean();
    if (!school) {
      res.status(404).json({ error: 'not_found', message: `No school named "${req.params.name}"; import its staff or roster first.` });
      return;
    }
    await auditAs(app, res, 'school.settings', { target: String(school._id), detail: parsed.data, schoolIds: [school._id] });
    res.json(view(school));
  });
  return r;
}
