/**
 * src/speech: recordings for guardians. espeak-ng and sox are installed by .ci/install-chromium.sh (test setup);
 * these tests need them and fail without them. Tencent's TextToVoice is a fake on 127.0.0.1.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/log';
import { createSpeech, CachedSynthesizer, NoSpeech } from '../src/speech';
import { EspeakEngine } from '../src/speech/espeak';
import { toTonedPinyin } from '../src/speech/pinyin';
import { splitForSpeech } from '../src/speech/split';
import { TencentEngine } from '../src/speech/tencent';
import { readAmr } from '../src/speech/amr';
import { wavToAmr } from '../src/speech/encode';
import { checkAmr, decodedSeconds } from './helpers/amr';

const SENTENCE = '王小明的成长记录：本月学习认真。';
const NOTE = '王小明这个月学习认真，作业按时完成，和同学相处融洽。老师说他进步很大，希望家长多打电话鼓励他。'
  + '天气转凉了，请给孩子添衣服，晚上早点睡觉。下周五下午学校开家长会，请您准时参加。如果有事来不了，请回复数字二。';

let dir: string;
beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'speech-')); });
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function espeak(runs: string[] = []): CachedSynthesizer {
  return new CachedSynthesizer(new EspeakEngine({ onRun: (t) => runs.push(t) }), dir, { speed: 1 });
}

describe('pinyin for espeak-ng', () => {
  it('reads names and polyphonic characters by their words, neutral tone as 5', () => {
    expect(toTonedPinyin(SENTENCE)).toBe('wang2 xiao3 ming2 de5 cheng2 zhang3 ji4 lu4 , ben3 yue4 xue2 xi2 ren4 zhen1 .');
    expect(toTonedPinyin('长大了，去重庆')).toBe('zhang3 da4 le5 , qu4 chong2 qing4');
    expect(toTonedPinyin('绿色')).toBe('lv4 se4');
  });

  it('is read as Mandarin by cmn-latn-pinyin, where the plain cmn voice spells the characters in English', () => {
    const phonemes = (voice: string, text: string) => execFileSync('espeak-ng', ['-q', '-x', '-v', voice, text], { encoding: 'utf8' });
    // This build's cmn voice switches to English for 小明 (the reason for the pinyin route).
    expect(phonemes('cmn', '王小明')).toContain('(en)');
    const viaPinyin = phonemes('cmn-latn-pinyin', toTonedPinyin(SENTENCE));
    expect(viaPinyin).not.toContain('(en)');
    expect(viaPinyin).toMatch(/S;j'Au21/); // xiao3
  });
});

describe('AMR encoding without DTX frames', () => {
  it('a pause inside a recording is coded as 12.2 kbit/s frames of silence, not SID/NO_DATA, at the same length', async () => {
    // Tone 0.5 s, silence 1 s, tone 0.5 s (the last silence is trimmed): sox's encoder codes the pause as SID/NO_DATA.
    const wav = execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', '-t', 'wav', '-',
      'synth', '0.5', 'sine', '440', 'pad', '0', '1', 'repeat', '1']);
    const withDtx = readAmr(execFileSync('sox', ['-q', '-t', 'wav', '-', '-t', 'amr-nb', '-C', '7', '-'], { input: wav }));
    expect((withDtx.types[8] ?? 0) + (withDtx.types[15] ?? 0)).toBeGreaterThan(10);
    const amr = await wavToAmr(wav);
    const info = readAmr(amr);
    expect(info.types).toEqual({ 7: info.frames });
    // Tone, pause, tone: 2 s (the trailing second trimmed), the pause kept at its length.
    expect(info.seconds).toBeCloseTo(2, 1);
    const file = path.join(os.tmpdir(), `nodtx-${process.pid}.amr`);
    fs.writeFileSync(file, amr);
    try {
      expect(decodedSeconds(file)).toBeCloseTo(info.seconds, 1);
      // The middle second decodes to silence: its peak is far below the tone's.
      const peak = (from: number, len: number) => Number(/Maximum amplitude:\s+([\d.]+)/.exec(
        spawnSync('sox', ['-t', 'amr-nb', file, '-n', 'trim', String(from), String(len), 'stat'], { encoding: 'utf8' }).stderr)![1]);
      expect(peak(0.1, 0.3)).toBeGreaterThan(0.5);
      expect(peak(0.75, 0.6)).toBeLessThan(0.01);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
});

describe('the espeak provider', () => {
  it('records a sentence with a name as one valid AMR-NB file whose declared length matches its frames', async () => {
    const [rec, ...more] = await espeak().synthesize(SENTENCE);
    expect(more).toHaveLength(0);
    const amr = checkAmr(rec.file);
    expect(rec.seconds).toBeCloseTo(amr.seconds, 5);
    expect(rec.bytes).toBe(amr.bytes);
    expect(rec.seconds).toBeGreaterThan(2); // 15 syllables, not a blip
    expect(rec.seconds).toBeLessThan(10);
    expect(path.basename(rec.file)).toBe(`${rec.hash}.amr`);
    // opencore's decoder (through sox) reads it back whole.
    expect(decodedSeconds(rec.file)).toBeCloseTo(rec.seconds, 1);
  });

  it('splits a long text at sentence ends into recordings each under 60 s', async () => {
    const long = NOTE.repeat(4);
    const runs: string[] = [];
    const recs = await espeak(runs).synthesize(long);
    expect(recs.length).toBeGreaterThan(1);
    for (const r of recs) {
      const amr = checkAmr(r.file);
      expect(amr.seconds).toBeLessThan(60);
      expect(r.seconds).toBeCloseTo(amr.seconds, 5);
    }
    // Every piece ends at a sentence end, and together they are the whole text.
    expect(runs.join('')).toBe(long);
    for (const piece of runs) expect(piece).toMatch(/[。！？]$/);
    const total = recs.reduce((s, r) => s + r.seconds, 0);
    expect(total).toBeGreaterThan(60);
  });

  it('joins the pieces of a message into one recording while they fit in 60 s', async () => {
    const rec = await espeak().recording(NOTE);
    expect(rec).toBeDefined();
    const amr = checkAmr(rec!.file);
    expect(rec!.seconds).toBeCloseTo(amr.seconds, 5);
    expect(decodedSeconds(rec!.file)).toBeCloseTo(rec!.seconds, 1);
  });

  it('synthesizes the same text once: a second call and concurrent calls hit the cache', async () => {
    const runs: string[] = [];
    const s = espeak(runs);
    const first = (await s.synthesize(SENTENCE))[0];
    const mtime = fs.statSync(first.file).mtimeMs;
    const again = (await s.synthesize(SENTENCE))[0];
    expect(runs).toHaveLength(1);
    expect(again).toEqual(first);
    expect(fs.statSync(first.file).mtimeMs).toBe(mtime);
    // A new instance on the same folder (a restart, a second bot) finds it too.
    expect((await espeak(runs).synthesize(SENTENCE))[0].hash).toBe(first.hash);
    expect(runs).toHaveLength(1);
    // Ten deliveries asking for a new text at the same moment: one synthesis.
    const same = await Promise.all(Array.from({ length: 10 }, () => s.synthesize('奶奶好，孩子今天很好。')));
    expect(runs).toHaveLength(2);
    expect(new Set(same.map((r) => r[0].hash)).size).toBe(1);
    // Another speed is another recording.
    await s.synthesize(SENTENCE, { speed: 0.7 });
    expect(runs).toHaveLength(3);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.amr'))).toHaveLength(3);
  });

  it('splits at sentence ends, then commas, and never loses text', () => {
    expect(splitForSpeech('第一句。第二句！第三句？', 5)).toEqual(['第一句。', '第二句！', '第三句？']);
    expect(splitForSpeech('一二三，四五六，七八九。', 8)).toEqual(['一二三，四五六，', '七八九。']);
    expect(splitForSpeech('一'.repeat(25), 10).join('')).toBe('一'.repeat(25));
    expect(splitForSpeech('。。', 10)).toEqual([]);
  });
});

describe('choosing the provider', () => {
  const base = { DATA_DIR: '/tmp/unused', SPEECH_PROVIDER: 'auto' };
  it('uses espeak when it is installed, and falls back to none (logged once) when the binary is missing', () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (l: string) => { lines.push(l); } });
    expect(createSpeech(loadConfig(base), log).provider).toBe('espeak');
    const missing = createSpeech(loadConfig({ ...base, SPEECH_PROVIDER: 'espeak' }), log, { espeak: '/nonexistent/espeak-ng' });
    expect(missing).toBeInstanceOf(NoSpeech);
    const warned = lines.filter((l) => l.includes('/nonexistent/espeak-ng is not installed'));
    expect(warned).toHaveLength(1);
    expect(JSON.parse(warned[0]).level).toBe(40);
    expect(createSpeech(loadConfig({ ...base, SPEECH_PROVIDER: 'none' }), log).provider).toBe('none');
  });

  it('refuses SPEECH_PROVIDER=tencent without keys, naming them', () => {
    expect(() => loadConfig({ SPEECH_PROVIDER: 'tencent' })).toThrow(/TENCENTCLOUD_SECRET_ID: required with SPEECH_PROVIDER=tencent/);
    expect(() => loadConfig({ SPEECH_SPEED: '3' })).toThrow(/SPEECH_SPEED/);
  });
});

describe('the Tencent provider against a fake TextToVoice on 127.0.0.1', () => {
  /** A 16-bit mono WAV of a tone: what the fake answers for `seconds` of speech. */
  function toneWav(seconds: number, rate = 8000): Buffer {
    const n = Math.round(seconds * rate);
    const data = Buffer.alloc(n * 2);
    for (let i = 0; i < n; i++) data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
    const h = Buffer.alloc(44);
    h.write('RIFF', 0); h.writeUInt32LE(36 + data.length, 4); h.write('WAVE', 8); h.write('fmt ', 12);
    h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22); h.writeUInt32LE(rate, 24);
    h.writeUInt32LE(rate * 2, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34); h.write('data', 36); h.writeUInt32LE(data.length, 40);
    return Buffer.concat([h, data]);
  }

  let server: http.Server;
  let endpoint: string;
  const calls: Array<{ action?: string; auth?: string; body: Record<string, unknown> }> = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        const parsed = JSON.parse(body) as { Text: string };
        calls.push({ action: req.headers['x-tc-action'] as string, auth: req.headers.authorization, body: parsed });
        res.setHeader('Content-Type', 'application/json');
        if (parsed.Text.includes('出错')) {
          return void res.end(JSON.stringify({ Response: { Error: { Code: 'InternalError', Message: 'boom' }, RequestId: 'r0' } }));
        }
        // About 4 characters a second, like the real voices.
        res.end(JSON.stringify({ Response: { Audio: toneWav([...parsed.Text].length / 4).toString('base64'), SessionId: 's', RequestId: 'r1' } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => { calls.length = 0; });

  const config = () => loadConfig({
    DATA_DIR: dir, SPEECH_PROVIDER: 'tencent', TENCENTCLOUD_SECRET_ID: 'AKIDtest', TENCENTCLOUD_SECRET_KEY: 'secret',
    SPEECH_TENCENT_VOICE_TYPE: '101004', SPEECH_TENCENT_ENDPOINT: endpoint, SPEECH_SPEED: '0.8',
  });

  it('asks TextToVoice for 8 kHz WAV with the voice and speed of the settings, signed, and returns AMR-NB', async () => {
    const speech = createSpeech(config(), createLogger('silent'));
    expect(speech.provider).toBe('tencent');
    const [rec] = await speech.synthesize(SENTENCE);
    expect(calls).toHaveLength(1);
    expect(calls[0].action).toBe('TextToVoice');
    expect(calls[0].auth).toMatch(/^TC3-HMAC-SHA256 Credential=AKIDtest\//);
    expect(calls[0].body).toMatchObject({ Text: SENTENCE, VoiceType: 101004, Speed: -1, Codec: 'wav', SampleRate: 8000 });
    const amr = checkAmr(rec.file);
    expect(rec.seconds).toBeCloseTo(amr.seconds, 5);
    expect(rec.seconds).toBeGreaterThan(3.5); // the 4 s tone, trimmed by no more than its edges
    // Cached: asked once.
    await speech.synthesize(SENTENCE);
    expect(calls).toHaveLength(1);
  });

  it('sends at most 150 characters a request, cut at sentence ends', async () => {
    const speech = createSpeech(config(), createLogger('silent'));
    const recs = await speech.synthesize(NOTE.repeat(3));
    expect(calls.length).toBeGreaterThan(2);
    for (const c of calls) {
      expect([...String(c.body.Text)].length).toBeLessThanOrEqual(150);
      expect(String(c.body.Text)).toMatch(/[。！？]$/);
    }
    expect(calls.map((c) => c.body.Text).join('')).toBe(NOTE.repeat(3));
    for (const r of recs) expect(checkAmr(r.file).seconds).toBeLessThan(60);
  });

  it('passes an error of the service on, and caches nothing', async () => {
    const engine = new TencentEngine({ secretId: 'a', secretKey: 'b', region: 'ap-guangzhou', voiceType: 101001, endpoint });
    const speech = new CachedSynthesizer(engine, dir, { speed: 1 });
    await expect(speech.synthesize('这里出错了。')).rejects.toThrow(/boom/);
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
  });
});
