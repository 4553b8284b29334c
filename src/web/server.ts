/** The HTTP surface: health, admin API, simulator API. */
import express, { Express } from 'express';
import type { AppContext } from '../appContext';
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
  http.get('/healthz', (_req, res) => {
    if (app.ready()) res.json({ ok: true });
    else res.status(503).json({ ok: false });
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
