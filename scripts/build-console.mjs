// Builds the web console (console/ → dist/console) when the build is missing or older than its sources.
// Run by `npm ci` (prepare), `npm start` (prestart) and the test setup, so nobody builds it by hand.
// `--force` builds whatever the dates say.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sources = [path.join(root, 'console'), path.join(root, 'package-lock.json')];
const built = path.join(root, 'dist', 'console', 'index.html');

function newest(p) {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...fs.readdirSync(p).map((n) => newest(path.join(p, n))));
}

// An install without the console's sources (a package of the server only) has nothing to build.
if (!fs.existsSync(path.join(root, 'console', 'vite.config.mjs'))) {
  console.error('build-console: no console/ sources here; nothing to build');
  process.exit(0);
}

const force = process.argv.includes('--force');
const stale = force || !fs.existsSync(built) || Math.max(...sources.map(newest)) > fs.statSync(built).mtimeMs;
if (!stale) process.exit(0);

let build;
try {
  ({ build } = await import('vite'));
} catch {
  // `npm ci` runs prepare before… nothing: vite is a dependency. Only a partial install lands here.
  console.error('build-console: vite is not installed; run npm ci');
  process.exit(1);
}
const started = Date.now();
await build({ configFile: path.join(root, 'console', 'vite.config.mjs'), logLevel: 'warn' });
console.error(`build-console: the web console is built in dist/console (${((Date.now() - started) / 1000).toFixed(1)} s)`);
