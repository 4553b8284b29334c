/**
 * The guardians' recordings of the monthly notes are made as the notes come in (the noteRecordings job), not all
 * on the 1st: at county size that was most of an hour of synthesis holding the whole fan-out back. Here with
 * espeak-ng behind a counter: the recording is made the minute after the note is written, the 1st's delivery sends
 * it from the cache without synthesizing it again, and a correction makes it anew.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Child } from '../src/models/child';
import { ProgressNote } from '../src/models/progressNote';
import { CachedSynthesizer } from '../src/speech';
import { EspeakEngine } from '../src/speech/espeak';
import type { SpeechEngine } from '../src/speech/synthesizer';
import { ROSTER_CSV, STAFF_CSV, startTestApp, TestApp } from './helpers/testApp';

jest.setTimeout(120_000);

let t: TestApp;
let dir: string;
/** Every text the engine was asked to speak, in order. */
const spoken: string[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'note-recordings-'));
  const espeak = new EspeakEngine();
  const counting: SpeechEngine = {
    name: espeak.name, defaultVoice: espeak.defaultVoice, maxChars: espeak.maxChars, charsPerSecond: espeak.charsPerSecond,
    amr: (text, voice, speed) => { spoken.push(text); return espeak.amr(text, voice, speed); },
  };
  t = await startTestApp({}, { speech: new CachedSynthesizer(counting, dir, { speed: 1 }) });
  await t.setClock('2026-10-20T10:00:00+08:00');
  expect((await t.importCsv('staff', STAFF_CSV)).body.errors).toEqual([]);
  expect((await t.importCsv('roster', ROSTER_CSV)).body.errors).toEqual([]);
  await t.setClock('2026-11-12T10:00:00+08:00');
  await t.say('grandma', await t.code('王小明', 'guardian'));
});
afterAll(async () => {
  await t?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const note = async () => ProgressNote.findOne({ childId: (await Child.findOne({ name: '王小明' }).lean())!._id, period: '2026-11' }).lean();

it('records a note for the guardian the minute after it is written, and the 1st sends that recording', async () => {
  await t.setClock('2026-11-20T10:00:00+08:00');
  await t.say('zhang', '成长记录 王小明：本月数学进步明显，和同学相处融洽。');
  expect((await note())!.recording).toBe('due');

  const before = spoken.length;
  await t.setClock('2026-11-20T10:01:00+08:00');
  const made = spoken.slice(before);
  expect(made.some((s) => s.includes('数学进步明显'))).toBe(true);
  expect((await note())!.recording).toBe('done');

  // A correction is recorded again.
  await t.say('zhang', '成长记录 王小明：本月数学进步明显，期中考试九十五分。');
  expect((await note())!.recording).toBe('due');
  await t.setClock('2026-11-20T10:02:00+08:00');
  expect(spoken.some((s) => s.includes('九十五分'))).toBe(true);
  expect((await note())!.recording).toBe('done');

  // The 1st at 19:00: the guardian hears the note, and nothing of it is synthesized now.
  const beforeDelivery = spoken.length;
  await t.setClock('2026-12-01T19:00:00+08:00');
  const heard = (await t.inbox('grandma')).filter((m) => m.text.includes('九十五分'));
  expect(heard.length).toBeGreaterThan(0);
  for (const m of heard) expect(m.audio).toEqual(expect.objectContaining({ url: expect.any(String) }));
  expect(spoken.slice(beforeDelivery).filter((s) => s.includes('九十五分'))).toEqual([]);
});
