/**
 * The import columns (DESIGN.md §4 "Staff columns" / "Roster columns") and the rules for reading
 * their cells. The English key doubles as the English header and as `field` in errors.
 */
import type { LeftBehind, Literacy, LivingWith, ParseResult, RowError, StaffRole } from './types';

export interface ColumnSpec<K extends string = string> {
  key: K;
  zh: string;
  required: boolean;
}

export const STAFF_COLUMNS = [
  { key: 'school', zh: '学校', required: true },
  { key: 'name', zh: '姓名', required: true },
  { key: 'wecom_userid', zh: '企业微信账号', required: true },
  { key: 'phone', zh: '电话', required: false },
  { key: 'role', zh: '职务', required: false },
  { key: 'class', zh: '班级', required: false },
  { key: 'party_member', zh: '党员', required: false },
  { key: 'max_children', zh: '最多帮扶人数', required: false },
  { key: 'teacher_room', zh: '教师群', required: false },
] as const satisfies readonly ColumnSpec[];

export const ROSTER_COLUMNS = [
  { key: 'school', zh: '学校', required: true },
  { key: 'class', zh: '班级', required: true },
  { key: 'child_name', zh: '学生姓名', required: true },
  { key: 'gender', zh: '性别', required: false },
  { key: 'birth_date', zh: '出生日期', required: true },
  { key: 'student_no', zh: '学号', required: false },
  { key: 'left_behind', zh: '留守类型', required: false },
  { key: 'living_with', zh: '监护情况', required: false },
  { key: 'boarding', zh: '寄宿', required: false },
  { key: 'priority', zh: '重点帮扶', required: false },
  { key: 'father_name', zh: '父亲姓名', required: false },
  { key: 'father_phone', zh: '父亲电话', required: false },
  { key: 'father_work_city', zh: '父亲务工地', required: false },
  { key: 'mother_name', zh: '母亲姓名', required: false },
  { key: 'mother_phone', zh: '母亲电话', required: false },
  { key: 'mother_work_city', zh: '母亲务工地', required: false },
  { key: 'guardian_name', zh: '监护人姓名', required: false },
  { key: 'guardian_relation', zh: '监护人关系', required: false },
  { key: 'guardian_phone', zh: '监护人电话', required: false },
  { key: 'guardian_age', zh: '监护人年龄', required: false },
  { key: 'guardian_literacy', zh: '监护人文化程度', required: false },
  { key: 'teacher_wecom_userid', zh: '帮扶教师企业微信账号', required: false },
] as const satisfies readonly ColumnSpec[];

export type RosterKey = (typeof ROSTER_COLUMNS)[number]['key'];

/** The column's header in that language (the key itself in English); unknown keys come back as is. */
export function columnLabel(key: string, lang: 'zh-CN' | 'en'): string {
  if (lang === 'en') return key;
  const spec: ColumnSpec | undefined = [...STAFF_COLUMNS, ...ROSTER_COLUMNS].find((c) => c.key === key);
  return spec ? spec.zh : key;
}

export interface HeaderMap<K extends string> {
  index: Partial<Record<K, number>>;
  missingRequired: K[];
  /** Columns named twice (e.g. 学校 and school): which one is meant cannot be guessed. */
  duplicates: K[];
}

/** Finds each column by its Chinese or English header; unknown headers are ignored. */
export function mapHeader<K extends string>(headerRow: readonly string[], columns: readonly ColumnSpec<K>[]): HeaderMap<K> {
  const index: Partial<Record<K, number>> = {};
  const duplicates: K[] = [];
  headerRow.forEach((cell, i) => {
    const h = codeText(cell).replace(/\*+$/, '').trim();
    if (!h) return;
    const english = h.toLowerCase().replace(/[\s-]+/g, '_');
    const col = columns.find((c) => c.zh === h || c.key === english);
    if (!col) return;
    if (index[col.key] === undefined) index[col.key] = i;
    else if (!duplicates.includes(col.key)) duplicates.push(col.key);
  });
  const missingRequired = columns.filter((c) => c.required && index[c.key] === undefined).map((c) => c.key);
  return { index, missingRequired, duplicates };
}

/** A title row or two (often merged cells: "2025年秋季留守儿童花名册") may sit above the header. */
const HEADER_SEARCH_ROWS = 10;

export interface FoundHeader<K extends string> extends HeaderMap<K> {
  /** Index in the table of the header row (its spreadsheet row number is this + 1). */
  at: number;
}

/**
 * The header row: the first of the top rows that names every required column; failing that, the one that names
 * the most known columns, so the missing ones can be reported against it.
 */
export function findHeader<K extends string>(rows: readonly string[][], columns: readonly ColumnSpec<K>[]): FoundHeader<K> {
  let best: FoundHeader<K> | undefined;
  let bestKnown = -1;
  for (let at = 0; at < Math.min(rows.length, HEADER_SEARCH_ROWS); at++) {
    const map = mapHeader(rows[at], columns);
    if (map.missingRequired.length === 0) return { ...map, at };
    const known = Object.keys(map.index).length;
    if (known > bestKnown) [best, bestKnown] = [{ ...map, at }, known];
  }
  return best ?? { ...mapHeader([], columns), at: 0 };
}

/** Errors that stop the whole file: a required column missing or a column named twice, against the header row. */
export function headerErrors<T>(header: FoundHeader<string>): ParseResult<T> | undefined {
  if (header.missingRequired.length === 0 && header.duplicates.length === 0) return undefined;
  const row = header.at + 1;
  return {
    rows: [],
    errors: [
      ...header.missingRequired.map((field) => ({ row, field, code: 'missing_column' })),
      ...header.duplicates.map((field) => ({ row, field, code: 'duplicate_column' })),
    ],
  };
}

/** English value → the Chinese word a clerk writes; either is accepted. */
export type ChoiceTable<V extends string> = Readonly<Record<V, string>>;

export const ROLE_CHOICES: ChoiceTable<StaffRole> = {
  teacher: '教师',
  head_teacher: '班主任',
  principal: '校长',
  moral_director: '德育主任',
  counselor: '心理老师',
  county: '教育局',
};
/** Other words a clerk writes for a role (matched like the Chinese word, after NFKC); not listed in error messages. */
export const ROLE_ALIASES: Readonly<Record<string, StaffRole>> = {
  县教育局: 'county',
  区教育局: 'county',
  教体局: 'county',
  县教体局: 'county',
};
export const GENDER_CHOICES: ChoiceTable<'male' | 'female'> = { male: '男', female: '女' };
export const LEFT_BEHIND_CHOICES: ChoiceTable<LeftBehind> = {
  both: '双亲外出',
  father: '父亲外出',
  mother: '母亲外出',
  single_parent: '单亲外出',
};
export const LIVING_WITH_CHOICES: ChoiceTable<LivingWith> = {
  grandparents: '祖辈',
  relatives: '其他亲属',
  proxy: '代管家长',
  alone: '独自生活',
  father: '父亲',
  mother: '母亲',
};
export const LITERACY_CHOICES: ChoiceTable<Literacy> = {
  illiterate: '不识字',
  primary: '小学',
  junior: '初中',
  senior_plus: '高中及以上',
};

const BOOLEANS: Record<string, boolean> = {
  是: true, 否: false, yes: true, no: false, y: true, n: false, true: true, false: false, '1': true, '0': false,
};

import { cleanText, codeText, parseDate, parsePhone } from '../humanInput';

const USERID = /^[0-9A-Za-z_\-@.]{1,64}$/;

/** Longer than any school, class, name, city or account a roster holds. */
export const MAX_CELL_CHARS = 200;

/**
 * Reads one data row. Each getter validates its cell and records at most one error for it, so a row
 * reports every bad cell; `commit` then takes the row only when it had none.
 */
export class RowReader<K extends string> {
  readonly errors: RowError[] = [];
  private readonly cells: readonly string[];

  constructor(
    cells: readonly string[],
    private readonly index: Partial<Record<K, number>>,
    readonly row: number,
  ) {
    // A pasted essay (or a 5 MB cell) in a name column is a mistake: reported, and read as blank from then on.
    const tooLong = (Object.entries(index) as Array<[K, number]>).filter(([, i]) => (cells[i]?.length ?? 0) > MAX_CELL_CHARS);
    this.cells = tooLong.length ? cells.map((c, i) => (tooLong.some(([, j]) => j === i) ? '' : c)) : cells;
    for (const [key] of tooLong) this.fail(key, 'too_long', { max: MAX_CELL_CHARS });
  }

  text(key: K): string {
    const i = this.index[key];
    return i === undefined ? '' : cleanText(this.cells[i]);
  }

  /** Blank in every known column; other columns (a pre-filled 序号, notes) do not count. */
  isBlank(): boolean {
    return (Object.keys(this.index) as K[]).every((k) => this.text(k) === '');
  }

  anyFilled(keys: readonly K[]): boolean {
    return keys.some((k) => this.text(k) !== '');
  }

  /** At most one error per cell: the first problem found is the one to fix. */
  fail(field: K, code: string, params?: RowError['params']): void {
    if (this.errors.some((e) => e.field === field)) return;
    this.errors.push(params ? { row: this.row, field, code, params } : { row: this.row, field, code });
  }

  opt(key: K): string | undefined {
    return this.text(key) || undefined;
  }

  /** '' (with a `required` error) when blank, so callers need no non-null assertions. */
  need(key: K): string {
    const v = this.text(key);
    if (!v) this.fail(key, 'required');
    return v;
  }

  choice<V extends string>(key: K, table: ChoiceTable<V>): V | undefined;
  choice<V extends string>(key: K, table: ChoiceTable<V>, fallback: V, aliases?: Readonly<Record<string, V>>): V;
  choice<V extends string>(key: K, table: ChoiceTable<V>, fallback?: V, aliases?: Readonly<Record<string, V>>): V | undefined {
    const raw = codeText(this.text(key));
    if (!raw) return fallback;
    const english = raw.toLowerCase().replace(/[\s-]+/g, '_');
    const entries = Object.entries(table) as [V, string][];
    const hit = entries.find(([value, zh]) => value === english || zh === raw);
    if (hit) return hit[0];
    if (aliases && Object.hasOwn(aliases, raw)) return aliases[raw];
    this.fail(key, 'invalid_choice', {
      allowed: entries.map(([, zh]) => zh).join('/'),
      allowedEn: entries.map(([value]) => value).join('/'),
    });
    return fallback;
  }

  /** Blank is false. */
  bool(key: K): boolean {
    const raw = codeText(this.text(key)).toLowerCase();
    if (!raw) return false;
    const v = BOOLEANS[raw];
    if (v === undefined) this.fail(key, 'invalid_choice', { allowed: '是/否', allowedEn: 'yes/no' });
    return v ?? false;
  }

  int(key: K, min: number, max: number): number | undefined {
    const raw = codeText(this.text(key));
    if (!raw) return undefined;
    const n = /^\d+(\.0+)?$/.test(raw) ? Number.parseInt(raw, 10) : NaN;
    if (n >= min && n <= max) return n;
    this.fail(key, 'invalid_number', { min, max });
    return undefined;
  }

  phone(key: K): string | undefined {
    const raw = this.text(key);
    if (!raw) return undefined;
    const v = parsePhone(raw);
    if (v === undefined) this.fail(key, 'invalid_phone');
    return v;
  }

  userid(key: K, required: boolean): string | undefined {
    const raw = codeText(this.text(key));
    if (!raw) {
      if (required) this.fail(key, 'required');
      return undefined;
    }
    if (USERID.test(raw)) return raw;
    this.fail(key, 'invalid_userid');
    return undefined;
  }

  /** Required date, strictly after `after` and not after `upTo` (both YYYY-MM-DD). */
  date(key: K, bounds: { after: string; upTo: string }): string {
    const raw = this.text(key);
    if (!raw) {
      this.fail(key, 'required');
      return '';
    }
    const v = parseDate(raw);
    if (v !== undefined && v > bounds.after && v <= bounds.upTo) return v;
    this.fail(key, 'invalid_date');
    return '';
  }

  commit<T>(result: ParseResult<T>, data: T): void {
    if (this.errors.length > 0) result.errors.push(...this.errors);
    else result.rows.push({ row: this.row, data });
  }
}

/** Drops undefined optional fields so stored and compared objects carry only what the file said. */
export function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
