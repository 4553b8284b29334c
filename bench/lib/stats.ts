/** Small statistics and bounded loops for the bench: every loop stops at a count or a deadline, whichever first. */

export interface Dist {
  n: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of sorted values. */
function rank(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function dist(values: number[]): Dist {
  const s = [...values].sort((a, b) => a - b);
  const sum = s.reduce((a, b) => a + b, 0);
  return { n: s.length, min: s[0] ?? NaN, p50: rank(s, 50), p95: rank(s, 95), p99: rank(s, 99), max: s[s.length - 1] ?? NaN, mean: s.length ? sum / s.length : NaN };
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export interface Bound {
  /** At most this many iterations. */
  count: number;
  /** And at most this long (ms); the loop ends after the iteration that passes it. */
  ms: number;
}

export interface LoopResult {
  /** Duration of each iteration (ms). */
  times: number[];
  /** Wall time of the whole loop (ms). */
  wallMs: number;
  /** Iterations done (may be < count when the time bound hit). */
  done: number;
  timedOut: boolean;
}

/** Runs `fn(i)` one after another, bounded by count and time. */
export async function bounded(bound: Bound, fn: (i: number) => Promise<unknown>): Promise<LoopResult> {
  const start = nowMs();
  const times: number[] = [];
  let i = 0;
  for (; i < bound.count; i++) {
    if (nowMs() - start > bound.ms) break;
    const t0 = nowMs();
    await fn(i);
    times.push(nowMs() - t0);
  }
  return { times, wallMs: nowMs() - start, done: i, timedOut: i < bound.count };
}

/** Runs `fn(i)` for i in [0, count) with `concurrency` in flight, bounded by count and time. */
export async function boundedParallel(bound: Bound, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<LoopResult> {
  const start = nowMs();
  const times: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < bound.count && nowMs() - start <= bound.ms) {
      const i = next++;
      const t0 = nowMs();
      await fn(i);
      times.push(nowMs() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return { times, wallMs: nowMs() - start, done: times.length, timedOut: times.length < bound.count };
}

export function fmt(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return '–';
  return x.toFixed(digits);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
