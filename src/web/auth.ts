/**
 * Who is calling /api: the ADMIN_TOKEN as a bearer (the county's key for scripts), or a staff member's browser
 * session (cookie from a sign-in link). Every route then states the least it needs with `guard(level)` and
 * narrows what it answers with the caller's Access (domain/access.ts).
 */
import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { AppContext } from '../appContext';
import { Access, TOKEN_ACCESS, accessOf } from '../domain/access';
import { LiveSession, sessionOf } from '../domain/signIn';

export const SESSION_COOKIE = 'liushou_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** The value of one cookie of the request (no cookie middleware: this is the only cookie we read). */
export function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** The staff member behind the request's session cookie: their session and access, if both are live. */
export async function signedInStaff(app: AppContext, req: Request): Promise<{ token: string; session: LiveSession; access: Access } | undefined> {
  const token = cookieOf(req.get('cookie'), SESSION_COOKIE);
  const session = token ? await sessionOf(app.orgId, token, app.clock.now()) : undefined;
  const access = session ? await accessOf(app.orgId, session.wecomUserId) : undefined;
  return token && session && access ? { token, session, access } : undefined;
}

export function authenticate(app: AppContext): RequestHandler {
  const token = app.config.ADMIN_TOKEN!;
  return async (req, res, next) => {
    const bearer = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
    if (bearer) {
      if (!same(bearer[1].trim(), token)) return unauthorized(res);
      res.locals.access = TOKEN_ACCESS;
      return next();
    }
    const staff = await signedInStaff(app, req);
    if (!staff) return unauthorized(res);
    const { session, access } = staff;
    // A page elsewhere can make the browser send the cookie, not read the token: changes must carry it.
    if (!SAFE_METHODS.has(req.method) && !same(req.get('x-csrf-token') ?? '', session.csrf)) {
      res.status(403).json({ error: 'csrf', message: 'Send the X-CSRF-Token header given by GET /admin/session.' });
      return;
    }
    res.locals.access = access;
    next();
  };
}

function unauthorized(res: Response): void {
  res.status(401).json({
    error: 'unauthorized',
    message: 'Sign in (write 登录 to the bot and open the link), or send the admin token as "Authorization: Bearer <ADMIN_TOKEN>".',
  });
}

/** What a route needs at least: any signed-in staff, a principal (or county), or county scope. */
export type AccessLevel = 'staff' | 'principal' | 'county';

export type GuardHandler = RequestHandler & { accessLevel: AccessLevel };

/** The route's scope decision; the scope-matrix test fails for an /api route without one. */
export function guard(level: AccessLevel): GuardHandler {
  const fn: RequestHandler = (_req, res, next) => {
    const a = access(res);
    const ok = level === 'staff' || a.county || (level === 'principal' && a.principalOf.length > 0);
    if (ok) return next();
    res.status(403).json({ error: 'forbidden', message: level === 'county' ? 'This needs county scope.' : 'This needs a principal or the county.' });
  };
  return Object.assign(fn, { accessLevel: level });
}

/** The caller, as authenticate() found them. */
export function access(res: Response): Access {
  const a = res.locals.access as Access | undefined;
  if (!a) throw new Error('access(res) used on a route that authenticate() does not cover');
  return a;
}

export function notFound(res: Response, message = 'Not found (or not yours to see).'): void {
  res.status(404).json({ error: 'not_found', message });
}

export function forbidden(res: Response, message: string): void {
  res.status(403).json({ error: 'forbidden', message });
}
