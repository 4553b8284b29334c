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

/** Several AMR-NB files as one (each frame stands alone, so the frames simply follow each other). */
export function joinAmr(files: Buffer[]): Buffer {
  return Buffer.concat([AMR_MAGIC, ...files.map((f) => f.subarray(AMR_MAGIC.length))]);
}
