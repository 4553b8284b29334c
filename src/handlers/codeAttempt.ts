/** Reading a binding code out of what people type (the codes themselves: models/bindingCode.ts). */

/** Upper-cases and removes spaces/dashes people type between characters. */
function normalizeCode(input: string): string {
  return input.replace(/[\s-]/g, '').toUpperCase();
}

/** A bare message that is shaped like a code (the explicit "绑定 X" form is parsed separately). */
export function looksLikeCode(input: string): boolean {
  const c = normalizeCode(input);
  return /^[A-Z0-9]{6,8}$/.test(c) && /[A-Z]/.test(c) && /[0-9]/.test(c);
}

/** Extracts the code from "绑定 K7M3PQ" / "bind K7M3PQ" / "K7M3PQ"; undefined when the text is not a code attempt. */
export function parseCodeAttempt(text: string): string | undefined {
  const explicit = /^(?:绑定|綁定|bind)\s*[:：]?\s*([A-Za-z0-9][A-Za-z0-9\s-]{2,14})$/i.exec(text.trim());
  if (explicit) return normalizeCode(explicit[1]);
  return looksLikeCode(text.trim()) ? normalizeCode(text.trim()) : undefined;
}
