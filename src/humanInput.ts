/** Reading what people type or put in a spreadsheet: names, dates and phone numbers, as they usually write them. */

/**
 * Characters nobody means to type, removed wherever text is read: C0/C1 controls other than whitespace, soft hyphen,
 * zero-width characters, and the Unicode direction marks, overrides and isolates (U+202A–U+202E, U+2066–U+2069),
 * which can make a name display as something else than what it is.
 */
const INVISIBLE = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]/g;

/** Without the invisible characters above; whitespace and line breaks kept as they are. */
export function stripInvisible(s: string): string {
  return s.replace(INVISIBLE, '');
}

/** Trimmed, with internal whitespace (including the ideographic space) collapsed to one space. */
export function cleanText(s: string | undefined): string {
  return (s ?? '').replace(INVISIBLE, '').replace(/\s+/g, ' ').trim();
}

/** For codes, numbers and dates: also folds full-width characters a Chinese IME produces (１３８，－，＊). */
export function codeText(s: string | undefined): string {
  return cleanText(s).normalize('NFKC');
}

/** A real calendar date as YYYY-MM-DD, from YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYY年M月D日 (or 号) or YYYYMMDD. */
export function parseDate(s: string): string | undefined {
  const t = codeText(s).replace(/\s+/g, '');
  const m = /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$/.exec(t) ?? /^(\d{4})(年)(\d{1,2})月(\d{1,2})[日号]?$/.exec(t)
    ?? /^(\d{4})()(\d{2})(\d{2})$/.exec(t);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[3]), Number(m[4])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  return `${m[1]}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Mainland mobile (11 digits, +86/86 dropped) or a landline with area code, as digits only. */
export function parsePhone(s: string): string | undefined {
  const t = codeText(s).replace(/[\s\-\u2010-\u2014()（）]/g, '');
  const mobile = /^(?:\+?86)?(1\d{10})$/.exec(t);
  if (mobile) return mobile[1];
  return /^0\d{9,11}$/.test(t) ? t : undefined;
}
