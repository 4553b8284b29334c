/**
 * The bot under test as its own process, the way `npm start` runs it (`src/index.ts` under tsx, same Node), so that
 * its memory is its own and every figure includes the HTTP layer production has. The bench talks to it over HTTP
 * (admin API, simulator API) and, through bench/botPreload.ts on the IPC channel, reads how many database
 * operations it issued.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { freePort } from '../../src/models/mongoServer';
import { sleep } from './stats';

const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const ROOT = path.resolve(__dirname, '..', '..');

export interface BotOptions {
  mongoUri: string;
  dataDir: string;
  /** Extra environment (WeCom adapters). */
  env?: Record<string, string>;
  logFile: string;
}

export interface HttpAnswer {
  status: number;
  body: any;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export class BotProcess {
  private exited?: string;
  private seq = 0;
  private readonly waiting = new Map<number, (counts: Record<string, number>) => void>();

  private constructor(readonly child: ChildProcess, readonly url: string, readonly logFile: string) {
    child.on('exit', (code, signal) => { this.exited = `exited with ${code ?? signal}`; });
    child.on('message', (m: { type?: string; id?: number; counts?: Record<string, number> }) => {
      if ((m?.type === 'ops' || m?.type === 'mem') && m.id !== undefined) {
        this.waiting.get(m.id)?.(m.counts ?? {});
        this.waiting.delete(m.id);
      }
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  static async start(opts: BotOptions): Promise<BotProcess> {
    const port = await freePort();
    const env: Record<string, string> = {};
    // The bot's own settings only: nothing of WeCom, Wechaty or a .env of the caller leaks in.
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !/^(WECOM_|WECHATY_|MONGODB_|DEMO$|SIMULATOR$|PORT$|HOST$|DATA_DIR$|ADMIN_TOKEN$|LOG_LEVEL$)/.test(k)) env[k] = v;
    }
    Object.assign(env, {
      MONGODB_URI: opts.mongoUri, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: opts.dataDir, ADMIN_TOKEN,
      LOG_LEVEL: 'warn', SIMULATOR: '1', ...opts.env,
    });
    const log = fs.openSync(opts.logFile, 'a');
    // BENCH_BOT_NODE_ARGS: node options for the bot alone (e.g. a heap limit), not for the bench.
    const nodeArgs = (process.env.BENCH_BOT_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', '--import', './bench/botPreload.ts', 'src/index.ts'], {
      cwd: ROOT, env, stdio: ['ignore', log, log, 'ipc'],
    });
    fs.closeSync(log);
    const bot = new BotProcess(child, `http://127.0.0.1:${port}`, opts.logFile);
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (bot.exited) throw new Error(`the bot ${bot.exited} at start; see ${opts.logFile}:\n${tail(opts.logFile)}`);
      const ok = await bot.get('/healthz').then((r) => r.status === 200, () => false);
      if (ok) return bot;
      await sleep(200);
    }
    await bot.stop();
    throw new Error(`the bot did not answer /healthz within 120 s; see ${opts.logFile}`);
  }

  request(method: string, p: string, body?: Buffer | string | object, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    const data = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const type = body === undefined ? {} : { 'Content-Type': Buffer.isBuffer(body) || typeof body === 'string' ? 'text/csv' : 'application/json' };
    return new Promise((resolve, reject) => {
      const req = http.request(`${this.url}${p}`, {
        method, agent,
        headers: { ...type, Authorization: `Bearer ${ADMIN_TOKEN}`, ...(data ? { 'Content-Length': String(data.length) } : {}), ...headers },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try { parsed = JSON.parse(text); } catch { /* not JSON */ }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      // No timeout: a fan-out answered by /sim/clock takes as long as WeCom's limits make it.
      req.end(data);
    });
  }

  get(p: string): Promise<HttpAnswer> {
    return this.request('GET', p);
  }

  async post(p: string, body: Buffer | string | object, headers?: Record<string, string>): Promise<any> {
    const res = await this.request('POST', p, body, headers);
    if (res.status !== 200) throw new Error(`POST ${p} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    return res.body;
  }

  /**
   * `POST /api/import/{kind}` as an admin does it: a small file answers at once; a large one answers 202 with a job,
   * followed on `GET /api/import/jobs/:id` (every 250 ms) until it is done. Returns the import's answer.
   */
  async importFile(kind: 'staff' | 'roster', body: Buffer): Promise<{ created: number; updated: number; errors: unknown[] }> {
    const res = await this.request('POST', `/api/import/${kind}`, body);
    if (res.status === 200) return res.body;
    if (res.status !== 202 || !res.body?.jobId) throw new Error(`POST /api/import/${kind} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    for (;;) {
      await sleep(250);
      const job = await this.get(`/api/import/jobs/${res.body.jobId}`);
      if (job.status !== 200) throw new Error(`import job ${res.body.jobId} → ${job.status}`);
      if (job.body.status === 'done') return job.body.result;
      if (job.body.status === 'failed') throw new Error(`import job ${res.body.jobId} failed: ${job.body.error}`);
    }
  }

  /** Database operations the bot issued since the last reset, by `collection.method`. */
  ops(): Promise<Record<string, number>> {
    return this.ask('ops-get');
  }

  /** The peaks of the bot's process.memoryUsage() since it started (bytes: rss, heapUsed, heapTotal, external, arrayBuffers). */
  memory(): Promise<Record<string, number>> {
    return this.ask('mem-get');
  }

  private ask(type: string): Promise<Record<string, number>> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting.delete(id); reject(new Error(`the bot did not answer ${type}`)); }, 10_000);
      this.waiting.set(id, (c) => { clearTimeout(timer); resolve(c); });
      this.child.send({ type, id });
    });
  }

  resetOps(): void {
    this.child.send({ type: 'ops-reset' });
  }

  /** SIGTERM (the bot stops its channels and disconnects), SIGKILL after 20 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await done;
    clearTimeout(timer);
  }
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '';
  }
}

/** Sum of counts, and the top entries "coll.method ×n". */
export function summarizeOps(counts: Record<string, number>, per = 1): { total: number; top: string } {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((a, [, n]) => a + n, 0) / per;
  const top = entries.slice(0, 8).map(([k, n]) => `${k} ×${(n / per).toFixed(per === 1 ? 0 : 1)}`).join(', ');
  return { total, top };
}
