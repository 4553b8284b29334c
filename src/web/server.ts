/** The HTTP surface: health, admin API, simulator API. */
import express, { Express } from 'express';
import type { AppContext } from '../appContext';
import { databaseUp } from '../models/connect';
import { adminRoutes } from './adminRoutes';
import { errorHandler } from './errors';
import { cadenceRoutes, contactRoutes } from './cadenceRoutes';
import { concernRoutes } from './concernRoutes';
import { noteRoutes } from './noteRoutes';
import { schoolRoutes } from './schoolRoutes';
import { settingsRoutes } from './settingsRoutes';
import { simRoutes } from './simRoutes';

export function createHttpApp(app: AppContext, mountChannels?: (http: Express) => void): Express {
  const http = express();
  http.disable('x-powered-by');
  // 503 while starting or stopping, and while the database does not answer (the driver reconnects by itself;
  // this turns back to 200 once it has).
  http.get('/healthz', async (_req, res) => {
    if (!app.ready()) return void res.status(503).json({ ok: false });
    if (!(await databaseUp())) return void res.status(503).json({ ok: false, database: 'down' });
    res.json({ ok: true });
  });
  http.use('/api/schools', schoolRoutes(app));
  http.use('/api/settings', settingsRoutes(app));
  http.use('/api/concerns', concernRoutes(app));
  http.use('/api/notes', noteRoutes(app));
  http.use('/api/contacts', contactRoutes(app));
  http.use('/api/cadences', cadenceRoutes(app));
  http.use('/api', adminRoutes(app));
  if (app.simulator) http.use('/sim', simRoutes(app));
  mountChannels?.(http);
  http.use((_req, res) => { res.status(404).json({ error: 'not_found', message: 'No such route.' }); });
  http.use(errorHandler(app.log));
  return http;
}
