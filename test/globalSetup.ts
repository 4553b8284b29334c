import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findMongo, MongoHandle } from '../src/models/mongoServer';

/** Starts (or finds) one real MongoDB-compatible server for the whole run; workers read MONGODB_URI. */
export default async function globalSetup(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'liushou-test-'));
  // Throw-away data: PostgreSQL without fsync (faster; the data dir is removed at the end anyway).
  const handle = await findMongo({ dataDir, durable: false, log: (m) => process.stderr.write(`\n${m}\n`) });
  process.env.MONGODB_URI = handle.uri;
  process.env.TEST_MONGO_SOURCE = handle.source;
  (globalThis as { __mongo?: { handle: MongoHandle; dataDir: string } }).__mongo = { handle, dataDir };
}
