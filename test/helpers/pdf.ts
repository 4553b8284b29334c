/**
 * Reading a PDF back the way a person would: its text (pdftotext -layout), pages and fonts (pdfinfo, pdffonts) and a
 * page as pixels (pdftoppm), all from poppler-utils (.ci/install-chromium.sh installs it). Also a supertest parser
 * that keeps a binary answer as a Buffer.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jsQR from 'jsqr';
import type request from 'supertest';

function withFile<T>(pdf: Buffer, fn: (file: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liushou-pdf-'));
  try {
    const file = path.join(dir, 'cards.pdf');
    fs.writeFileSync(file, pdf);
    return fn(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { maxBuffer: 64 * 1024 * 1024 });

export const pdfText = (pdf: Buffer): string => withFile(pdf, (f) => run('pdftotext', ['-layout', '-enc', 'UTF-8', f, '-']).toString('utf8'));

export const pdfInfo = (pdf: Buffer): string => withFile(pdf, (f) => run('pdfinfo', [f]).toString('utf8'));

export function pdfPages(pdf: Buffer): number {
  const m = /^Pages:\s+(\d+)$/m.exec(pdfInfo(pdf));
  if (!m) throw new Error('pdfinfo printed no page count');
  return Number(m[1]);
}

export const pdfFonts = (pdf: Buffer): string => withFile(pdf, (f) => run('pdffonts', [f]).toString('utf8'));

/** The QR codes found on one page, decoded (jsQR reads one per image: `crops` are [x, y, w, h] in points). */
export function pdfQrTexts(pdf: Buffer, page: number, crops: Array<[number, number, number, number]>, dpi = 200): Array<string | undefined> {
  return withFile(pdf, (f) => crops.map(([x, y, w, h]) => {
    const k = dpi / 72;
    const pgm = run('pdftoppm', ['-gray', '-r', String(dpi), '-f', String(page), '-l', String(page),
      '-x', String(Math.round(x * k)), '-y', String(Math.round(y * k)), '-W', String(Math.round(w * k)), '-H', String(Math.round(h * k)), f]);
    // PGM: "P5\n<width> <height>\n255\n" then one byte per pixel.
    const head = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(pgm.subarray(0, 40).toString('latin1'));
    if (!head) throw new Error('pdftoppm -gray did not write a PGM');
    const [width, height] = [Number(head[1]), Number(head[2])];
    const gray = pgm.subarray(head[0].length);
    const rgba = new Uint8ClampedArray(width * height * 4);
    for (let i = 0; i < width * height; i++) rgba.set([gray[i], gray[i], gray[i], 255], i * 4);
    return jsQR(rgba, width, height)?.data;
  }));
}

/** supertest: `.buffer(true).parse(binary)` keeps any answer (a PDF, or a JSON error) as a Buffer in res.body. */
export const binary: Parameters<request.Test['parse']>[0] = (res, done) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};
