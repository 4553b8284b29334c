/**
 * GET /api/audit — who read or changed what, newest first. The county sees every entry; a principal the entries
 * that concern their school(s). Paging: `limit` (default 100, at most 1,000) and `before` (the `next` cursor of
 * the previous page); filters `actor`, `action`, `target`.
 */
import { Router } from 'express';
import { Types } from 'mongoose';
import { z } from 'zod';
import type { AppContext } from '../appContext';
import { AuditLog } from '../models/auditLog';
import { access, guard } from './auth';
import { badRequest } from './errors';

const query = z.object({
  /** `next` of the previous page: the last entry's time and id (entries of one instant never straddle pages). */
  before: z.string().regex(/^\d{13}_[0-9a-f]{24}$/, 'the `next` value of the previous page').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  actor: z.string().max(128).optional(),
  action: z.string().max(64).optional(),
  target: z.string().max(64).optional(),
}).strict();

export function auditRoutes(app: AppContext): Router {
  const r = Router();

  r.get('/', guard('principal'), async (req, res) => {
    const parsed = query.safeParse(req.query);
    if (!parsed.success) return badRequest(res, parsed.error);
    const q = parsed.data;
    const a = access(res);
    const [ms, id] = q.before ? q.before.split('_') : [];
    const at = new Date(Number(ms));
    const entries = await AuditLog.find({
      orgId: app.orgId,
      ...(a.county ? {} : { schoolIds: { $in: a.principalOf } }),
      ...(q.before ? { $or: [{ at: { $lt: at } }, { at, _id: { $lt: new Types.ObjectId(id) } }] } : {}),
      ...(q.actor ? { actor: q.actor } : {}),
      ...(q.action ? { action: q.action } : {}),
      ...(q.target ? { target: q.target } : {}),
    }).sort({ at: -1, _id: -1 }).limit(q.limit + 1).lean();
    const page = entries.slice(0, q.limit);
    res.json({
      entries: page.map((e) => ({ at: e.at, actor: e.actor, action: e.action, target: e.target ?? null, detail: e.detail ?? null })),
      next: entries.length > q.limit ? `${String(page[page.length - 1].at.getTime()).padStart(13, '0')}_${String(page[page.length - 1]._id)}` : null,
    });
  });
  return r;
}
