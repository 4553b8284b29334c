/**
 * CI: starts the database the tests use — the embedded default of src/models/mongoServer.ts, i.e. FerretDB on a
 * PostgreSQL of its own in the folder given as argument — prints its URI on stdout, and stops it on SIGTERM.
 * One server for the whole `npm test` (its two jest runs), each test file then using its own database.
 */
import { findMongo } from '../src/models/mongoServer';

const dataDir = process.argv[2];
if (!dataDir) {
  process.stderr.write('usage: tsx .ci/db.ts DATA_DIR\n');
  process.exit(2);
}
findMongo({ dataDir, durable: false, env: { ...process.env, MONGODB_URI: '' }, log: (m) => process.stderr.write(`${m}\n`) })
  .then((handle) => {
    process.stdout.write(`${handle.uri}\n`);
    const stop = (): void => { void handle.stop().finally(() => process.exit(0)); };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    setInterval(() => undefined, 1 << 30);
  })
  .catch((err) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  });
