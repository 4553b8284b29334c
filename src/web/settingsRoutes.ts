/** Admin API for the org's rhythm settings (domain/settings.ts) and quiet hours: change them without code. */
import express, { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../appContext';
import { Org } from '../models/org';
import { scheduleSettings, scheduleSettingsSchema } from '../domain/settings';
import { auditAs } from './auditTrail';
import { guard } from './auth';
import { badRequest } from './errors';
import { safeKey } from './safeKeys';

const body = z.object({
  quietHours: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM-HH:MM').optional(),
  /** Partial: only the keys given change; the rest keep their stored value or default. */
  schedule: z.record(safeKey, z.record(safeKey, z.unknown())).optional(),
}).strict();

/**
 * The stored schema tolerates unknown keys (old stores must still load); a change must not: a typo such as
 * "tlak" would otherwise be accepted and silently ignored.
 */
const strictSchedule = z.object(Object.fromEntries(
  Object.entries(scheduleSettingsSchema.shape).map(([k, v]) => [k, (v as unknown as z.ZodDefault<z.AnyZodObject>).removeDefault().strict().optional()]),
)).strict();

export function settingsRoutes(app: AppContext): Router {
  const r = Router();
  r.use(express.json({ limit: '20kb' }));

  r.get('/', guard('county'), async (_req, res) => {
    const org = await Org.findById(app.orgId).lean();
    res.json({ timeZone: org?.timeZone, quietHours: org?.quietHours, schedule: scheduleSettings(org?.schedule) });
  });

  r.patch('/', guard('county'), async (req, res) => {
    const parsed = body.safeParse(req.body);
    if (!parsed.success) return badRequest(res, parsed.error);
    const org = await Org.findById(app.orgId).lean();
    const stored = (org?.schedule ?? {}) as Record<string, Record<string, unknown>>;
    const merged: Record<string, Record<string, unknown>> = { ...stored };
    for (const [section, values] of Object.entries(parsed.data.schedule ?? {})) merged[section] = { ...(stored[section] ?? {}), ...values };
    const checked = strictSchedule.safeParse(merged);
    if (!checked.success) return badRequest(res, checked.error);
    await Org.updateOne({ _id: app.orgId }, { $set: { schedule: merged, ...(parsed.data.quietHours ? { quietHours: parsed.data.quietHours } : {}) } });
    await auditAs(app, res, 'settings', { target: app.orgId, detail: parsed.data });
    const updated = await Org.findById(app.orgId).lean();
    // Handlers' pushes use the new quiet hours from the next message on; the scheduler reads the org every tick.
    if (updated?.quietHours) app.services.quietHours = updated.quietHours;
    res.json({ timeZone: updated?.timeZone, quietHours: updated?.quietHours, schedule: scheduleSettings(updated?.schedule) });
  });
  return r;
}
