/** The speech layer's one small interface (src/speech: below src/bot, beside models; imports no layer above it). */

/** One AMR-NB recording in the cache: `hash` names it (`<hash>.amr`). */
export interface Recording {
  file: string;
  seconds: number;
  bytes: number;
  hash: string;
}

export interface SpeechOptions {
  voice?: string;
  /** 1 = the provider's normal pace; 0.5–2. */
  speed?: number;
}

export interface Synthesizer {
  /** `espeak`, `tencent` or `none`. */
  readonly provider: string;
  /** One or more AMR-NB recordings of `text`, each ≤ 60 s and ≤ 2 MB; none with the `none` provider. */
  synthesize(text: string, opts?: SpeechOptions): Promise<Recording[]>;
}

/** A provider turns one piece of text (already within its limits) into one AMR-NB file. */
export interface SpeechEngine {
  readonly name: string;
  /** The voice used when none is asked for (part of the cache key). */
  readonly defaultVoice: string;
  /** Characters one request may carry. */
  readonly maxChars: number;
  /** Characters a second at speed 1 (to keep a piece under 60 s before trying). */
  readonly charsPerSecond: number;
  amr(text: string, voice: string, speed: number): Promise<Buffer>;
}
