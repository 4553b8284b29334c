/** Local time in the org's time zone (default Asia/Shanghai): reading a Date's local parts and building a Date from them. */

export interface LocalParts { year: number; month: number; day: number; hour: number; minute: number; /** 0 = Sunday */ weekday: number }

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short', hourCycle: 'h23' });
    formatters.set(tz, f);
  }
  return f;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

export function localParts(d: Date, tz: string): LocalParts {
  const parts = Object.fromEntries(formatter(tz).formatToParts(d).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
    hour: Number(parts.hour), minute: Number(parts.minute), weekday: WEEKDAYS[parts.weekday],
  };
}

/** The instant at which the wall clock in `tz` shows this local date and time. */
export function fromLocal(year: number, month: number, day: number, hour: number, minute: number, tz: string): Date {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  // Two rounds settle the offset even across a DST change (China has none, other zones may).
  let guess = asUtc;
  for (let i = 0; i < 2; i++) {
    const p = localParts(new Date(guess), tz);
    const shown = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
    guess += asUtc - shown;
  }
  return new Date(guess);
}

/** "HH:MM" → [hour, minute] */
export function hm(s: string): [number, number] {
  const [h, m] = s.split(':').map(Number);
  return [h, m];
}

/** YYYY-MM of a local date. */
export function periodOf(d: Date, tz: string): string {
  const p = localParts(d, tz);
  return `${p.year}-${String(p.month).padStart(2, '0')}`;
}

export function shiftPeriod(period: string, months: number): string {
  const [y, m] = period.split('-').map(Number);
  const idx = y * 12 + (m - 1) + months;
  return `${Math.floor(idx / 12)}-${String((idx % 12) + 1).padStart(2, '0')}`;
}

/** YYYY-MM-DD of a local date. */
export function localDate(d: Date, tz: string): string {
  const p = localParts(d, tz);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * When a non-urgent push created at `at` may go out: at once outside quiet hours ("21:30-07:30"),
 * otherwise at the end of them, local time.
 */
export function afterQuietHours(at: Date, quietHours: string, tz: string): Date {
  const [start, end] = quietHours.split('-');
  const [sh, sm] = hm(start);
  const [eh, em] = hm(end);
  const p = localParts(at, tz);
  const now = p.hour * 60 + p.minute;
  const s = sh * 60 + sm;
  const e = eh * 60 + em;
  const inQuiet = s <= e ? now >= s && now < e : now >= s || now < e;
  if (!inQuiet) return at;
  // The end is today if we are past midnight (or the window does not wrap), else tomorrow.
  const endToday = fromLocal(p.year, p.month, p.day, eh, em, tz);
  return endToday > at ? endToday : new Date(fromLocal(p.year, p.month, p.day, eh, em, tz).getTime() + 24 * 3600_000);
}
