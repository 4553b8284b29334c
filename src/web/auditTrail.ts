/** Audit entries written by /api routes: the caller (token or staff member) and the schools concerned. */
import type { Response } from 'express';
import type { AppContext } from '../appContext';
import { audit } from '../models/auditLog';
import { access } from './auth';

export async function auditAs(app: AppContext, res: Response, action: string, opts: { target?: string; detail?: unknown; schoolIds?: unknown[] } = {}): Promise<void> {
  const a = access(res);
  const schoolIds = [...(opts.schoolIds ?? []).filter(Boolean).map(String), ...a.schools];
  await audit(app.orgId, app.clock.now(), a.actor, action, opts.target, opts.detail, schoolIds);
}
