/** What every phase of the bench shares: settings, the database server, the baseline, memory sampling, the report. */
import crypto from 'node:crypto';
import path from 'node:path';
import mongoose from 'mongoose';
import { connectDatabase, disconnectDatabase } from '../../src/models/connect';
import { MongoHandle, withDatabase } from '../../src/models/mongoServer';
import { Baseline, BaselineProbe } from './baseline';
import { BotProcess } from './botProcess';
import { Report, say } from './report';
import { MemSampler, procMem } from './rss';

export interface Settings {
  quick: boolean;
  phases: Set<string>;
  importSizes: number[];
  /** Repetitions of the import per size (each on a fresh database and a fresh bot). */
  importRepeats: (n: number) => number;
  bindingSequential: number;
  bindingParallel: number;
  bindingConcurrency: number;
  outboxSizes: number[];
  /** Sent share of the seeded outbox; the rest is pending, due in the future. */
  outboxPendingShare: number;
  questions: number;
  fanoutChildren: number;
  /** Time bound of the fan-out, from the clock move (minutes). */
  fanoutMinutes: number;
  /** Time bound for the bot to make the guardians' note recordings before the fan-out (minutes). */
  recordingMinutes: number;
  /** Time bound of the outbox archive step at each size (ms). */
  /** Time bound of any one measuring loop (ms). */
  loopMs: number;
  out: string;
}

function list(v: string | undefined, dflt: number[]): number[] {
  if (!v) return dflt;
  return v.split(',').map((s) => Number(s.trim().replace(/_/g, ''))).filter((x) => Number.isFinite(x) && x >= 0);
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): Settings {
  const quick = ['1', 'true', 'yes'].includes(env.BENCH_QUICK ?? '');
  const phases = new Set((env.BENCH_PHASES ?? 'import,binding,question,fanout,speech').split(',').map((s) => s.trim()).filter(Boolean));
  return {
    quick,
    phases,
    importSizes: list(env.BENCH_IMPORT_SIZES, quick ? [300, 2000] : [300, 2000, 20_000]),
    importRepeats: (n) => (n <= 300 ? 3 : n <= 2000 ? (quick ? 1 : 2) : 1),
    bindingSequential: quick ? 40 : 200,
    bindingParallel: quick ? 80 : 400,
    bindingConcurrency: 8,
    outboxSizes: list(env.BENCH_OUTBOX_SIZES, quick ? [0, 20_000] : [0, 100_000, 1_000_000]),
    outboxPendingShare: Number(env.BENCH_OUTBOX_PENDING_SHARE ?? 0.02),
    questions: quick ? 40 : 200,
    fanoutChildren: Number(env.BENCH_FANOUT_CHILDREN ?? (quick ? 1000 : 20_000)),
    fanoutMinutes: Number(env.BENCH_FANOUT_MINUTES ?? (quick ? 5 : 15)),
    recordingMinutes: Number(env.BENCH_RECORDING_MINUTES ?? (quick ? 3 : 40)),
    loopMs: Number(env.BENCH_LOOP_SECONDS ?? (quick ? 60 : 120)) * 1000,
    out: path.resolve(env.BENCH_OUT ?? path.join(__dirname, '..', 'last-run.json')),
  };
}

export interface BotMemory {
  label: string;
  hwmMb: number;
  /** Peaks of process.memoryUsage() sampled in the bot every 2 s: where the resident memory is. */
  peakHeapUsedMb: number;
  peakHeapTotalMb: number;
  peakExternalMb: number;
}

export class Bench {
  readonly report = new Report();
  readonly botMemory: BotMemory[] = [];
  private bots = new Set<BotProcess>();
  private current?: BotProcess;
  sampler?: MemSampler;

  constructor(
    readonly settings: Settings,
    readonly mongo: MongoHandle,
    readonly serverUri: string,
    readonly workDir: string,
    private readonly probe: BaselineProbe,
  ) {}

  /** The baseline measured now, recorded for `phase`. */
  async baseline(phase: string): Promise<Baseline> {
    const b = await this.probe.measure();
    this.report.baseline(phase, b);
    return b;
  }

  newDbName(prefix: string): string {
    return `bench_${prefix}_${crypto.randomBytes(3).toString('hex')}`;
  }

  dbUri(name: string): string {
    return withDatabase(this.serverUri, name);
  }

  /** Connects the bench's own mongoose (the models of src/models) to a database, for seeding. */
  async useDatabase(name: string): Promise<void> {
    if (mongoose.connection.readyState !== 0) await disconnectDatabase();
    await connectDatabase(this.dbUri(name));
  }

  /** Drops a database the bench no longer needs (without connecting the models to it). */
  async dropDatabase(name: string): Promise<void> {
    const conn = await mongoose.createConnection(this.dbUri(name)).asPromise();
    await conn.dropDatabase().catch(() => undefined);
    await conn.close();
  }

  async dropAndDisconnect(): Promise<void> {
    if (mongoose.connection.readyState === 1) await mongoose.connection.db?.dropDatabase().catch(() => undefined);
    if (mongoose.connection.readyState !== 0) await disconnectDatabase();
  }

  /** Starts a bot process on a database (the one running before is stopped first). */
  async startBot(dbName: string, label: string, env: Record<string, string> = {}): Promise<BotProcess> {
    await this.stopBot();
    const t0 = Date.now();
    const bot = await BotProcess.start({
      mongoUri: this.dbUri(dbName), dataDir: path.join(this.workDir, `bot-${dbName}`), env,
      logFile: path.join(this.workDir, `bot-${dbName}.log`),
    });
    say(`bot started (pid ${bot.pid}, ${label}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    this.bots.add(bot);
    this.current = bot;
    (bot as unknown as { label: string }).label = label;
    return bot;
  }

  /** The running bot's pid for memory sampling. */
  get botPid(): number | undefined {
    return this.current?.pid;
  }

  /** Stops the current bot, keeping its peak memory (VmHWM, read just before it stops). */
  async stopBot(): Promise<void> {
    const bot = this.current;
    if (!bot) return;
    this.sampler?.sample();
    const mem = procMem(bot.pid);
    const peaks = await bot.memory().catch(() => ({} as Record<string, number>));
    const mb = (k: string) => (peaks[k] ?? NaN) / 1048576;
    if (mem) {
      this.botMemory.push({
        label: (bot as unknown as { label: string }).label, hwmMb: mem.hwmKb / 1024,
        peakHeapUsedMb: mb('heapUsed'), peakHeapTotalMb: mb('heapTotal'), peakExternalMb: mb('external'),
      });
    }
    await bot.stop();
    this.bots.delete(bot);
    this.current = undefined;
  }

  async close(): Promise<void> {
    for (const b of this.bots) await b.stop().catch(() => undefined);
    await this.dropAndDisconnect().catch(() => undefined);
    await this.probe.close().catch(() => undefined);
  }
}
