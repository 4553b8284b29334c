/**
 * The Chinese font the printable contact cards embed (a subset of it: only the glyphs used), so that a PDF carries
 * real, searchable Chinese text. From CJK_FONT_PATH, else the first of a few common places (Debian's fonts-noto-cjk
 * first). A font that is missing, unreadable or without Chinese glyphs is a NoCjkFontError saying what to install:
 * the cards are never printed in a font that would show empty boxes (tofu).
 */
import fs from 'node:fs/promises';
import * as fontkit from 'fontkit';

/** Looked for in this order when CJK_FONT_PATH is unset. */
const CJK_FONT_CANDIDATES = [
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', // Debian / Ubuntu: fonts-noto-cjk
  '/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc', // Fedora: google-noto-sans-cjk-ttc-fonts
  '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', // Debian / Ubuntu: fonts-wqy-microhei
  '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc', // Debian / Ubuntu: fonts-wqy-zenhei
];

/** Characters every card prints: a font that lacks one of them is not a Chinese font for our purpose. */
const MUST_HAVE = '家校联系卡学生父亲母亲监护人扫码后发送绑定码请勿转给他人';

export interface CjkFont {
  file: string;
  /** The face's PostScript name: which face of a collection (.ttc) pdfkit embeds. */
  postscriptName: string;
  data: Buffer;
}

export class NoCjkFontError extends Error {}

const HOW_TO_FIX = 'Install a Chinese font — on Debian or Ubuntu: apt-get install fonts-noto-cjk — or set CJK_FONT_PATH to a '
  + '.ttf, .otf or .ttc font with Chinese characters.';

const loaded = new Map<string, CjkFont>();

/** The font at `configured` (CJK_FONT_PATH), or the first usable candidate; cached per file once it has loaded. */
export async function loadCjkFont(configured?: string): Promise<CjkFont> {
  if (configured) return loadFile(configured, `CJK_FONT_PATH=${configured}`);
  const problems: string[] = [];
  for (const file of CJK_FONT_CANDIDATES) {
    try {
      return await loadFile(file, file);
    } catch (err) {
      if (!(err instanceof NoCjkFontError)) throw err;
      problems.push(err.message);
    }
  }
  throw new NoCjkFontError(`No Chinese font for the printable cards (CJK_FONT_PATH is unset and none of ${CJK_FONT_CANDIDATES.join(', ')} is usable). ${HOW_TO_FIX}`);
}

async function loadFile(file: string, label: string): Promise<CjkFont> {
  const cached = loaded.get(file);
  if (cached) return cached;
  let data: Buffer;
  try {
    data = await fs.readFile(file);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new NoCjkFontError(`No Chinese font for the printable cards: ${label} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (err as Error).message})`}. ${HOW_TO_FIX}`);
  }
  let opened: fontkit.Font | fontkit.FontCollection;
  try {
    opened = fontkit.create(data);
  } catch (err) {
    throw new NoCjkFontError(`No Chinese font for the printable cards: ${label} is not a font (${(err as Error).message}). ${HOW_TO_FIX}`);
  }
  const face = chooseFace('fonts' in opened ? opened.fonts : [opened]);
  if (!face) throw new NoCjkFontError(`No Chinese font for the printable cards: ${label} has no Chinese characters. ${HOW_TO_FIX}`);
  const font = { file, postscriptName: face.postscriptName, data };
  loaded.set(file, font);
  return font;
}

/** Of the faces that have every character a card prints: Simplified Chinese before others, proportional before mono. */
function chooseFace(faces: fontkit.Font[]): fontkit.Font | undefined {
  const covers = (f: fontkit.Font) => [...MUST_HAVE].every((ch) => f.hasGlyphForCodePoint(ch.codePointAt(0)!));
  const rank = (f: fontkit.Font) => (/(sc|SC|GB|CN)(-|$)/.test(f.postscriptName ?? '') ? 0 : 2) + (/mono/i.test(f.postscriptName ?? '') ? 1 : 0);
  return faces.filter((f) => f.postscriptName && covers(f)).sort((a, b) => rank(a) - rank(b))[0];
}
