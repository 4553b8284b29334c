/**
 * The public answer of an import (DESIGN §4: `{created, updated, errors:[{row, field, message}]}`), with its lists
 * capped: a 50,000-row file of bad rows must not come back as megabytes of JSON. `errorCount` (and `proposedCount`,
 * `unpairedCount`) say how many there were in all; `truncated` says whether any list was cut.
 */
import type { Lang } from '../locales';
import { describeErrors, type ImportError } from './errors';
import type { ImportResult, Proposal, Unpaired } from './result';

/** Entries kept in each list of the answer. */
export const MAX_LISTED = 500;

export interface ImportAnswer {
  created: number;
  updated: number;
  unchanged: number;
  errors: ImportError[];
  errorCount: number;
  proposed: Proposal[];
  proposedCount: number;
  unpaired: Unpaired[];
  unpairedCount: number;
  truncated: boolean;
  dryRun: boolean;
}

export function importAnswer(result: ImportResult, lang: Lang): ImportAnswer {
  const { created, updated, unchanged, errors, proposed, unpaired, dryRun } = result;
  return {
    created, updated, unchanged,
    errors: describeErrors(errors.slice(0, MAX_LISTED), lang),
    errorCount: errors.length,
    proposed: proposed.slice(0, MAX_LISTED),
    proposedCount: proposed.length,
    unpaired: unpaired.slice(0, MAX_LISTED),
    unpairedCount: unpaired.length,
    truncated: [errors, proposed, unpaired].some((l) => l.length > MAX_LISTED),
    dryRun,
  };
}
