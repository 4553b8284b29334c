/** The voice-style rules every guardian message obeys: at most 80 characters a message. */

const VOICE_MAX_CHARS = 80;

/**
 * Shortens `body` so that `render(body)` stays within the voice limit: whole sentences first,
 * a hard cut only when even the first sentence is too long.
 */
export function fitVoice(render: (body: string) => string, body: string, max = VOICE_MAX_CHARS): string {
  if ([...render(body)].length <= max) return render(body);
  const room = max - [...render('')].length;
  if (room <= 0) return render('');
  const sentences = body.match(/[^。！？!?；;.]+[。！？!?；;.]?/g) ?? [body];
  let out = '';
  for (const s of sentences) {
    if ([...(out + s)].length > room) break;
    out += s;
  }
  if (!out) out = [...body].slice(0, room).join('');
  return render(out);
}

/** Splits a long voice-style message into pieces of at most `max` characters, at sentence ends where possible. */
export function splitVoice(text: string, max = VOICE_MAX_CHARS): string[] {
  if ([...text].length <= max) return [text];
  const pieces: string[] = [];
  let current = '';
  for (const sentence of text.match(/[^。！？!?；;，,.]+[。！？!?；;，,.]?/g) ?? [text]) {
    for (const part of chunk(sentence, max)) {
      if ([...(current + part)].length > max) {
        pieces.push(current);
        current = '';
      }
      current += part;
    }
  }
  if (current) pieces.push(current);
  return pieces.filter((p) => p.trim());
}

function chunk(s: string, max: number): string[] {
  const chars = [...s];
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += max) out.push(chars.slice(i, i + max).join(''));
  return out;
}
