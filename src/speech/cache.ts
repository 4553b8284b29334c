/**
 * The synthesizer everyone uses: splits a text into pieces an engine may take (sentence ends, under 60 s), and keeps
 * every recording in DATA_DIR/speech/<sha256 of provider, voice, speed, text>.amr — the same text is synthesized
 * once, also when several deliveries ask for it at the same moment, and by every instance sharing the folder.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { joinAmr, readAmr, VOICE_MAX_BYTES, VOICE_MAX_SECONDS } from './amr';
import { splitForSpeech } from './split';
import type { Recording, SpeechEngine, SpeechOptions, Synthesizer } from './synthesizer';

/** Room left under WeCom's 60 s for the engine's pace being slower than its estimate. */
const TARGET_SECONDS = 45;

export class CachedSynthesizer implements Synthesizer {
  readonly provider: string;
  private readonly inFlight = new Map<string, Promise<Recording>>();

  constructor(private readonly engine: SpeechEngine, readonly dir: string, private readonly defaults: { speed: number }) {
    this.provider = engine.name;
  }

  /** The cache file of a recording's hash (undefined for anything that is not a hash). */
  fileOf(hash: string): string | undefined {
    return /^[0-9a-f]{64}$/.test(hash) ? path.join(this.dir, `${hash}.amr`) : undefined;
  }

  async synthesize(text: string, opts: SpeechOptions = {}): Promise<Recording[]> {
    const voice = opts.voice ?? this.engine.defaultVoice;
    const speed = opts.speed ?? this.defaults.speed;
    const max = Math.max(10, Math.min(this.engine.maxChars, Math.floor(TARGET_SECONDS * this.engine.charsPerSecond * speed)));
    const out: Recording[] = [];
    for (const piece of splitForSpeech(text, max)) out.push(...(await this.pieceRecordings(piece, voice, speed)));
    return out;
  }

  /**
   * One recording for a message: its pieces joined into one file while they fit in 60 s and 2 MB (a voice-style
   * message is at most 80 characters, ~25 s); undefined when there is nothing to say.
   */
  async recording(text: string, opts: SpeechOptions = {}): Promise<Recording | undefined> {
    const parts = await this.synthesize(text, opts);
    if (parts.length <= 1) return parts[0];
    const fitting: Recording[] = [];
    for (const p of parts) {
      const seconds = fitting.reduce((s, r) => s + r.seconds, 0) + p.seconds;
      const bytes = fitting.reduce((s, r) => s + r.bytes, 0) + p.bytes;
      if (seconds > VOICE_MAX_SECONDS || bytes > VOICE_MAX_BYTES) break;
      fitting.push(p);
    }
    if (fitting.length === 1) return fitting[0];
    const hash = sha256(['join', ...fitting.map((r) => r.hash)]);
    return this.cached(hash, async () => joinAmr(await Promise.all(fitting.map((r) => fs.readFile(r.file)))));
  }

  /** A piece as one recording, or halved at a sentence or comma when the engine made it longer than 60 s. */
  private async pieceRecordings(piece: string, voice: string, speed: number): Promise<Recording[]> {
    const hash = sha256([this.engine.name, voice, speed, piece]);
    const rec = await this.cached(hash, () => this.engine.amr(piece, voice, speed));
    if (rec.seconds <= VOICE_MAX_SECONDS && rec.bytes <= VOICE_MAX_BYTES) return [rec];
    const chars = [...piece];
    if (chars.length < 2) throw new Error(`one character took ${rec.seconds} s to say`);
    await fs.rm(rec.file, { force: true });
    const halves = splitForSpeech(piece, Math.ceil(chars.length / 2));
    const parts = halves.length > 1 ? halves : [chars.slice(0, chars.length / 2).join(''), chars.slice(chars.length / 2).join('')];
    const out: Recording[] = [];
    for (const p of parts) out.push(...(await this.pieceRecordings(p, voice, speed)));
    return out;
  }

  /** The cached file, or `make` run once (concurrent callers share it), written whole (temp file, then rename). */
  private cached(hash: string, make: () => Promise<Buffer>): Promise<Recording> {
    const running = this.inFlight.get(hash);
    if (running) return running;
    const job = (async () => {
      const file = path.join(this.dir, `${hash}.amr`);
      const existing = await fs.readFile(file).catch(() => undefined);
      if (existing) return describe(file, hash, existing);
      const amr = await make();
      const info = describe(file, hash, amr); // throws for a file that is not AMR-NB: nothing is cached
      await fs.mkdir(this.dir, { recursive: true });
      const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
      await fs.writeFile(tmp, amr);
      await fs.rename(tmp, file);
      return info;
    })();
    this.inFlight.set(hash, job);
    const forget = () => { this.inFlight.delete(hash); };
    job.then(forget, forget);
    return job;
  }
}

function describe(file: string, hash: string, amr: Buffer): Recording {
  const info = readAmr(amr);
  if (info.frames === 0) throw new Error('the recording is empty');
  return { file, hash, seconds: info.seconds, bytes: amr.length };
}

function sha256(parts: unknown[]): string {
  return crypto.createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** The `none` provider: no recordings; messages go as text alone. */
export class NoSpeech implements Synthesizer {
  readonly provider = 'none';
  async synthesize(): Promise<Recording[]> {
    return [];
  }
  async recording(): Promise<Recording | undefined> {
    return undefined;
  }
  fileOf(): string | undefined {
    return undefined;
  }
}
