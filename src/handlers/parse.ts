/** Parsing what people type: dates and phone numbers, forgiving of the usual ways of writing them. */

/** "2015-03-08", "2015/3/8", "2015.3.8", "2015年3月8日", "20150308" → "2015-03-08"; undefined if not a real date. */
export function parseBirthDate(input: string): string | undefined {
  const s = input.trim().replace(/[号日]$/, '');
  const m = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})$/.exec(s) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  return `${m[1]}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Mainland mobile in any usual spelling (+86, spaces, dashes) → its 11 digits; landlines → their digits. */
export function normalizePhone(input: string): string | undefined {
  let digits = input.replace(/[\s\-()（）]/g, '');
  if (!/^\+?\d+$/.test(digits)) return undefined;
  digits = digits.replace(/^\+/, '');
  if (digits.length === 13 && digits.startsWith('86')) digits = digits.slice(2);
  if (/^1[3-9]\d{9}$/.test(digits)) return digits;
  if (/^0\d{9,11}$/.test(digits)) return digits;
  return undefined;
}
