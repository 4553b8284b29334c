/**
 * The bot as a real process (`node --import tsx src/index.ts`, what `npm start` runs) on a given database, for the fault tests:
 * kill -9 in the middle of work, several instances on one database. Every wait is bounded and says what it waited for.
 *
 *   const bot = await BotProcess.start({ mongoUri, env: { WECOM_… } });   // SIMULATOR=1, a free PORT, up at /healthz
 *   void bot.setClock('2027-01-01T19:00:00+08:00');   // POST /sim/clock: runs the jobs and delivery (answers when done)
 *   bot.kill9();  await bot.exited;
 *
 * The simulated clock is per process and starts at real time: after a restart, set it again.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/models/mongoServer';

const ROOT = path.resolve(__dirname, '..', '..');
/** Output kept per process for failure messages. */
const KEEP_OUTPUT = 20_000;

export interface BotProcessOptions {
  mongoUri: string;
  env?: Record<string, string>;
  /** How long to wait for /healthz (default 60 s: tsx compiles the bot on a busy 2-core machine). */
  startMs?: number;
  /** A name for failure messages. */
  name?: string;
}

const T0 = Date.now();
/** With FAULT_VERBOSE=1: a timestamped line on stderr at once (jest holds console output until the test ends). */
export function step(what: string): void {
  if (process.env.FAULT_VERBOSE) process.stderr.write(`[faults +${((Date.now() - T0) / 1000).toFixed(1)}s] ${what}\n`);
}

/** Polls `check` every `everyMs` until it returns a truthy value; throws `what` (plus `detail()`) after `ms`. */
export async function waitUntil<T>(what: string, ms: number, check: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  opts: { everyMs?: number; detail?: () => Promise<string> | string } = {}): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) {
      const detail = opts.detail ? `\n${await opts.detail()}` : '';
      throw new Error(`timed out after ${ms} ms waiting until ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 100));
  }
}

/** Live bots, killed if the test process exits without stopping them (they run in groups of their own). */
const live = new Set<BotProcess>();
process.once('exit', () => { for (const b of live) b.kill9(); });

export class BotProcess {
  private out = '';
  readonly exited: Promise<number | null>;
  private dead = false;

  private constructor(readonly name: string, readonly proc: ChildProcess, readonly port: number, private readonly dataDir: string) {
    const keep = (d: Buffer) => {
      this.out = (this.out + d.toString()).slice(-KEEP_OUTPUT);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    live.add(this);
    this.exited = new Promise((resolve) => proc.on('exit', (code) => {
      this.dead = true;
      live.delete(this);
      resolve(code);
    }));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The last of what the process printed (for failure messages). */
  output(): string {
    return this.out;
  }

  static async start(opts: BotProcessOptions): Promise<BotProcess> {
    const port = await freePort();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'liushou-fault-'));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, LOG_LEVEL: 'warn',
      PORT: String(port), MONGODB_URI: opts.mongoUri, SIMULATOR: '1', ADMIN_TOKEN: 'fault-admin-token-0123456789',
      // The fault scenarios count each message once by its text; recordings (a voice part beside the text) have
      // their own tests (speech*, wecomVoice), as in startTestApp.
      SPEECH_PROVIDER: 'none',
      ...opts.env,
    };
    // `node --import tsx` rather than the tsx launcher: the launcher runs the bot in a child process of its own and
    // cannot pass a SIGKILL on, so killing it left the bot running. One process, in a group of its own (killed whole).
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], { cwd: ROOT, env, detached: true });
    const bot = new BotProcess(opts.name ?? `bot:${port}`, proc, port, dataDir);
    try {
      await waitUntil(`${bot.name} answers /healthz`, opts.startMs ?? 60_000, async () => {
        if (bot.dead) throw new Error(`${bot.name} exited before it was up:\n${bot.out}`);
        try {
          return (await fetch(`${bot.url}/healthz`)).ok;
        } catch {
          return false;
        }
      }, { everyMs: 200, detail: () => bot.out });
    } catch (err) {
      bot.kill9();
      throw err;
    }
    return bot;
  }

  /** POST /sim/clock; resolves with its answer when the jobs and the delivery it started are done. */
  async setClock(iso: string, timeoutMs = 120_000): Promise<{ now: string; delivered: number }> {
    const res = await fetch(`${this.url}/sim/clock`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ now: iso }), signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) throw new Error(`${this.name}: POST /sim/clock → ${res.status} ${await res.text()}`);
    return (await res.json()) as { now: string; delivered: number };
  }

  kill9(): void {
    if (this.dead || this.proc.pid === undefined) return;
    try {
      process.kill(-this.proc.pid, 'SIGKILL');
    } catch {
      this.proc.kill('SIGKILL');
    }
  }

  /** SIGTERM (a graceful stop), then SIGKILL if it is still there after `ms`. */
  async stop(ms = 10_000): Promise<void> {
    if (!this.dead) {
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.kill9(), ms);
      await this.exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
