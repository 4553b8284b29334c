/**
 * `npm run bench`: the bot at county scale. Each figure is measured on a stated data size, in a fixed order,
 * repeated, and printed both as an absolute number and as a ratio against a baseline taken in the same run just
 * before its phase (the median of several timings of one insertOne + one unique-indexed findOne on a collection
 * of 10,000 documents; see lib/baseline.ts). Every loop is bounded in count and in time.
 *
 * Order: 1. roster import (300 / 2,000 / 20,000 children) → 2. binding codes through the simulator → 3. a family's
 * question in → reply delivered with the outbox seeded to 0 / 100k / 1M documents (and after the archive step, if
 * the project has one) → 4. the monthly note fan-out for 20,000 children through the fake WeCom server at WeCom's
 * published limits → 5. recordings for guardians (espeak-ng synthesis, cold and cached; phases/speech.ts) → 6. peak
 * memory (VmHWM) of the bot and of the database processes.
 *
 * The bot runs as its own process, as `npm start` runs it (`src/index.ts` under tsx, simulator on, the database
 * given by MONGODB_URI); the bench only drives it over HTTP and seeds the database directly. The database is the
 * server `findMongo` picks (the embedded default, unless MONGODB_URI is set), in a temporary folder.
 *
 * Settings (environment):
 *   BENCH_QUICK=1               smaller sizes (imports 300/2,000, outbox 0/20,000, fan-out 1,000 children)
 *   BENCH_IMPORT_SIZES=300,2000,20000
 *   BENCH_OUTBOX_SIZES=0,100000,1000000
 *   BENCH_FANOUT_CHILDREN=20000
 *   BENCH_FANOUT_MINUTES=15      time bound of the fan-out from the clock move (quick: 5)
 *   BENCH_PHASES=import,binding,question,fanout,speech   a subset, e.g. while working on one
 *   BENCH_LOOP_SECONDS=180      time bound of each measuring loop (quick: 60)
 *   BENCH_OUT=bench/last-run.json
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findMongo } from '../src/models/mongoServer';
import { BaselineProbe } from './lib/baseline';
import { Bench, settingsFromEnv } from './lib/context';
import { n, say } from './lib/report';
import { databasePids, MemSampler, mb, withDescendants } from './lib/rss';
import { fmt } from './lib/stats';
import { familyPhase } from './phases/family';
import { importPhase } from './phases/importRoster';

const GOAL_BOT_MB = 300;

async function main(): Promise<void> {
  const settings = settingsFromEnv();
  const started = new Date();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'liushou-bench-'));
  const dataDir = path.join(workDir, 'db');
  say(`bench ${settings.quick ? '(quick)' : '(full)'}: phases ${[...settings.phases].join(', ')}; work folder ${workDir}`);
  const mongo = await findMongo({ dataDir, log: (m) => say(m) });
  const pids = databasePids(dataDir);
  const serverUri = mongo.uri;
  const probe = await BaselineProbe.open(serverUri);
  const bench = new Bench(settings, mongo, serverUri, workDir, probe);
  bench.sampler = new MemSampler({
    bot: () => (bench.botPid ? [bench.botPid] : []),
    [mongo.source === 'ferretdb-postgresql' || mongo.source === 'ferretdb-sqlite' ? 'ferretdb' : 'database server']: () => (pids.server ? withDescendants([pids.server]) : []),
    postgres: () => (pids.postgres ? withDescendants([pids.postgres]) : []),
  }).start();
  const cpu = os.cpus();
  const machine = {
    cpus: cpu.length, cpuModel: cpu[0]?.model, memGb: Math.round(os.totalmem() / 2 ** 30), node: process.version,
    platform: `${os.type()} ${os.release()}`, database: mongo.source,
  };
  say(`machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memGb} GB; Node ${machine.node}; database ${mongo.source}`);
  const command = `${Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_')).map(([k, v]) => `${k}=${v} `).join('')}npm run bench`;
  bench.report.partial = { file: settings.out, meta: { command, startedAt: started.toISOString(), machine, settings: { ...settings, phases: [...settings.phases] } } };

  // Ctrl-C / kill: stop the bot and the database servers this run started before leaving.
  let interrupted = false;
  const onSignal = (signal: string) => {
    if (interrupted) return;
    interrupted = true;
    say(`${signal}: stopping the bot and the database`);
    void bench.stopBot().catch(() => undefined)
      .then(() => {
        // What was measured so far, with the memory figures, stays in the JSON.
        bench.sampler?.stop();
        memoryRows(bench);
        bench.report.write(settings.out, { ...bench.report.partial?.meta, complete: false, interrupted: signal, table: bench.report.table() });
      })
      .then(() => mongo.stop()).catch(() => undefined)
      .finally(() => { fs.rmSync(workDir, { recursive: true, force: true }); process.exit(130); });
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  let failed: unknown;
  try {
    let county: string | undefined;
    if (settings.phases.has('import')) county = await importPhase(bench);
    if (settings.phases.has('binding') || settings.phases.has('question')) {
      if (!county) {
        // The later phases need the county on file: import the largest roster untimed.
        const size = Math.max(...settings.importSizes);
        county = bench.newDbName(`county${size}`);
        const bot = await bench.startBot(county, `setup import ${n(size)}`);
        const { generateRoster } = await import('./roster');
        const files = await generateRoster(size);
        await bot.importFile('staff', files.staff);
        await bot.importFile('roster', files.roster);
      }
      await familyPhase(bench, county);
    }
    if (county) await bench.dropDatabase(county);
    if (settings.phases.has('fanout')) {
      const { fanoutPhase } = await import('./phases/fanout');
      await fanoutPhase(bench);
    }
    if (settings.phases.has('speech')) {
      const { speechPhase } = await import('./phases/speech');
      await speechPhase(bench);
    }
  } catch (err) {
    failed = err;
    process.stderr.write(`\nbench failed: ${(err as Error).stack}\n`);
    // The work folder goes at the end; the bot's own logs say why it failed, so they are kept beside it.
    const kept = path.join(os.tmpdir(), `liushou-bench-logs-${Date.now()}`);
    fs.mkdirSync(kept, { recursive: true });
    for (const f of fs.readdirSync(workDir).filter((name) => /^bot-.*\.log$/.test(name))) fs.copyFileSync(path.join(workDir, f), path.join(kept, f));
    process.stderr.write(`the bot's logs are kept in ${kept}\n`);
  } finally {
    await bench.stopBot().catch(() => undefined);
    bench.sampler.stop();
    memoryRows(bench);
    await bench.close();
    await mongo.stop();
  }

  const finished = new Date();
  const table = bench.report.table();
  process.stdout.write(`\n${table}\n\n`);
  process.stdout.write(`× baseline: the figure's cost per item (or its latency) divided by the baseline of its phase, one insertOne + one indexed findOne `
    + `on 10,000 docs (median ${bench.report.baselines.map((b) => `${b.phase} ${fmt(b.ms, 2)} ms`).join(', ')}).\n`);
  for (const note of bench.report.notes) process.stdout.write(`note: ${note}\n`);
  bench.report.write(settings.out, {
    command,
    startedAt: started.toISOString(), finishedAt: finished.toISOString(), minutes: (finished.getTime() - started.getTime()) / 60_000,
    machine, settings: { ...settings, phases: [...settings.phases], importRepeats: settings.importSizes.map((s) => [s, settings.importRepeats(s)]) },
    complete: !failed, table,
  });
  say(`written ${path.relative(process.cwd(), settings.out)}; ${((finished.getTime() - started.getTime()) / 60_000).toFixed(1)} min`);
  fs.rmSync(workDir, { recursive: true, force: true });
  if (failed) process.exit(1);
}

/** Figure 5: peak memory of the bot (each bot process's VmHWM at its end) and of the database processes. */
function memoryRows(bench: Bench): void {
  const bots = bench.botMemory;
  if (bots.length) {
    const top = bots.reduce((a, b) => (b.hwmMb > a.hwmMb ? b : a));
    bench.report.add({
      figure: 'peak RSS, bot process', size: top.label, number: top.hwmMb, unit: 'MB',
      value: `${fmt(top.hwmMb, 0)} MB VmHWM (own process, src/index.ts under tsx; highest of ${bots.length} runs; in it, peaks of V8's heap `
        + `${fmt(top.peakHeapUsedMb, 0)} MB used / ${fmt(top.peakHeapTotalMb, 0)} MB reserved, outside it ${fmt(top.peakExternalMb, 0)} MB)`,
      baselinePhase: '', goal: `< ${GOAL_BOT_MB} MB`, met: top.hwmMb < GOAL_BOT_MB, detail: { perRun: bots },
    });
  }
  for (const [name, g] of bench.sampler!.groups) {
    if (name === 'bot') continue;
    bench.report.add({
      figure: `peak RSS, ${name}`, size: 'whole run', number: mb(g.maxHwmKb), unit: 'MB',
      value: `${fmt(mb(g.maxHwmKb), 0)} MB VmHWM of one process (${g.maxHwmComm}); ${fmt(mb(g.peakSumRssKb), 0)} MB summed RSS over `
        + `${Object.entries(g.processes).map(([c, k]) => `${k} ${c}`).join(', ')}`,
      baselinePhase: '', detail: { ...g },
    });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
