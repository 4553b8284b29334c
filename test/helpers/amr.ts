/** Checks of an AMR-NB recording for the speech tests: the file walked frame by frame, and decoded back by sox. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/** Bytes after each frame's header byte by frame type (3GPP TS 26.101); -1 = reserved, not valid in a file. */
const FRAME_BYTES = [12, 13, 15, 17, 19, 20, 26, 31, 5, -1, -1, -1, -1, -1, -1, 0];

/**
 * Walks the file independently of src/speech/amr.ts: the `#!AMR\n` magic, every frame to the very end of the file,
 * and WeCom's voice limits (0.5–60 s, ≤ 2 MB). Returns the seconds at 20 ms a frame.
 */
export function checkAmr(file: string): { seconds: number; frames: number; bytes: number } {
  const buf = fs.readFileSync(file);
  expect(buf.subarray(0, 6).toString('latin1')).toBe('#!AMR\n');
  let p = 6;
  let frames = 0;
  while (p < buf.length) {
    const size = FRAME_BYTES[(buf[p] >> 3) & 15];
    expect(size).toBeGreaterThanOrEqual(0);
    p += 1 + size;
    frames++;
  }
  expect(p).toBe(buf.length);
  const seconds = frames * 0.02;
  expect(seconds).toBeGreaterThanOrEqual(0.5);
  expect(seconds).toBeLessThanOrEqual(60);
  expect(buf.length).toBeLessThanOrEqual(2 * 1024 * 1024);
  return { seconds, frames, bytes: buf.length };
}

/** The length sox (opencore's decoder) finds when it decodes the file. */
export function decodedSeconds(file: string): number {
  // `stat` reports on stderr.
  const r = spawnSync('sox', ['-t', 'amr-nb', file, '-n', 'stat'], { encoding: 'utf8' });
  const m = /Length \(seconds\):\s+([\d.]+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`sox could not decode ${file}: ${r.stderr}`);
  return Number(m[1]);
}
