import type { RowError } from './types';

export interface Proposal { row: number; child: string; teacher: string; wecomUserId: string }
export interface Unpaired { row: number; child: string }

/** What an import did (or, with dryRun, would do). */
export interface ImportResult {
  created: number;
  updated: number;
  unchanged: number;
  errors: RowError[];
  /** Pairings the bot proposed for children whose teacher column was blank. */
  proposed: Proposal[];
  /** Children left without a teacher because no one in their school had room (import more staff or raise 最多帮扶人数). */
  unpaired: Unpaired[];
  dryRun: boolean;
}

export interface ImportOptions {
  orgId: string;
  now: Date;
  dryRun: boolean;
  /** Default for a new school's "show the teacher's phone to families". */
  showTeacherPhone: boolean;
  onProgress?: (done: number, total: number) => void;
  /** Names of the only schools the caller may import for (a principal); rows naming another are refused. Unset: any. */
  onlySchools?: string[];
}

/** The fields of `next` that differ from `current` (values compared as JSON, absent = undefined). */
export function changedFields(current: Record<string, unknown> | null | undefined, next: Record<string, unknown>): string[] {
  if (!current) return Object.keys(next);
  return Object.keys(next).filter((k) => JSON.stringify(norm(current[k])) !== JSON.stringify(norm(next[k])));
}

function norm(v: unknown): unknown {
  if (v === null || v === '') return undefined;
  if (v && typeof v === 'object' && 'toHexString' in v) return String(v);
  return v;
}

/**
 * Rows naming a school outside `onlySchools` become errors of that row (nothing of them is written): a principal
 * imports for their own school only. Without `onlySchools`, every row passes.
 */
export function withinSchools<R extends { row: number; data: { school: string } }>(rows: R[], onlySchools: string[] | undefined): { rows: R[]; errors: RowError[] } {
  if (!onlySchools) return { rows, errors: [] };
  const allowed = new Set(onlySchools);
  return {
    rows: rows.filter((r) => allowed.has(r.data.school)),
    errors: rows.filter((r) => !allowed.has(r.data.school)).map((r) => ({ row: r.row, field: 'school', code: 'school_out_of_scope', params: { value: r.data.school } })),
  };
}
