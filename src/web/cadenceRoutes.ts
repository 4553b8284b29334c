/** Placeholder until the contacts and cadence admin API (issue 3) is built. */
import { Router } from 'express';
import type { AppContext } from '../appContext';

export function contactRoutes(_app: AppContext): Router {
  return Router();
}

export function cadenceRoutes(_app: AppContext): Router {
  return Router();
}
