/** The HTTP surface: health, staff sign-in (/admin), the admin API (/api), the simulator API (/sim). */
import express, { Express, Router } from 'express';
import type { AppContext } from '../appContext';
import type { WeComLogin } from '../bot/wecom/oauth';
import { databaseUp } from '../models/connect';
import { adminRoutes } from './adminRoutes';
import { auditRoutes } from './auditRoutes';
import { authenticate } from './auth';
import { cadenceRoutes, contactRoutes } from './cadenceRoutes';
import { childRoutes } from './childRoutes';
import { concernRoutes } from './concernRoutes';
import { consoleRoutes } from './consoleRoutes';
import { errorHandler } from './errors';
import { loginRoutes } from './loginRoutes';
import { WECOM_LOGIN_PATH, wecomLoginRoutes } from './wecomLoginRoutes';
import { noteRoutes } from './noteRoutes';
import { reportRoutes } from './reportRoutes';
import { schoolRoutes } from './schoolRoutes';
import { settingsRoutes } from './settingsRoutes';
import { simMediaRoutes, simRoutes } from './simRoutes';

/**
 * Every router under /api with its mount path. authenticate() covers all of them; each route states its least
 * access with guard() and narrows its answer to the caller's scope (test/scopeMatrix.e2e.test.ts checks both).
 */
export function apiRouters(app: AppContext): Array<[string, Router]> {
  return [
    ['/api/schools', schoolRoutes(app)],
    ['/api/settings', settingsRoutes(app)],
    ['/api/concerns', concernRoutes(app)],
    ['/api/notes', noteRoutes(app)],
    ['/api/contacts', contactRoutes(app)],
    ['/api/cadences', cadenceRoutes(app)],
    ['/api/children', childRoutes(app)],
    ['/api/audit', auditRoutes(app)],
    ['/api/reports', reportRoutes(app)],
    ['/api', adminRoutes(app)],
  ];
}

/** `wecomLogin`: sign-in with WeCom, when the self-built app is configured (else /admin/login/wecom says it is not). */
export function createHttpApp(app: AppContext, mountChannels?: (http: Express) => void, extraApi: Array<[string, Router]> = [], wecomLogin?: WeComLogin): Express {
  const http = express();
  http.disable('x-powered-by');
  // 503 while starting or stopping, and while the database does not answer (the driver reconnects by itself;
  // this turns back to 200 once it has).
  http.get('/healthz', async (_req, res) => {
    if (!app.ready()) return void res.status(503).json({ ok: false });
    if (!(await databaseUp())) return void res.status(503).json({ ok: false, database: 'down' });
    res.json({ ok: true });
  });
  http.use(WECOM_LOGIN_PATH, wecomLoginRoutes(app, wecomLogin));
  http.use('/admin', loginRoutes(app));
  http.use('/admin', consoleRoutes(app));
  http.use('/api', authenticate(app));
  for (const [path, router] of [...extraApi, ...apiRouters(app)]) http.use(path, router);
  if (app.simulator) {
    http.use('/sim', simRoutes(app));
    http.use('/media', simMediaRoutes(app));
  }
  mountChannels?.(http);
  http.use((_req, res) => { res.status(404).json({ error: 'not_found', message: 'No such route.' }); });
  http.use(errorHandler(app.log));
  return http;
}
