/**
 * WAV → AMR-NB with sox (Debian `sox` + `libsox-fmt-base`, which brings opencore-amrnb): 8 kHz mono, mode 7
 * (12.2 kbit/s, the best AMR-NB has), the silence before and after the speech trimmed.
 *
 * Why sox and not a pure-JS encoder: sox is one apt package beside espeak-ng, fast (~20 ms a sentence), and its
 * encoder is opencore's reference one. It encodes with DTX on (no option turns it off), so pauses come out as
 * SID/NO_DATA frames — valid in the AMR file format (RFC 4867 §5), but some players handle them badly: the silence at
 * both ends is trimmed, and the frames of the pauses inside are replaced by speech frames of silence (amr.ts).
 */
import { withoutDtx } from './amr';
import { run } from './process';

/** Whether this sox can write AMR-NB (sox without libsox-fmt-base cannot). */
export function soxWritesAmr(help: string | undefined): boolean {
  return !!help && /\bamr-nb\b/.test(help);
}

export async function wavToAmr(wav: Buffer, sox = 'sox'): Promise<Buffer> {
  return withoutDtx(await run(sox, [
    '-q', '-t', 'wav', '-',
    '-r', '8000', '-c', '1', '-t', 'amr-nb', '-C', '7', '-',
    // Headroom for the resampler (espeak's loud peaks clipped), then trim the silence at both ends.
    'gain', '-n', '-2',
    'silence', '1', '0.02', '0.5%', 'reverse', 'silence', '1', '0.02', '0.5%', 'reverse',
  ], wav));
}
