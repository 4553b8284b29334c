/**
 * The speech layer (docs/ARCHITECTURE.md): recordings of what the bot says, for guardians in voice style. Below
 * src/bot (delivery attaches a recording to each voice-style message) and imports no layer above it.
 */
import path from 'node:path';
import type { Config } from '../config';
import type { Logger } from '../log';
import { CachedSynthesizer, NoSpeech } from './cache';
import { EspeakEngine, EspeakOptions } from './espeak';
import type { Recording, SpeechOptions, Synthesizer } from './synthesizer';
import { TencentEngine } from './tencent';

export { CachedSynthesizer, NoSpeech } from './cache';

/** What delivery and the routes need: a recording per message, and the file behind a recording's hash. */
export interface Speech extends Synthesizer {
  recording(text: string, opts?: SpeechOptions): Promise<Recording | undefined>;
  fileOf(hash: string): string | undefined;
}

export type SpeechConfig = Pick<Config, 'DATA_DIR' | 'SPEECH_PROVIDER' | 'SPEECH_SPEED' | 'TENCENTCLOUD_SECRET_ID' | 'TENCENTCLOUD_SECRET_KEY'
  | 'TENCENTCLOUD_REGION' | 'SPEECH_TENCENT_VOICE_TYPE' | 'SPEECH_TENCENT_ENDPOINT'>;

/**
 * The provider SPEECH_PROVIDER asks for: `auto` is espeak when espeak-ng and sox (with AMR) are installed, else
 * none; `espeak` without them falls back to none, said once in the log.
 */
export function createSpeech(config: SpeechConfig, log: Logger, espeak: EspeakOptions = {}): Speech {
  const dir = path.resolve(config.DATA_DIR, 'speech');
  const defaults = { speed: config.SPEECH_SPEED };
  switch (config.SPEECH_PROVIDER) {
    case 'none':
      return new NoSpeech();
    case 'tencent':
      return new CachedSynthesizer(new TencentEngine({
        secretId: config.TENCENTCLOUD_SECRET_ID!, secretKey: config.TENCENTCLOUD_SECRET_KEY!, region: config.TENCENTCLOUD_REGION,
        voiceType: config.SPEECH_TENCENT_VOICE_TYPE, endpoint: config.SPEECH_TENCENT_ENDPOINT,
      }), dir, defaults);
    default: {
      const engine = new EspeakEngine(espeak);
      const missing = engine.missing();
      if (missing) {
        const level = config.SPEECH_PROVIDER === 'espeak' ? 'warn' : 'info';
        log[level]({ provider: config.SPEECH_PROVIDER }, `speech: ${missing}; guardians get text without recordings`);
        return new NoSpeech();
      }
      log.info({ provider: 'espeak', dir }, 'speech: recordings for voice-style messages with espeak-ng');
      return new CachedSynthesizer(engine, dir, defaults);
    }
  }
}
