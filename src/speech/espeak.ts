/**
 * Offline Mandarin: Debian's espeak-ng with its `cmn-latn-pinyin` voice, fed toned pinyin (pinyin.ts), WAV → AMR-NB
 * with sox (encode.ts). Formant speech: robotic but clear; ~0.05 s a sentence. Needs the apt packages espeak-ng,
 * sox and libsox-fmt-base (.ci/install-chromium.sh installs them).
 */
import { wavToAmr, soxWritesAmr } from './encode';
import { toTonedPinyin } from './pinyin';
import { probe, run } from './process';
import type { SpeechEngine } from './synthesizer';

const ESPEAK_VOICE = 'cmn-latn-pinyin';
/** espeak's words a minute at speed 1: a Chinese syllable counts as a word (≈ 3 characters a second). */
const WPM = 160;

export interface EspeakOptions {
  espeak?: string;
  sox?: string;
  /** Called with each run of espeak-ng (tests count them to see the cache work). */
  onRun?: (text: string) => void;
}

export class EspeakEngine implements SpeechEngine {
  readonly name = 'espeak';
  readonly defaultVoice = ESPEAK_VOICE;
  readonly maxChars = 150;
  readonly charsPerSecond = 3.2;
  private readonly espeak: string;
  private readonly sox: string;

  constructor(private readonly opts: EspeakOptions = {}) {
    this.espeak = opts.espeak ?? 'espeak-ng';
    this.sox = opts.sox ?? 'sox';
  }

  /** What is missing for this engine to work (binaries, sox's AMR support), or undefined when all is there. */
  missing(): string | undefined {
    if (!probe(this.espeak, ['--version'])) return `${this.espeak} is not installed (apt-get install espeak-ng)`;
    const soxHelp = probe(this.sox, ['-h']);
    if (!soxHelp) return `${this.sox} is not installed (apt-get install sox libsox-fmt-base)`;
    if (!soxWritesAmr(soxHelp)) return `${this.sox} cannot write AMR-NB (apt-get install libsox-fmt-base)`;
    return undefined;
  }

  async amr(text: string, voice: string, speed: number): Promise<Buffer> {
    this.opts.onRun?.(text);
    const wav = await run(this.espeak, ['-v', voice, '-s', String(Math.round(WPM * speed)), '--stdout'], toTonedPinyin(text));
    return wavToAmr(wav, this.sox);
  }
}
