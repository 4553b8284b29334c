/**
 * Recognition of what a family member says in a voice message (issue 12): one small interface, providers
 * `tencent` (Tencent Cloud 一句话识别) and `none`. No offline Mandarin model ships in a package we can use, so
 * `none` is the default and a voice message then goes to the teacher as a recording, as before.
 */
import { asr } from 'tencentcloud-sdk-nodejs-asr';
import type { Config } from '../config';

/** A voice message's bytes, as the channel fetched them (WeCom: AMR-NB; 微信客服 can also give SILK). */
export interface VoiceAudio {
  data: Buffer;
  format: 'amr' | 'silk' | 'mp3' | 'wav';
}

export interface Recognizer {
  /** `tencent` or `none`. */
  readonly provider: string;
  /** What was said, as text ('' when nothing was understood); throws when the service failed. */
  transcribe(audio: VoiceAudio): Promise<string>;
}

/** Recognition off: callers skip fetching the audio at all. */
class NoRecognition implements Recognizer {
  readonly provider = 'none';
  async transcribe(): Promise<string> {
    return '';
  }
}

/** WeCom's and 微信客服's voice limits: 60 s and 2 MB; Tencent's: 60 s and 3 MB after base64. */
const MAX_BYTES = 2 * 1024 * 1024;

interface TencentRecognizerOptions {
  secretId: string;
  secretKey: string;
  region: string;
  /** `8k_zh` (telephone Mandarin: AMR-NB is 8 kHz), `16k_zh_dialect` for 23 dialects on 16 kHz audio, … */
  engine: string;
  /** `asr.tencentcloudapi.com` (https) or `http://host:port` for a test's fake. */
  endpoint?: string;
}

class TencentRecognizer implements Recognizer {
  readonly provider = 'tencent';
  private readonly client: InstanceType<typeof asr.v20190614.Client>;

  constructor(private readonly opts: TencentRecognizerOptions) {
    const m = /^(https?:\/\/)?(.+?)\/?$/.exec(opts.endpoint ?? 'asr.tencentcloudapi.com')!;
    this.client = new asr.v20190614.Client({
      credential: { secretId: opts.secretId, secretKey: opts.secretKey },
      region: opts.region,
      profile: { httpProfile: { endpoint: m[2], protocol: m[1] ?? 'https://', reqTimeout: 20 } },
    });
  }

  async transcribe(audio: VoiceAudio): Promise<string> {
    if (audio.data.length > MAX_BYTES) throw new Error(`voice message of ${audio.data.length} bytes is over the 2 MB recognition limit`);
    const res = await this.client.SentenceRecognition({
      EngSerViceType: this.opts.engine, SourceType: 1, VoiceFormat: audio.format,
      Data: audio.data.toString('base64'), DataLen: audio.data.length, FilterDirty: 0, FilterModal: 1,
    });
    return (res.Result ?? '').trim();
  }
}

export type RecognitionConfig = Pick<Config, 'SPEECH_RECOGNITION' | 'SPEECH_ASR_ENGINE' | 'SPEECH_ASR_ENDPOINT'
  | 'TENCENTCLOUD_SECRET_ID' | 'TENCENTCLOUD_SECRET_KEY' | 'TENCENTCLOUD_REGION'>;

export function createRecognizer(config: RecognitionConfig): Recognizer {
  if (config.SPEECH_RECOGNITION !== 'tencent') return new NoRecognition();
  return new TencentRecognizer({
    secretId: config.TENCENTCLOUD_SECRET_ID!, secretKey: config.TENCENTCLOUD_SECRET_KEY!, region: config.TENCENTCLOUD_REGION,
    engine: config.SPEECH_ASR_ENGINE, endpoint: config.SPEECH_ASR_ENDPOINT,
  });
}
