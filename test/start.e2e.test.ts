/** `npm start` as a person runs it (point 9): a real process, configuration from the environment, --demo, the printed admin token. */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, withDatabase } from '../src/models/mongoServer';

const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'liushou-start-'));
  return { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, LOG_LEVEL: 'info', ...extra };
}

async function waitFor(url: string, ms: number): Promise<Response> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await fetch(url);
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`${url} did not answer: ${String(last)}`);
}

describe('npm start', () => {
  let proc: ChildProcess | undefined;
  afterEach(() => { proc?.kill('SIGKILL'); });

  it('starts on the simulator with --demo, prints an admin token, serves health, the API and the simulator; stops on SIGTERM', async () => {
    const port = await freePort();
    const uri = withDatabase(process.env.MONGODB_URI!, `t_start_${crypto.randomBytes(3).toString('hex')}`);
    proc = spawn(TSX, ['src/index.ts', '--demo'], { cwd: ROOT, env: env({ PORT: String(port), MONGODB_URI: uri }) });
    let out = '';
    proc.stdout!.on('data', (d) => { out += d; });
    proc.stderr!.on('data', (d) => { out += d; });

    // A cold start in a fresh clone, beside the other test files, compiles the whole app first: give it a minute.
    const health = await waitFor(`http://127.0.0.1:${port}/healthz`, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\n--- its output ---\n${out.slice(-3000)}`);
    });
    expect(await health.json()).toEqual({ ok: true });
    const token = /Admin token[^:]*: (\S+)/.exec(out)?.[1];
    expect(token).toBeDefined();

    const cards = await fetch(`http://127.0.0.1:${port}/api/contact-cards`, { headers: { Authorization: `Bearer ${token}` } });
    const body = (await cards.json()) as Array<{ child: string; codes: Array<{ for: string; code: string }> }>;
    expect(body.map((c) => c.child).sort()).toEqual(['李小红', '王小华', '王小明']);
    expect((await fetch(`http://127.0.0.1:${port}/api/contact-cards`)).status).toBe(401);

    const res = await fetch(`http://127.0.0.1:${port}/sim/messages`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ from: 'dad', text: '绑定 WXM2F8' }),
    });
    expect(((await res.json()) as { replies: Array<{ text: string }> }).replies[0].text).toContain('王小明');
    // Logs never carry a phone number in full.
    expect(out).not.toMatch(/1380013800\d/);

    const exited = new Promise<number | null>((resolve) => proc!.on('exit', (code) => resolve(code)));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);

  it('says the port is in use (not a crash) when another process holds it', async () => {
    const net = await import('node:net');
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as import('node:net').AddressInfo).port;
    try {
      const uri = withDatabase(process.env.MONGODB_URI!, `t_start_${crypto.randomBytes(3).toString('hex')}`);
      const res = spawnSync(TSX, ['src/index.ts'], { cwd: ROOT, env: env({ PORT: String(port), MONGODB_URI: uri }), encoding: 'utf8', timeout: 30_000 });
      expect(res.status).toBe(1);
      expect(res.stderr).toContain(`Port ${port}`);
      expect(res.stderr).toContain('already in use');
      expect(res.stderr).not.toContain('Cannot read properties');
    } finally {
      blocker.close();
    }
  });

  it('refuses to start on invalid configuration and names the variable', () => {
    const res = spawnSync(TSX, ['src/index.ts'], { cwd: ROOT, env: env({ PORT: 'eighty', QUIET_HOURS: 'late' }), encoding: 'utf8', timeout: 20_000 });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('PORT');
    expect(res.stderr).toContain('QUIET_HOURS');
  });
});
