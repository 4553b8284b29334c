/**
 * Admin API for progress notes: post a note for a teacher (the same rules as by message) and list a month's
 * notes with their status. Every read is in the audit log: notes are part of the child's record.
 */
import express, { Response, Router } from 'express';
import { Types } from 'mongoose';
import { z } from 'zod';
import type { AppContext } from '../appContext';
import { Child } from '../models/child';
import { Classroom } from '../models/classroom';
import { ProgressNote } from '../models/progressNote';
import { Staff } from '../models/staff';
import { periodOf, shiftPeriod } from '../localTime';
import { loadOrgSettings } from '../domain/settings';
import { deliverNote, deliveryMoment, isEmpty, saveNote, targetPeriod } from '../domain/notes';
import { currentPairings } from '../domain/pairings';
import { seesWholeSchool, visibleChild, visibleChildIds } from '../domain/access';
import { auditAs } from './auditTrail';
import { access, forbidden, guard, notFound } from './auth';
import { badRequest } from './errors';

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;
const field = z.string().max(2000).optional();
const postBody = z.object({
  /** The pairing teacher's wecom userid; a signed-in teacher may leave it out (themselves). */
  teacher: z.string().trim().min(1).max(128).optional(),
  childId: z.string().regex(/^[0-9a-f]{24}$/i, 'a child id'),
  period: z.string().regex(PERIOD, 'YYYY-MM').optional(),
  study: field, life: field, mood: field, health: field, text: field,
}).strict().refine((b) => !isEmpty(b), { message: 'write at least one of study, life, mood, health, text' });
const listQuery = z.object({ period: z.string().regex(PERIOD, 'YYYY-MM').optional() });

function refuse(res: Response, status: number, error: string, message: string): void {
  res.status(status).json({ error, message });
}

export function noteRoutes(app: AppContext): Router {
  const r = Router();
  r.use(express.json({ limit: '50kb' }));

  r.post('/', guard('staff'), async (req, res) => {
    const a = access(res);
    const parsed = postBody.safeParse(req.body);
    if (!parsed.success) return badRequest(res, parsed.error);
    const b = { ...parsed.data, teacher: parsed.data.teacher ?? (a.staffIds.length ? a.actor : undefined) };
    if (!b.teacher) return refuse(res, 400, 'bad_request', 'teacher: required (the pairing teacher\'s wecom userid)');
    const now = app.clock.now();
    const tz = app.services.timeZone;
    if (!a.county && !(await visibleChild(app.orgId, a, b.childId))) return notFound(res, 'childId: no such child in your scope');
    const [teacher, child] = await Promise.all([
      Staff.findOne({ orgId: app.orgId, wecomUserId: b.teacher, active: true }).lean(),
      Child.findOne({ orgId: app.orgId, _id: b.childId }).lean(),
    ]);
    if (!child) return refuse(res, 400, 'bad_request', 'childId: no such child');
    // A teacher writes their own notes; a school's leaders (or the county) may enter one from paper for a teacher.
    if (b.teacher !== a.actor && !seesWholeSchool(a, child.schoolId)) return forbidden(res, 'teacher: you may write notes only as yourself');
    if (!teacher) return refuse(res, 400, 'bad_request', `teacher: no active staff member "${b.teacher}"`);
    const pairing = (await currentPairings(app.orgId, teacher._id)).find((p) => String(p.childId) === String(child._id));
    if (!pairing) return refuse(res, 400, 'bad_request', 'teacher: not the pairing teacher of this child');

    const s = (await loadOrgSettings(app.orgId, app.services.timeZone)).schedule.notes;
    const cur = periodOf(now, tz);
    let period: string;
    if (b.period) {
      // This month or last month (late, from paper); older notes would reach families out of all context.
      if (b.period !== cur && b.period !== shiftPeriod(cur, -1)) return refuse(res, 400, 'bad_request', `period: ${cur} or ${shiftPeriod(cur, -1)}`);
      period = b.period;
    } else {
      const target = await targetPeriod(app.orgId, child._id, pairing.from, now, tz, s);
      // Early in the month a note without a period concerns last month (as by message); say how to write this month's.
      if (!target.ok) return refuse(res, 409, 'already_sent', `the note for ${target.period} was already sent to the family; send "period": "${cur}" for this month's`);
      period = target.period;
    }
    const saved = await saveNote(app.orgId, child._id, teacher._id, period, b, now, 'api');
    if (!saved.saved) return refuse(res, 409, 'already_sent', `the note for ${period} was already sent to the family`);
    await auditAs(app, res, 'notes.write', { target: String(child._id), detail: { period, teacher: b.teacher }, schoolIds: [child.schoolId] });
    let delivered = false;
    if (now >= deliveryMoment(period, s, tz)) {
      await deliverNote(app.services, now, saved.note);
      delivered = true;
    }
    const note = await ProgressNote.findById(saved.note._id).lean();
    res.status(saved.corrected ? 200 : 201).json({ ...present(note!), child: child.name, teacher: b.teacher, delivered });
  });

  r.get('/', guard('staff'), async (req, res) => {
    const parsed = listQuery.safeParse(req.query);
    if (!parsed.success) return badRequest(res, parsed.error);
    const now = app.clock.now();
    const period = parsed.data.period ?? periodOf(now, app.services.timeZone);
    const visible = await visibleChildIds(app.orgId, access(res));
    const inScope = visible ? new Set(visible.map(String)) : undefined;
    const mine = <X extends { childId: unknown }>(x: X) => !inScope || inScope.has(String(x.childId));
    // Every child with a current pairing (missing notes included) plus any note of the period.
    const pairings = (await currentPairings(app.orgId)).filter(mine);
    const notes = (await ProgressNote.find({ orgId: app.orgId, period, ...(visible ? { childId: { $in: visible } } : {}) }).lean()).filter(mine);
    const childIds = [...new Set([...pairings.map((p) => String(p.childId)), ...notes.map((n) => String(n.childId))])].map((id) => new Types.ObjectId(id));
    const children = await Child.find({ orgId: app.orgId, _id: { $in: childIds } }, { name: 1, classroomId: 1, status: 1 }).sort({ name: 1 }).lean();
    const staffIds = [...new Set([...pairings.map((p) => String(p.teacherId)), ...notes.map((n) => String(n.teacherId))])].map((id) => new Types.ObjectId(id));
    const [staff, classrooms] = await Promise.all([
      Staff.find({ orgId: app.orgId, _id: { $in: staffIds } }, { name: 1, wecomUserId: 1 }).lean(),
      Classroom.find({ orgId: app.orgId, _id: { $in: children.map((c) => c.classroomId) } }, { name: 1 }).lean(),
    ]);
    const staffOf = (id: unknown) => staff.find((s) => String(s._id) === String(id));
    const rows = children
      .filter((c) => c.status === 'active' || notes.some((n) => String(n.childId) === String(c._id)))
      .map((c) => {
        const note = notes.find((n) => String(n.childId) === String(c._id));
        const pairing = pairings.find((p) => String(p.childId) === String(c._id));
        const t = staffOf(note?.teacherId ?? pairing?.teacherId);
        return {
          childId: String(c._id), child: c.name, class: classrooms.find((k) => String(k._id) === String(c.classroomId))?.name ?? '',
          teacher: t ? { wecomUserId: t.wecomUserId, name: t.name } : null,
          period,
          ...(note ? present(note) : { status: 'missing' }),
        };
      });
    await auditAs(app, res, 'read.notes', { detail: { period, children: rows.length } });
    res.json({ period, notes: rows });
  });
  return r;
}

type Text = string | null | undefined;
interface NoteView {
  _id: unknown; period: string; status?: Text; study?: Text; life?: Text; mood?: Text; health?: Text; text?: Text;
  submittedAt?: Date | null; sentAt?: Date | null; replies?: Array<{ at: Date; role?: Text; text: string }>;
}

function present(n: NoteView): Record<string, unknown> {
  return {
    id: String(n._id), period: n.period, status: n.status === 'draft' ? 'missing' : n.status,
    study: n.study ?? undefined, life: n.life ?? undefined, mood: n.mood ?? undefined, health: n.health ?? undefined, text: n.text ?? undefined,
    submittedAt: n.submittedAt ?? undefined, sentAt: n.sentAt ?? undefined,
    replies: (n.replies ?? []).map((r) => ({ at: r.at, role: r.role, text: r.text })),
  };
}
