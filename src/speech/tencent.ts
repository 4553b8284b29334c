/**
 * Tencent Cloud TextToVoice (tencentcloud-sdk-nodejs-tts): natural Mandarin voices, ≤ 150 characters a request,
 * WAV at 8 kHz back, transcoded to AMR-NB with sox (encode.ts). Credentials, region, voice type and endpoint come
 * from the settings (SPEECH_TENCENT_*, TENCENTCLOUD_*); tests point the endpoint at a fake server.
 */
import crypto from 'node:crypto';
import { tts } from 'tencentcloud-sdk-nodejs-tts';
import { wavToAmr } from './encode';
import type { SpeechEngine } from './synthesizer';

export interface TencentOptions {
  secretId: string;
  secretKey: string;
  region: string;
  voiceType: number;
  /** `tts.tencentcloudapi.com` (https) or `http://host:port` for a test's fake. */
  endpoint?: string;
  sox?: string;
}

/** Tencent's Speed: -2 = 0.6×, -1 = 0.8×, 0 = 1×, 1 = 1.2×, 2 = 1.5×, up to 6 = 2.5×. */
const SPEEDS: Array<[number, number]> = [[0.6, -2], [0.8, -1], [1, 0], [1.2, 1], [1.5, 2], [2, 4]];

function tencentSpeed(speed: number): number {
  return SPEEDS.reduce((best, s) => (Math.abs(s[0] - speed) < Math.abs(best[0] - speed) ? s : best))[1];
}

export class TencentEngine implements SpeechEngine {
  readonly name = 'tencent';
  readonly defaultVoice: string;
  readonly maxChars = 150;
  readonly charsPerSecond = 4;
  private readonly client: InstanceType<typeof tts.v20190823.Client>;

  constructor(private readonly opts: TencentOptions) {
    this.defaultVoice = String(opts.voiceType);
    const m = /^(https?:\/\/)?(.+?)\/?$/.exec(opts.endpoint ?? 'tts.tencentcloudapi.com')!;
    this.client = new tts.v20190823.Client({
      credential: { secretId: opts.secretId, secretKey: opts.secretKey },
      region: opts.region,
      profile: { httpProfile: { endpoint: m[2], protocol: m[1] ?? 'https://', reqTimeout: 30 } },
    });
  }

  async amr(text: string, voice: string, speed: number): Promise<Buffer> {
    const res = await this.client.TextToVoice({
      Text: text, SessionId: crypto.randomUUID(), VoiceType: Number(voice), Speed: tencentSpeed(speed),
      Codec: 'wav', SampleRate: 8000, PrimaryLanguage: 1, ModelType: 1,
    });
    if (!res.Audio) throw new Error('Tencent TextToVoice answered without audio');
    return wavToAmr(Buffer.from(res.Audio, 'base64'), this.opts.sox);
  }
}
