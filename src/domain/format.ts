/** Small formatting helpers shared by handlers (dates in the org's time zone, voice-length fitting). */
import type { T } from '../locales';

export function formatLocalTime(d: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hour12: false }).format(d);
}

export function periodLabel(t: T, period: string): string {
  const [year, month] = period.split('-');
  return t('period.month', { year, month: String(Number(month)) });
}

/** 13812345678 → 138****5678, for messages to anyone but the number's owner. */
export function maskPhone(phone?: string | null): string {
  if (!phone) return '';
  return phone.length >= 7 ? `${phone.slice(0, 3)}****${phone.slice(-4)}` : '****';
}
