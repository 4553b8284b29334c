/**
 * Sign-in with WeCom (the corp's self-built app), mounted at /admin/login/wecom:
 *
 *   GET /admin/login/wecom            302 to WeCom: its OAuth page inside the WeCom client (User-Agent has `wxwork`),
 *                                     its QR / desktop login page in any other browser. 404 page without the app.
 *   GET /admin/login/wecom/callback   where WeCom sends the browser back (?code=&state=): checks the state, asks WeCom
 *                                     whose code it is, requires active staff, then sets the session cookie and
 *                                     redirects to /admin/ (signInAndRedirect). Anything else: the refusal page (403).
 *
 * The state (CSRF of the login flow): 16 random bytes as hex (WeCom allows a-zA-Z0-9, ≤128 bytes), also kept in an
 * HttpOnly cookie scoped to this path with its expiry (10 minutes) and an HMAC, so the callback accepts only the flow
 * this browser started, within 10 minutes, whichever instance answers. The key is derived from ADMIN_TOKEN (several
 * instances share it; a new token only ends the flows in progress).
 *
 * What WeCom's pages and API look like is src/bot/wecom/oauth.ts's business; this file sees only WeComLogin.
 */
import crypto from 'node:crypto';
import { Request, Response, Router } from 'express';
import type { AppContext } from '../appContext';
import type { WeComLogin } from '../bot/wecom/oauth';
import { activeStaffUserId } from '../domain/signIn';
import { Lang, translate } from '../locales';
import { cookieOf } from './auth';
import { langOf, page, refusedPage, signInAndRedirect } from './loginRoutes';

export const WECOM_LOGIN_PATH = '/admin/login/wecom';
const WECOM_STATE_COOKIE = 'liushou_wecom_state';
const WECOM_STATE_MINUTES = 10;
/** WeCom's codes are at most 512 bytes (D91022). */
const MAX_CODE_LENGTH = 512;
const STATE_PATTERN = /^[A-Za-z0-9]{1,128}$/;

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** Inside the WeCom app (phone or desktop) its browser says `wxwork/<version>`; anywhere else WeCom's login page. */
function inWeComClient(userAgent: string | undefined): boolean {
  return /wxwork/i.test(userAgent ?? '');
}

export function wecomLoginRoutes(app: AppContext, wecom?: WeComLogin): Router {
  const r = Router();
  r.use((_req, res, next) => { res.set('Cache-Control', 'no-store'); next(); });
  const key = crypto.createHmac('sha256', app.config.ADMIN_TOKEN ?? '').update('wecom-login-state').digest();
  const mac = (state: string, expires: number) => crypto.createHmac('sha256', key).update(`${app.orgId}.${state}.${expires}`).digest('base64url');
  const base = () => app.services.publicUrl.replace(/\/+$/, '');
  const cookieOptions = () => ({ httpOnly: true, sameSite: 'lax' as const, path: WECOM_LOGIN_PATH, secure: /^https:/i.test(app.services.publicUrl) });

  const notConfigured = (res: Response, lang: Lang) => {
    const t = (k: string) => escape(translate(lang, 'text', `web.wecomLogin.${k}`));
    res.status(404).type('html').send(page(lang, `<h1>${t('heading')}</h1><p id="reason">${t('notConfigured')}</p>`));
  };

  r.get('/', (req, res) => {
    if (!wecom) return notConfigured(res, langOf(req));
    const state = crypto.randomBytes(16).toString('hex');
    const expires = app.clock.now().getTime() + WECOM_STATE_MINUTES * 60_000;
    res.cookie(WECOM_STATE_COOKIE, `${state}.${expires}.${mac(state, expires)}`, { ...cookieOptions(), maxAge: WECOM_STATE_MINUTES * 60_000 });
    res.redirect(302, wecom.authorizeUrl(state, `${base()}${WECOM_LOGIN_PATH}/callback`, inWeComClient(req.get('user-agent'))));
  });

  /** Why the state does not do, or undefined when it is the one this browser was given less than 10 minutes ago. */
  const stateProblem = (req: Request): string | undefined => {
    const given = typeof req.query.state === 'string' ? req.query.state : '';
    if (!STATE_PATTERN.test(given)) return 'state missing';
    const [state = '', expires = '', sig = ''] = (cookieOf(req.get('cookie'), WECOM_STATE_COOKIE) ?? '').split('.');
    if (!state || !same(sig, mac(state, Number(expires)))) return 'no state cookie of ours';
    if (!same(state, given)) return 'state does not match this browser\'s';
    if (!(Number(expires) > app.clock.now().getTime())) return 'state expired';
    return undefined;
  };

  r.get('/callback', async (req, res) => {
    const lang = langOf(req);
    if (!wecom) return notConfigured(res, lang);
    // One use: whatever happens next, this flow is over.
    res.clearCookie(WECOM_STATE_COOKIE, cookieOptions());
    const refuse = (reason: string, extra: Record<string, unknown> = {}) => {
      app.log.info({ reason, ...extra }, 'sign-in with WeCom refused');
      refusedPage(res, lang, 'wecom', 403);
    };
    const problem = stateProblem(req);
    if (problem) return refuse(problem);
    const code = typeof req.query.code === 'string' ? req.query.code : '';
    // Without a code the member declined (WeCom sends the state alone).
    if (!code || code.length > MAX_CODE_LENGTH) return refuse(code ? 'code too long' : 'no code: declined');
    let userid: string | undefined;
    try {
      userid = await wecom.userIdForCode(code);
    } catch (err) {
      // The client logged WeCom's errcode with what to fix; the person sees only that it did not work.
      app.log.warn({ err: (err as Error).message }, 'sign-in with WeCom: WeCom did not confirm the code');
      return refusedPage(res, lang, 'wecom', 403);
    }
    if (!userid) return refuse('not a member of the corp');
    const staff = await activeStaffUserId(app.orgId, userid);
    if (!staff) return refuse('not active staff', { wecomUserId: userid });
    await signInAndRedirect(app, res, staff, 'wecom');
  });
  return r;
}
