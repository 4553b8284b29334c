/** The bench's results: one row per figure, printed as a table at the end and written as JSON. */
import fs from 'node:fs';
import type { Baseline } from './baseline';
import { fmt } from './stats';

export interface Row {
  /** e.g. "roster import". */
  figure: string;
  /** The data size it was measured on, e.g. "20,000 children". */
  size: string;
  /** The absolute figure as printed, e.g. "231 children/s (min 220, max 240)". */
  value: string;
  /** The headline number and its unit, for comparisons. */
  number: number;
  unit: string;
  /** Cost of one item (or the latency) in baseline round trips (ms / baseline ms); undefined when not meaningful. */
  ratio?: number;
  /** Which baseline (phase) the ratio used. */
  baselinePhase: string;
  goal?: string;
  met?: boolean;
  /** Anything else worth keeping (distributions, db operations per item …). */
  detail?: Record<string, unknown>;
}

export class Report {
  readonly rows: Row[] = [];
  readonly baselines: Array<{ phase: string } & Baseline> = [];
  readonly notes: string[] = [];
  readonly extra: Record<string, unknown> = {};

  baseline(phase: string, b: Baseline): void {
    this.baselines.push({ phase, ...b });
    say(`baseline before ${phase}: ${fmt(b.ms, 2)} ms per insertOne+findOne on ${b.docs.toLocaleString('en')} docs `
      + `(min ${fmt(b.reps.min, 2)}, median ${fmt(b.reps.p50, 2)}, max ${fmt(b.reps.max, 2)} over ${b.reps.n} reps; load average ${fmt(b.load1)})`);
  }

  /** Where rows are written as they come (a run stopped halfway keeps what it measured). */
  partial?: { file: string; meta: Record<string, unknown> };

  add(row: Row): void {
    this.rows.push(row);
    if (this.partial) this.write(this.partial.file, { ...this.partial.meta, complete: false });
    say(`→ ${row.figure} [${row.size}]: ${row.value}${row.ratio !== undefined ? `  = ${ratio(row.ratio)}× baseline` : ''}`
      + `${row.goal ? `  goal ${row.goal}: ${row.met ? 'met' : 'MISSED'}` : ''}`);
  }

  note(text: string): void {
    this.notes.push(text);
    say(`note: ${text}`);
  }

  table(): string {
    const head = ['figure', 'size', 'value', '× baseline', 'goal', ''];
    const body = this.rows.map((r) => [r.figure, r.size, r.value, r.ratio !== undefined ? ratio(r.ratio) : '', r.goal ?? '',
      r.goal ? (r.met ? 'met' : 'MISSED') : '']);
    const widths = head.map((h, i) => Math.max(width(h), ...body.map((b) => width(b[i]))));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c + ' '.repeat(widths[i] - width(c))).join(' | ')} |`;
    return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
  }

  write(file: string, meta: Record<string, unknown>): void {
    fs.writeFileSync(file, `${JSON.stringify({ ...meta, baselines: this.baselines, rows: this.rows, notes: this.notes, ...this.extra }, null, 2)}\n`);
  }
}

/** A ratio with two significant digits below 10. */
function ratio(x: number): string {
  return fmt(x, x < 0.1 ? 3 : x < 1 ? 2 : x < 10 ? 1 : 0);
}

/** Display width: CJK characters take two columns. */
function width(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return w;
}

export function say(text: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

export const n = (x: number) => x.toLocaleString('en');
