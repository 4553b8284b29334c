/** Splitting a text for synthesis: at sentence ends, then at commas, a hard cut only for a run-on sentence. */

const SENTENCES = /[^。！？!?；;\n]+[。！？!?；;\n]*/g;
const CLAUSES = /[^，,、：:]+[，,、：:]*/g;

export function splitForSpeech(text: string, maxChars: number): string[] {
  const out: string[] = [];
  let current = '';
  const push = (piece: string) => {
    if ([...current + piece].length > maxChars && current) {
      out.push(current);
      current = '';
    }
    current += piece;
  };
  for (const sentence of text.match(SENTENCES) ?? []) {
    if ([...sentence].length <= maxChars) {
      push(sentence);
      continue;
    }
    for (const clause of sentence.match(CLAUSES) ?? [sentence]) {
      const chars = [...clause];
      for (let i = 0; i < chars.length; i += maxChars) push(chars.slice(i, i + maxChars).join(''));
    }
  }
  if (current) out.push(current);
  return out.map((p) => p.trim()).filter((p) => /[\p{L}\p{N}]/u.test(p));
}
