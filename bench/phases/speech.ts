/**
 * Figure 6 (issue 12): what recordings for guardians cost with the offline default (espeak-ng → sox → AMR-NB),
 * in this process, through the same cache delivery uses (src/speech). Measured on stated sizes, in a fixed order:
 *   a. one voice-style message, cold (a text never synthesized): ms per message, seconds of audio, bytes;
 *   b. the month's notes for 1,000 guardians (every text different: names and notes differ), cold, with
 *      DELIVERY_CONCURRENCY (8) syntheses in flight as the delivery worker runs them: ms per note and wall time;
 *   c. the same 1,000 again, warm (the cache answers): ms per note.
 * Each is also a ratio against the phase's database baseline (one insertOne + findOne), to compare runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CachedSynthesizer } from '../../src/speech/cache';
import { EspeakEngine } from '../../src/speech/espeak';
import type { Bench } from '../lib/context';
import { n, say } from '../lib/report';
import { bounded, boundedParallel, dist, fmt } from '../lib/stats';

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗';
const GIVEN = ['小明', '小华', '子涵', '雨轩', '浩然', '欣怡', '梓萱', '俊杰', '思远', '佳琪'];
const NOTES = ['这个月认真完成作业，上课举手发言多了。', '和同学相处很好，午饭吃得香。', '数学有进步，语文还要多读书。',
  '最近有点想爸爸妈妈，老师多陪他聊天。', '按时到校，没有迟到。', '体育课跑步得了第二名。'];
/** A voice-style piece of a monthly note (≤ 80 characters), different for every child. */
function noteText(i: number): string {
  const name = `${SURNAMES[i % SURNAMES.length]}${GIVEN[Math.floor(i / SURNAMES.length) % GIVEN.length]}`;
  return `${name}${i % 12 + 1}月的成长记录。${NOTES[i % NOTES.length]}${NOTES[(i + 3) % NOTES.length]}编号${i}。`;
}

export async function speechPhase(bench: Bench): Promise<void> {
  const engine = new EspeakEngine();
  const missing = engine.missing();
  if (missing) {
    bench.report.note(`speech phase skipped: ${missing} (apt-get install espeak-ng sox libsox-fmt-base)`);
    return;
  }
  const dir = path.join(bench.workDir, 'speech');
  const speech = new CachedSynthesizer(engine, dir, { speed: 0.9 });
  const base = await bench.baseline('speech');
  const s = bench.settings;
  const notes = s.quick ? 200 : 1000;

  // a. One message, cold, one at a time.
  const single = await bounded({ count: s.quick ? 20 : 50, ms: s.loopMs }, (i) => speech.recording(`一条消息${i}。${NOTES[i % NOTES.length]}`));
  const one = dist(single.times);
  const sample = await speech.recording(noteText(0));
  bench.report.add({
    figure: 'recording, one message (espeak, cold)', size: `${single.done} messages`, number: one.p50, unit: 'ms',
    value: `p50 ${fmt(one.p50, 0)} ms, p95 ${fmt(one.p95, 0)} ms; a note piece: ${fmt(sample?.seconds ?? NaN)} s of audio, ${n(sample?.bytes ?? 0)} bytes`,
    ratio: one.p50 / base.ms, baselinePhase: 'speech', detail: { dist: one, sample },
  });

  // b. The month's notes, all different, as the delivery worker would ask for them.
  const texts = Array.from({ length: notes }, (_, i) => noteText(i + 1));
  const cold = await boundedParallel({ count: notes, ms: s.loopMs * 3 }, 8, (i) => speech.recording(texts[i]!));
  const coldD = dist(cold.times);
  bench.report.add({
    figure: 'recordings, monthly notes (espeak, cold)', size: `${n(cold.done)} notes, 8 at once`, number: cold.wallMs / cold.done, unit: 'ms/note',
    value: `${fmt(cold.wallMs / 1000)} s for ${n(cold.done)} = ${fmt(cold.wallMs / cold.done, 1)} ms a note (each p50 ${fmt(coldD.p50, 0)} ms, p95 ${fmt(coldD.p95, 0)} ms)`
      + `${cold.timedOut ? ' — stopped at the time bound' : ''}`,
    ratio: cold.wallMs / cold.done / base.ms, baselinePhase: 'speech', detail: { dist: coldD, wallMs: cold.wallMs, timedOut: cold.timedOut },
  });

  // c. The same again: the cache.
  const warm = await boundedParallel({ count: cold.done, ms: s.loopMs }, 8, (i) => speech.recording(texts[i]!));
  const warmD = dist(warm.times);
  bench.report.add({
    figure: 'recordings, monthly notes (cache, warm)', size: `${n(warm.done)} notes, 8 at once`, number: warm.wallMs / warm.done, unit: 'ms/note',
    value: `${fmt(warm.wallMs, 0)} ms for ${n(warm.done)} = ${fmt(warm.wallMs / warm.done, 2)} ms a note (each p50 ${fmt(warmD.p50, 2)} ms)`,
    ratio: warm.wallMs / warm.done / base.ms, baselinePhase: 'speech', detail: { dist: warmD, wallMs: warm.wallMs },
  });
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.amr'));
  const bytes = files.reduce((sum, f) => sum + fs.statSync(path.join(dir, f)).size, 0);
  say(`speech cache: ${n(files.length)} files, ${fmt(bytes / 1024 / 1024, 1)} MB`);
}
