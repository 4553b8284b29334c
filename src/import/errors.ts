/** Row errors become messages in the admin's language: {row, field, message}. */
import { translate, Lang } from '../locales';
import { columnLabel } from './columns';
import type { RowError } from './types';

export interface ImportError { row: number; field: string; message: string }

export function describeErrors(errors: RowError[], lang: Lang): ImportError[] {
  return errors.map((e) => ({
    row: e.row,
    field: e.field,
    message: translate(lang, 'text', `importError.${e.code}`, { field: columnLabel(e.field, lang), ...e.params }),
  }));
}
