/**
 * Teacher cadences (五个一), the pure part: which cycle a moment falls in (org local time) and whether a
 * child's contact of a kind is done this cycle, due, or overdue. No database here; see cadenceBoard.ts.
 */
import type { Cycle, ScheduleSettings } from './settings';
import { fromLocal, localParts } from '../localTime';

/** The contact kinds that have a cadence (the other ContactEvent kinds, family_call and letter, are the families'). */
export const CADENCE_KINDS = ['talk', 'teacher_call', 'home_visit', 'consolation', 'meeting'] as const;
export type CadenceKind = typeof CADENCE_KINDS[number];
export type CadenceStatus = 'done' | 'due' | 'overdue';
export type { Cycle };

/** One cycle: [start, end) in absolute time, with a label for keys and the API (2026-W48, 2026-11, 2026-Q4, 2026-autumn, 2026). */
export interface Span { cycle: Cycle; label: string; start: Date; end: Date }

const pad = (n: number) => String(n).padStart(2, '0');

/** ISO 8601 week of a calendar date: the week (Monday first) belongs to the year of its Thursday. */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number; label: string } {
  const d = new Date(Date.UTC(year, month - 1, day));
  const mondayBased = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - mondayBased + 3);
  const y = d.getUTCFullYear();
  const ordinal = Math.round((d.getTime() - Date.UTC(y, 0, 1)) / 86_400_000) + 1;
  const week = Math.ceil(ordinal / 7);
  return { year: y, week, label: `${y}-W${pad(week)}` };
}

/** The cycle containing `at`, in the wall-clock calendar of `tz`. */
export function cycleSpan(cycle: Cycle, at: Date, tz: string): Span {
  const p = localParts(at, tz);
  const local = (y: number, m: number, d: number) => fromLocal(y, m, d, 0, 0, tz);
  switch (cycle) {
    case 'week': {
      const back = (p.weekday + 6) % 7; // days since Monday
      return { cycle, label: isoWeek(p.year, p.month, p.day - back).label, start: local(p.year, p.month, p.day - back), end: local(p.year, p.month, p.day - back + 7) };
    }
    case 'month':
      return { cycle, label: `${p.year}-${pad(p.month)}`, start: local(p.year, p.month, 1), end: local(p.year, p.month + 1, 1) };
    case 'quarter': {
      const q = Math.floor((p.month - 1) / 3);
      return { cycle, label: `${p.year}-Q${q + 1}`, start: local(p.year, q * 3 + 1, 1), end: local(p.year, q * 3 + 4, 1) };
    }
    case 'term': {
      // Chinese school terms: spring term March–August, autumn term September–February (named by its start year).
      if (p.month >= 3 && p.month <= 8) return { cycle, label: `${p.year}-spring`, start: local(p.year, 3, 1), end: local(p.year, 9, 1) };
      const y = p.month >= 9 ? p.year : p.year - 1;
      return { cycle, label: `${y}-autumn`, start: local(y, 9, 1), end: local(y + 1, 3, 1) };
    }
    case 'year':
      return { cycle, label: String(p.year), start: local(p.year, 1, 1), end: local(p.year + 1, 1, 1) };
  }
}

/** The cycle just before `span`. */
export function previousSpan(span: Span, tz: string): Span {
  return cycleSpan(span.cycle, new Date(span.start.getTime() - 1), tz);
}

export interface KindStatus {
  kind: CadenceKind;
  cycle: Cycle;
  status: CadenceStatus;
  current: Span;
  /** The latest contact of this kind at or before `at`, if any. */
  lastAt?: Date;
}

/**
 * done: a contact in the current cycle; overdue: none in this cycle nor in the previous one, which the pairing
 * covered whole (more than a full cycle without one); due: otherwise. Cycles before the pairing began never
 * count against it, so a freshly paired child is at most "due". Contacts after `at` are ignored.
 */
export function kindStatus(kind: CadenceKind, cycle: Cycle, at: Date, tz: string, pairedFrom: Date, contacts: Date[]): KindStatus {
  const current = cycleSpan(cycle, at, tz);
  const past = contacts.filter((c) => c.getTime() <= at.getTime());
  const lastAt = past.length ? new Date(Math.max(...past.map((c) => c.getTime()))) : undefined;
  let status: CadenceStatus;
  if (lastAt && lastAt >= current.start) status = 'done';
  else {
    const previous = previousSpan(current, tz);
    const previousDone = past.some((c) => c >= previous.start && c < previous.end);
    status = !previousDone && pairedFrom.getTime() <= previous.start.getTime() ? 'overdue' : 'due';
  }
  return { kind, cycle, status, current, lastAt };
}

/** Every cadence kind for one child. `contacts` maps a kind to the times of its contacts. */
export function childStatuses(at: Date, tz: string, cadences: ScheduleSettings['cadences'], pairedFrom: Date, contacts: Partial<Record<CadenceKind, Date[]>>): KindStatus[] {
  return CADENCE_KINDS.map((kind) => kindStatus(kind, cadences[kind], at, tz, pairedFrom, contacts[kind] ?? []));
}

/** The earliest moment any status at `at` can depend on: the start of the previous cycle of the longest cadence. */
export function lookbackStart(at: Date, tz: string, cadences: ScheduleSettings['cadences']): Date {
  const starts = CADENCE_KINDS.map((k) => previousSpan(cycleSpan(cadences[k], at, tz), tz).start.getTime());
  return new Date(Math.min(...starts));
}

interface Counts { done: number; due: number; overdue: number; children: number }
export type KindCounts = Record<CadenceKind, Counts>;

export function emptyKindCounts(): KindCounts {
  return Object.fromEntries(CADENCE_KINDS.map((k) => [k, { done: 0, due: 0, overdue: 0, children: 0 }])) as KindCounts;
}

/** Adds one child's statuses to a group's counts (done + due + overdue = children, per kind). */
export function addTo(counts: KindCounts, statuses: Array<{ kind: CadenceKind; status: CadenceStatus }>): void {
  for (const s of statuses) {
    counts[s.kind][s.status] += 1;
    counts[s.kind].children += 1;
  }
}

/** Counts grouped by a key of each row (teacher, class, school), in first-seen order. */
export function tally<R extends { statuses: Array<{ kind: CadenceKind; status: CadenceStatus }> }>(rows: R[], keyOf: (r: R) => string): Map<string, { children: number; kinds: KindCounts }> {
  const groups = new Map<string, { children: number; kinds: KindCounts }>();
  for (const r of rows) {
    const k = keyOf(r);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { children: 0, kinds: emptyKindCounts() }));
    g.children += 1;
    addTo(g.kinds, r.statuses);
  }
  return groups;
}
