import fs from 'node:fs';
import { MongoHandle } from '../src/models/mongoServer';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as { __mongo?: { handle: MongoHandle; dataDir: string } }).__mongo;
  if (!state) return;
  await state.handle.stop();
  fs.rmSync(state.dataDir, { recursive: true, force: true });
}
