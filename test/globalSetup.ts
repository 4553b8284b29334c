import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findMongo, MongoHandle } from '../src/models/mongoServer';

/** Starts (or finds) one real MongoDB-compatible server for the whole run; workers read MONGODB_URI. */
export default async function globalSetup(): Promise<void> {
  // The browser tests need Debian's Chromium: installed once by the project's own script (a no-op when there).
  // The console's pages, built as `npm ci` and `npm start` do (a no-op when the build is up to date).
  execFileSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'build-console.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
  // Where it cannot install (no apt-get), only the browser tests fail, saying why.
  try {
    execFileSync('bash', [path.join(__dirname, '..', '.ci', 'install-chromium.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    process.stderr.write('\nno Chromium for the browser tests (see above); the other tests run\n');
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'liushou-test-'));
  // Throw-away data: PostgreSQL without fsync (faster; the data dir is removed at the end anyway).
  const handle = await findMongo({ dataDir, durable: false, log: (m) => process.stderr.write(`\n${m}\n`) });
  process.env.MONGODB_URI = handle.uri;
  process.env.TEST_MONGO_SOURCE = handle.source;
  (globalThis as { __mongo?: { handle: MongoHandle; dataDir: string } }).__mongo = { handle, dataDir };
}
