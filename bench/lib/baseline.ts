/**
 * The yardstick every figure is divided by: one round trip pair on the same database server in the same run —
 * an insertOne plus a findOne by a unique-indexed key — on a collection of a fixed, stated size (its own
 * database, so what a phase seeds never changes it). Measured REPS times OPS pairs before each phase; the
 * median of the REPS per-pair means is the phase's baseline, and min/max show how steady it was.
 */
import os from 'node:os';
import { MongoClient } from 'mongodb';
import { withDatabase } from '../../src/models/mongoServer';
import { dist, Dist, nowMs } from './stats';

const BASELINE_DOCS = 10_000;
const REPS = 7;
const OPS = 30;
const PAD = '留守儿童家校联系'.repeat(16); // ~384 bytes of UTF-8, the size of a small outbox text

export interface Baseline {
  /** Median ms per (insertOne + indexed findOne). */
  ms: number;
  /** The REPS per-pair means it was taken from. */
  reps: Dist;
  docs: number;
  /** The machine's 1-minute load average when it was taken (other work on the machine shows here). */
  load1: number;
}

export class BaselineProbe {
  private constructor(private readonly client: MongoClient) {}

  static async open(serverUri: string): Promise<BaselineProbe> {
    const client = new MongoClient(withDatabase(serverUri, 'bench_baseline'), { maxPoolSize: 2 });
    await client.connect();
    const probe = new BaselineProbe(client);
    await probe.seed();
    return probe;
  }

  private get coll() {
    return this.client.db().collection<{ k: number; pad: string; at: Date }>('baseline');
  }

  private async seed(): Promise<void> {
    await this.client.db().dropDatabase().catch(() => undefined);
    await this.coll.createIndex({ k: 1 }, { unique: true });
    for (let i = 0; i < BASELINE_DOCS; i += 1000) {
      await this.coll.insertMany(Array.from({ length: Math.min(1000, BASELINE_DOCS - i) }, (_, j) => ({ k: i + j, pad: PAD, at: new Date() })));
    }
  }

  async measure(): Promise<Baseline> {
    const means: number[] = [];
    // One warm-up pair (connection, plan caches), not counted.
    await this.pair(BASELINE_DOCS, 0);
    await this.coll.deleteMany({ k: { $gte: BASELINE_DOCS } });
    for (let r = 0; r < REPS; r++) {
      const t0 = nowMs();
      for (let i = 0; i < OPS; i++) await this.pair(BASELINE_DOCS + i, (r * 7919 + i * 104_729) % BASELINE_DOCS);
      means.push((nowMs() - t0) / OPS);
      // Back to the stated size.
      await this.coll.deleteMany({ k: { $gte: BASELINE_DOCS } });
    }
    const reps = dist(means);
    return { ms: reps.p50, reps, docs: BASELINE_DOCS, load1: os.loadavg()[0] };
  }

  private async pair(newKey: number, existing: number): Promise<void> {
    await this.coll.insertOne({ k: newKey, pad: PAD, at: new Date() });
    const found = await this.coll.findOne({ k: existing });
    if (!found) throw new Error(`baseline: document ${existing} missing`);
  }

  async close(): Promise<void> {
    await this.client.db().dropDatabase().catch(() => undefined);
    await this.client.close();
  }
}
