/**
 * Admin API for teacher cadences (五个一): `POST /api/contacts` logs a teacher's contact (the same rules as by
 * message), `GET /api/cadences?at=ISO` gives the dashboard's numbers per teacher, class and school.
 */
import crypto from 'node:crypto';
import express, { Router } from 'express';
import { Types } from 'mongoose';
import { z } from 'zod';
import type { AppContext } from '../appContext';
import { Classroom } from '../models/classroom';
import { ContactEvent } from '../models/contactEvent';
import { Pairing } from '../models/pairing';
import { School } from '../models/school';
import { Staff } from '../models/staff';
import { Child } from '../models/child';
import { cadenceBoard } from '../domain/cadenceBoard';
import { loadOrgSettings } from '../domain/settings';
import { CADENCE_KINDS, addTo, cycleSpan, emptyKindCounts, tally } from '../domain/cadences';
import { seesWholeSchool, visibleChild, visibleChildIds } from '../domain/access';
import { auditAs } from './auditTrail';
import { access, forbidden, guard, notFound } from './auth';
import { badRequest } from './errors';

const NOTE_MAX = 2000;

const contactBody = z.object({
  /** The teacher's wecom_userid; a signed-in teacher may leave it out (themselves). */
  teacher: z.string().trim().min(1).max(128).optional(),
  childId: z.string().regex(/^[0-9a-fA-F]{24}$/, 'a child id (24 hex digits)'),
  kind: z.enum(CADENCE_KINDS),
  at: z.string().datetime({ offset: true }).optional(),
  note: z.string().trim().max(NOTE_MAX).optional(),
  /** Optional idempotency key: posting the same key again changes nothing. */
  key: z.string().trim().min(1).max(200).optional(),
}).strict();

const boardQuery = z.object({ at: z.string().datetime({ offset: true }).optional() }).strict();

function problem(res: express.Response, field: string, message: string): void {
  res.status(400).json({ error: 'bad_request', message: `${field}: ${message}` });
}

export function contactRoutes(app: AppContext): Router {
  const r = Router();
  r.use(express.json({ limit: '20kb' }));

  r.post('/', guard('staff'), async (req, res) => {
    const a = access(res);
    const parsed = contactBody.safeParse(req.body);
    if (!parsed.success) return badRequest(res, parsed.error);
    const b = { ...parsed.data, teacher: parsed.data.teacher ?? (a.staffIds.length ? a.actor : undefined) };
    if (!b.teacher) return problem(res, 'teacher', 'required (the teacher\'s wecom_userid)');
    const now = app.clock.now();
    if (!a.county) {
      const visible = await visibleChild(app.orgId, a, b.childId);
      if (!visible) return notFound(res, 'childId: no such child in your scope');
      const school = (await Child.findById(visible, { schoolId: 1 }).lean())?.schoolId;
      // A teacher logs their own contacts; a school's leaders may log one for a teacher of their school.
      if (b.teacher !== a.actor && !seesWholeSchool(a, school)) return forbidden(res, 'teacher: you may log contacts only as yourself');
    }
    const at = b.at ? new Date(b.at) : now;
    if (at > now) return problem(res, 'at', 'is in the future');
    const staff = await Staff.findOne({ orgId: app.orgId, wecomUserId: b.teacher, active: true }).lean();
    if (!staff) return problem(res, 'teacher', 'no active staff member with this wecom_userid');
    // Same rule as by message: only a child currently paired with this teacher (and active).
    const pairing = await Pairing.findOne({ orgId: app.orgId, childId: new Types.ObjectId(b.childId), teacherId: staff._id, until: { $exists: false } }).lean();
    const child = pairing ? await Child.findOne({ orgId: app.orgId, _id: pairing.childId, status: 'active' }, { name: 1 }).lean() : null;
    if (!child) return problem(res, 'childId', 'not a child currently paired with this teacher');

    const key = `api:${b.key ?? crypto.randomUUID()}`;
    const write = await ContactEvent.updateOne(
      { orgId: app.orgId, key },
      { $setOnInsert: { orgId: app.orgId, key, childId: child._id, kind: b.kind, staffId: staff._id, at, ...(b.note ? { note: b.note } : {}) } },
      { upsert: true },
    );
    const event = await ContactEvent.findOne({ orgId: app.orgId, key }).lean();
    if (write.upsertedCount) await auditAs(app, res, 'contact.create', { target: String(child._id), detail: { teacher: b.teacher, kind: b.kind } });
    const { timeZone, schedule: { cadences } } = await loadOrgSettings(app.orgId, app.services.timeZone);
    const [row] = await cadenceBoard(app.orgId, now, timeZone, cadences, { childId: child._id });
    res.status(write.upsertedCount ? 201 : 200).json({
      id: String(event!._id), teacher: b.teacher, childId: String(child._id), child: child.name, kind: event!.kind,
      at: event!.at.toISOString(), note: event!.note ?? null,
      statuses: (row?.statuses ?? []).map((s) => ({ kind: s.kind, cycle: s.cycle, period: s.current.label, status: s.status })),
    });
  });
  return r;
}

export function cadenceRoutes(app: AppContext): Router {
  const r = Router();
  r.get('/', guard('staff'), async (req, res) => {
    const a = access(res);
    const parsed = boardQuery.safeParse(req.query);
    if (!parsed.success) return badRequest(res, parsed.error);
    const now = app.clock.now();
    const at = parsed.data.at ? new Date(parsed.data.at) : now;
    const { timeZone, schedule: { cadences } } = await loadOrgSettings(app.orgId, app.services.timeZone);
    const visible = await visibleChildIds(app.orgId, a);
    const board = await cadenceBoard(app.orgId, at, timeZone, cadences, visible ? { childIds: visible } : {});

    const [staff, classrooms, schools] = await Promise.all([
      Staff.find({ orgId: app.orgId }, { name: 1, wecomUserId: 1, schoolId: 1 }).lean(),
      Classroom.find({ orgId: app.orgId }, { name: 1, schoolId: 1, headTeacherId: 1 }).lean(),
      School.find({ orgId: app.orgId }, { name: 1 }).lean(),
    ]);
    const staffById = new Map(staff.map((s) => [String(s._id), s]));
    const classById = new Map(classrooms.map((c) => [String(c._id), c]));
    const schoolName = (id: unknown) => schools.find((s) => String(s._id) === String(id))?.name ?? null;
    const byName = <X extends { name: string | null }>(a: X, b: X) => (a.name ?? '').localeCompare(b.name ?? '', 'zh-CN');

    const totals = { children: board.length, kinds: emptyKindCounts() };
    for (const row of board) addTo(totals.kinds, row.statuses);

    const teachers = [...tally(board, (x) => x.teacherId)].map(([id, g]) => {
      const s = staffById.get(id);
      return { id, name: s?.name ?? null, wecomUserId: s?.wecomUserId ?? null, school: schoolName(s?.schoolId), ...g };
    }).sort(byName);
    const classes = [...tally(board, (x) => x.classroomId)].map(([id, g]) => {
      const c = classById.get(id);
      const head = c?.headTeacherId ? staffById.get(String(c.headTeacherId)) : undefined;
      return { id, name: c?.name ?? null, school: schoolName(c?.schoolId), headTeacher: head?.name ?? null, ...g };
    }).sort((a, b) => byName({ name: `${a.school}${a.name}` }, { name: `${b.school}${b.name}` }));
    const schoolRows = [...tally(board, (x) => x.schoolId)].map(([id, g]) => ({ id, name: schoolName(id), ...g })).sort(byName);

    await auditAs(app, res, 'read.cadences', { detail: { at: at.toISOString(), children: board.length } });
    res.json({
      at: at.toISOString(), timeZone,
      cadences: Object.fromEntries(CADENCE_KINDS.map((k) => {
        const span = cycleSpan(cadences[k], at, timeZone);
        return [k, { cycle: span.cycle, period: span.label, start: span.start.toISOString(), end: span.end.toISOString() }];
      })),
      totals, teachers, classes, schools: schoolRows,
    });
  });
  return r;
}
