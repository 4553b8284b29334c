/**
 * Figure 1: roster import throughput, children/s, through the bot's own `POST /api/import/roster` (the staff list
 * first, as a county would), on a fresh database and a fresh bot for each repetition. The same file again
 * (changes nothing) is timed too. A file the bot takes as a background job (202) is followed to its end on
 * `GET /api/import/jobs/:id`. Goal ≥ 200 children/s.
 */
import { generateRoster } from '../roster';
import type { Bench } from '../lib/context';
import { n, say } from '../lib/report';
import { summarizeOps } from '../lib/botProcess';
import { dist, fmt, nowMs } from '../lib/stats';

const GOAL_IMPORT = 200;

/** Runs the import phase; returns the database of the largest size, left with its data for the next phases. */
export async function importPhase(bench: Bench): Promise<string | undefined> {
  const s = bench.settings;
  const base = await bench.baseline('import');
  let keep: string | undefined;
  const sizes = [...s.importSizes].sort((a, b) => a - b);
  for (const size of sizes) {
    const files = await generateRoster(size);
    const rates: number[] = [];
    const secs: number[] = [];
    const again: number[] = [];
    let staffS = 0;
    let ops: Record<string, number> = {};
    const reps = s.importRepeats(size);
    for (let r = 0; r < reps; r++) {
      const db = bench.newDbName(`import${size}`);
      const bot = await bench.startBot(db, `import ${n(size)}`);
      let t0 = nowMs();
      const staff = await bot.importFile('staff', files.staff);
      staffS = (nowMs() - t0) / 1000;
      if (staff.errors?.length) throw new Error(`staff import errors: ${JSON.stringify(staff.errors.slice(0, 3))}`);
      bot.resetOps();
      t0 = nowMs();
      const res = await bot.importFile('roster', files.roster);
      const sec = (nowMs() - t0) / 1000;
      ops = await bot.ops();
      if (res.errors?.length || res.created !== size) throw new Error(`roster import: created ${res.created} of ${size}, errors ${JSON.stringify(res.errors?.slice(0, 3))}`);
      // The same file again (changes nothing), up to 2,000 children: at county size it only adds minutes.
      let sec2 = NaN;
      if (size <= 2000) {
        t0 = nowMs();
        const res2 = await bot.importFile('roster', files.roster);
        sec2 = (nowMs() - t0) / 1000;
        if (res2.created || res2.updated) throw new Error(`importing the same file again changed ${res2.created} + ${res2.updated}`);
        again.push(size / sec2);
      }
      secs.push(sec);
      rates.push(size / sec);
      say(`import ${n(size)} children, rep ${r + 1}/${reps}: staff (${n(files.teachers)}) ${fmt(staffS)} s, roster ${fmt(sec)} s = ${fmt(size / sec, 0)} children/s`
        + `${again.length ? `; same file again ${fmt(sec2)} s` : ''}`);
      const last = size === sizes[sizes.length - 1] && r === reps - 1;
      await bench.stopBot();
      if (last) keep = db;
      else await bench.dropDatabase(db);
    }
    const d = dist(rates);
    const a = dist(again);
    const o = summarizeOps(ops, size);
    bench.report.add({
      figure: 'roster import', size: `${n(size)} children`, number: d.p50, unit: 'children/s',
      value: `${fmt(d.p50, 0)} children/s (min ${fmt(d.min, 0)}, max ${fmt(d.max, 0)}, ${reps} run${reps > 1 ? 's' : ''}; ${fmt(dist(secs).p50)} s)`,
      ratio: (1000 / d.p50) / base.ms, baselinePhase: 'import', goal: `≥ ${GOAL_IMPORT}/s`, met: d.p50 >= GOAL_IMPORT,
      detail: { rates, seconds: secs, staffSeconds: staffS, teachers: files.teachers, dbOpsPerChild: o.total, dbOpsTop: o.top },
    });
    if (again.length) bench.report.add({
      figure: 'roster re-import (no change)', size: `${n(size)} children`, number: a.p50, unit: 'children/s',
      value: `${fmt(a.p50, 0)} children/s (min ${fmt(a.min, 0)}, max ${fmt(a.max, 0)})`,
      ratio: (1000 / a.p50) / base.ms, baselinePhase: 'import', detail: { rates: again },
    });
  }
  return keep;
}
