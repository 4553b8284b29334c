/**
 * The web console (console/, built into dist/console by scripts/build-console.mjs): its page at /admin/ for a
 * signed-in staff member, its assets under /admin/assets. Someone not signed in gets the page that says how to
 * sign in; the console's data all comes from /api, which checks the session on every request.
 */
import fs from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';
import type { AppContext } from '../appContext';
import { signedInStaff } from './auth';
import { langOf, refusedPage } from './loginRoutes';

// The project's root is the nearest folder up with a package.json: src/web/ under tsx, dist/src/web/ compiled.
function projectRoot(dir: string): string {
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
const CONSOLE_DIR = path.join(projectRoot(__dirname), 'dist', 'console');

export function consoleRoutes(app: AppContext): Router {
  const r = Router();
  // File names carry their content's hash: cache them for good.
  r.use('/assets', express.static(path.join(CONSOLE_DIR, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: false }));

  r.get('/', async (req, res) => {
    const lang = langOf(req);
    res.set('Cache-Control', 'no-store');
    if (!(await signedInStaff(app, req))) return refusedPage(res, lang, 'notSignedIn', 401);
    const index = path.join(CONSOLE_DIR, 'index.html');
    if (!fs.existsSync(index)) return refusedPage(res, lang, 'notBuilt', 503);
    res.type('html').send(fs.readFileSync(index));
  });
  return r;
}
