/** The one module that finds a database for npm start, the CLI and the tests (DESIGN.md §4 order). */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findMongo, withDatabase } from '../src/models/mongoServer';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'liushou-find-'));

function goBinFerret(): string | undefined {
  try {
    const bin = path.join(execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim(), 'bin', 'ferretdb');
    return fs.existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

describe('findMongo', () => {
  it('uses MONGODB_URI first and never stops a server it did not start', async () => {
    const handle = await findMongo({ dataDir: tmp(), env: { MONGODB_URI: 'mongodb://127.0.0.1:1/x' } });
    expect(handle).toEqual(expect.objectContaining({ uri: 'mongodb://127.0.0.1:1/x', source: 'env' }));
    await handle.stop();
  });

  it('with nothing installed, stops with a message that says what to install or set', async () => {
    const saved = { ...process.env };
    // mongodb-memory-server reads these from process.env: make its download fail at once, offline or not.
    process.env.MONGOMS_DOWNLOAD_URL = 'http://127.0.0.1:9/mongodb-linux-x86_64-debian12-7.0.24.tgz';
    process.env.MONGOMS_DOWNLOAD_DIR = tmp();
    try {
      const home = tmp();
      await expect(findMongo({ dataDir: tmp(), env: { PATH: path.join(home, 'empty-bin'), HOME: home } }))
        .rejects.toThrow(/MONGODB_URI[\s\S]*mongod[\s\S]*go install github.com\/FerretDB\/FerretDB\/cmd\/ferretdb@v1.24.2/);
    } finally {
      process.env = saved;
    }
  });

  it('starts FerretDB from $(go env GOPATH)/bin on its SQLite backend, when it is there', async () => {
    const bin = goBinFerret();
    if (!bin) {
      // Not installed on this machine: CI installs it (.ci/install-ferretdb.sh), so this branch is for laptops.
      expect(fs.existsSync(path.join(__dirname, '..', '.ci', 'install-ferretdb.sh'))).toBe(true);
      return;
    }
    const dataDir = tmp();
    const handle = await findMongo({ dataDir, env: { PATH: process.env.PATH!.split(':').filter((d) => !fs.existsSync(path.join(d, 'mongod'))).join(':'), HOME: process.env.HOME } });
    try {
      expect(handle.source).toBe('ferretdb');
      expect(handle.uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+$/);
      expect(fs.readdirSync(path.join(dataDir, 'ferretdb')).length).toBeGreaterThan(0);
      expect(withDatabase(handle.uri, 'abc')).toMatch(/\/abc$/);
    } finally {
      await handle.stop();
    }
  });
});
