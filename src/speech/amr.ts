/**
 * AMR-NB in its file form (RFC 4867 §5, the storage format WeCom's media/upload?type=voice takes): the magic
 * `#!AMR\n`, then frames of 20 ms, each a header byte (frame type in bits 3–6) and the frame's speech bits.
 */
const AMR_MAGIC = Buffer.from('#!AMR\n', 'latin1');
const AMR_FRAME_SECONDS = 0.02;
/**
 * Bytes after the header byte, by frame type (3GPP TS 26.101): the eight modes 4.75…12.2 kbit/s, SID (silence
 * description, sent with DTX), four reserved types (-1: not valid in a file), NO_DATA (nothing; DTX's pauses).
 */
const AMR_NB_FRAME_BYTES = [12, 13, 15, 17, 19, 20, 26, 31, 5, -1, -1, -1, -1, -1, -1, 0] as const;

/** WeCom's limits for a voice message: AMR only, at most 60 s and 2 MB. */
export const VOICE_MAX_SECONDS = 60;
export const VOICE_MAX_BYTES = 2 * 1024 * 1024;

export interface AmrInfo {
  frames: number;
  seconds: number;
  /** Frames by type (7 = 12.2 kbit/s, 8 = SID, 15 = NO_DATA). */
  types: Record<number, number>;
}

/** Walks every frame to the end of the file; throws when the file is not AMR-NB or a frame is cut or unknown. */
export function readAmr(buf: Buffer): AmrInfo {
  if (buf.length < AMR_MAGIC.length || !buf.subarray(0, AMR_MAGIC.length).equals(AMR_MAGIC)) throw new Error('not an AMR-NB file (no #!AMR header)');
  let p = AMR_MAGIC.length;
  let frames = 0;
  const types: Record<number, number> = {};
  while (p < buf.length) {
    const type = (buf[p] >> 3) & 0x0f;
    const size = AMR_NB_FRAME_BYTES[type];
    if (size < 0) throw new Error(`AMR frame ${frames} at byte ${p} has the reserved type ${type}`);
    if (p + 1 + size > buf.length) throw new Error(`AMR frame ${frames} at byte ${p} is cut off`);
    p += 1 + size;
    frames++;
    types[type] = (types[type] ?? 0) + 1;
  }
  return { frames, seconds: Math.round(frames * AMR_FRAME_SECONDS * 100) / 100, types };
}

/**
 * One 12.2 kbit/s frame of digital silence, as opencore's encoder writes it once its state has settled (the 7th
 * frame of `sox -n -r 8000 -c 1 -t amr-nb -C 7 - trim 0 1`); it decodes to silence (RMS ≈ 3 of 32767).
 */
const SILENT_FRAME_12K2 = Buffer.from('3c4a909a9e612001202d4a0a6086834cc95464e2577cd8827ec35e4572f2dc90', 'hex');
const SID = 8;
const NO_DATA = 15;

/**
 * The file with its DTX frames (SID and NO_DATA, what opencore writes for pauses) replaced by 12.2 kbit/s frames of
 * silence: same length, every frame a speech frame, which every player decodes — some handle DTX frames badly, and
 * sox offers no way to turn DTX off. A pause costs 32 bytes a frame instead of 1–6 (a few hundred bytes a message).
 */
export function withoutDtx(buf: Buffer): Buffer {
  readAmr(buf);
  const out: Buffer[] = [AMR_MAGIC];
  for (let p = AMR_MAGIC.length; p < buf.length;) {
    const type = (buf[p] >> 3) & 0x0f;
    const size = 1 + AMR_NB_FRAME_BYTES[type];
    out.push(type === SID || type === NO_DATA ? SILENT_FRAME_12K2 : buf.subarray(p, p + size));
    p += size;
  }
  return Buffer.concat(out);
}

/** Several AMR-NB files as one (each frame stands alone, so the frames simply follow each other). */
export function joinAmr(files: Buffer[]): Buffer {
  return Buffer.concat([AMR_MAGIC, ...files.map((f) => f.subarray(AMR_MAGIC.length))]);
}
