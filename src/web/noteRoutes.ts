/** Placeholder until the notes admin API (issue 3) is built. */
import { Router } from 'express';
import type { AppContext } from '../appContext';

export function noteRoutes(_app: AppContext): Router {
  return Router();
}
