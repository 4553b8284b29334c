/** Small formatting helpers shared by handlers (dates in the org's time zone, voice-length fitting). */
import type { T } from '../locales';

export function formatLocalTime(d: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hour12: false }).format(d);
}

export function periodLabel(t: T, period: string): string {
  const [year, month] = period.split('-');
  return t('period.month', { year, month: String(Number(month)) });
}

export const VOICE_MAX_CHARS = 80;

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

/** 13812345678 → 138****5678, for messages to anyone but the number's owner. */
export function maskPhone(phone?: string | null): string {
  if (!phone) return '';
  return phone.length >= 7 ? `${phone.slice(0, 3)}****${phone.slice(-4)}` : '****';
}
