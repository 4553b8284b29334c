/**
 * A fake Tencent Cloud 一句话识别 (SentenceRecognition) on 127.0.0.1, for the recognition tests: it answers the
 * transcript a test registered for a recording's exact bytes, checks what the real service would (a TC3 signature,
 * the action, base64 audio that is AMR, its length), and can fail on request.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';

export interface AsrCall {
  action?: string;
  auth?: string;
  body: { EngSerViceType?: string; SourceType?: number; VoiceFormat?: string; Data?: string; DataLen?: number };
}

export class FakeTencentAsr {
  readonly calls: AsrCall[] = [];
  /** The transcript per recording (its base64). */
  private readonly heard = new Map<string, string>();
  /** While set, every request answers this Tencent error code. */
  failWith?: string;
  private constructor(private readonly server: http.Server, readonly endpoint: string) {}

  static async start(): Promise<FakeTencentAsr> {
    let fake!: FakeTencentAsr;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => fake.answer(req, body, res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    fake = new FakeTencentAsr(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return fake;
  }

  /** A distinct, valid AMR-NB recording (`frames` × 20 ms of NO_DATA frames) whose transcript will be `text`. */
  recording(text: string, frames = 40 + this.heard.size): Buffer {
    const data = Buffer.concat([Buffer.from('#!AMR\n', 'latin1'), Buffer.alloc(frames, 0x7c)]);
    this.heard.set(data.toString('base64'), text);
    return data;
  }

  private answer(req: http.IncomingMessage, raw: string, res: http.ServerResponse): void {
    const body = JSON.parse(raw) as AsrCall['body'];
    this.calls.push({ action: req.headers['x-tc-action'] as string | undefined, auth: req.headers.authorization, body });
    res.setHeader('Content-Type', 'application/json');
    const error = (Code: string, Message: string): void => void res.end(JSON.stringify({ Response: { Error: { Code, Message }, RequestId: 'r-err' } }));
    if (!/^TC3-HMAC-SHA256 Credential=\S+\/tc3_request, SignedHeaders=\S+, Signature=[0-9a-f]{64}$/.test(String(req.headers.authorization))) return error('AuthFailure.SignatureFailure', 'unsigned');
    if (req.headers['x-tc-action'] !== 'SentenceRecognition') return error('InvalidAction', String(req.headers['x-tc-action']));
    if (this.failWith) return error(this.failWith, 'the fake was told to fail');
    const data = Buffer.from(body.Data ?? '', 'base64');
    if (body.SourceType !== 1 || body.DataLen !== data.length) return error('InvalidParameter', 'Data/DataLen');
    if (body.VoiceFormat === 'amr' && data.subarray(0, 6).toString('latin1') !== '#!AMR\n') return error('FailedOperation.ErrorDecodeAudio', 'not AMR');
    const text = this.heard.get(body.Data ?? '') ?? '';
    res.end(JSON.stringify({ Response: { Result: text, AudioDuration: (data.length - 6) * 20, WordSize: 0, WordList: [], RequestId: 'r1' } }));
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
