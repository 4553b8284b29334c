/**
 * Staff sign-in pages under /admin:
 *
 *   GET  /admin/login?code=…   spends a one-time link from chat (登录): sets the session cookie, redirects to /admin/
 *   GET  /admin/session        who is signed in, what they can see, and the CSRF token for changes (JSON)
 *   POST /admin/logout         ends the session (X-CSRF-Token header, or `csrf` form field)
 *   (GET /admin/, the console itself, is consoleRoutes.ts)
 *
 * Pages are plain HTML, in the browser's language (zh-CN unless it asks for English).
 */
import express, { Request, Response, Router } from 'express';
import type { AppContext } from '../appContext';
import { closeSession, openSession, redeemLoginCode, SESSION_IDLE_HOURS } from '../domain/signIn';
import { audit } from '../models/auditLog';
import { Lang, translate } from '../locales';
import { SESSION_COOKIE, signedInStaff } from './auth';

export function langOf(req: Request): Lang {
  if (req.query.lang === 'en' || req.query.lang === 'zh-CN') return req.query.lang;
  return /^en\b/i.test(req.get('accept-language') ?? '') ? 'en' : 'zh-CN';
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function page(lang: Lang, body: string): string {
  const t = (k: string) => escape(translate(lang, 'text', `web.${k}`));
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`
    + `<title>${t('title')}</title><style>body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.6}</style>`
    + `</head><body>${body}</body></html>`;
}

/** The refusal page for a link or WeCom sign-in that did not work: what happened and how to get a new link. */
export function refusedPage(res: Response, lang: Lang, reason: string, status: number): void {
  const t = (k: string) => escape(translate(lang, 'text', `web.refused.${k}`));
  res.status(status).type('html').send(page(lang, `<h1>${t('heading')}</h1><p id="reason">${t(reason)}</p><p>${t('again')}</p>`));
}

/** Opens a session for a staff member and answers with the cookie and a redirect to the console. */
export async function signInAndRedirect(app: AppContext, res: Response, wecomUserId: string, via: 'chat' | 'wecom'): Promise<void> {
  const now = app.clock.now();
  const { token } = await openSession(app.orgId, wecomUserId, via, now);
  res.cookie(SESSION_COOKIE, token, {
    httpOnly: true, sameSite: 'lax', path: '/', secure: /^https:/i.test(app.services.publicUrl),
    maxAge: SESSION_IDLE_HOURS * 3600_000,
  });
  await audit(app.orgId, now, wecomUserId, 'session.open', undefined, { via });
  res.redirect(302, '/admin/');
}

export function loginRoutes(app: AppContext): Router {
  const r = Router();
  // No caching anywhere on the way: these answers are one person's.
  r.use((_req, res, next) => { res.set('Cache-Control', 'no-store'); next(); });

  r.get('/login', async (req, res) => {
    const lang = langOf(req);
    const code = typeof req.query.code === 'string' ? req.query.code : '';
    const result = code ? await redeemLoginCode(app.orgId, code, app.clock.now()) : { refused: 'unknown' as const };
    if ('refused' in result) return refusedPage(res, lang, result.refused, result.refused === 'unknown' ? 400 : 410);
    await signInAndRedirect(app, res, result.wecomUserId, 'chat');
  });

  const signedIn = (req: Request) => signedInStaff(app, req);

  r.get('/session', async (req, res) => {
    const s = await signedIn(req);
    if (!s) return void res.status(401).json({ error: 'unauthorized', message: 'Not signed in.' });
    const a = s.access;
    res.json({
      wecomUserId: a.actor, name: a.name, csrf: s.session.csrf, via: s.session.via,
      scope: { county: a.county, schools: a.schools, wholeSchools: a.wholeSchools, principalOf: a.principalOf, classes: a.classes },
    });
  });

  r.post('/logout', express.urlencoded({ extended: false, limit: '2kb' }), async (req, res) => {
    const s = await signedIn(req);
    const given = req.get('x-csrf-token') ?? (req.body as Record<string, unknown> | undefined)?.csrf;
    if (s && given !== s.session.csrf) return void res.status(403).json({ error: 'csrf', message: 'Send the X-CSRF-Token header given by GET /admin/session.' });
    if (s) {
      await closeSession(app.orgId, s.token);
      await audit(app.orgId, app.clock.now(), s.access.actor, 'session.close');
    }
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    const lang = langOf(req);
    res.type('html').send(page(lang, `<p id="signed-out">${escape(translate(lang, 'text', 'web.home.signedOut'))}</p>`));
  });

  return r;
}
