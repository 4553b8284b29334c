/** Shapes produced by the staff and roster parsers (no database here). */
import type { StaffRole } from '../models/staff';

/** The roles of the staff model, 'county' (教育局) included. */
export type { StaffRole };

/** `row` is the spreadsheet row number (header = 1); `field` the English column key. */
export interface RowError {
  row: number;
  field: string;
  code: string;
  params?: Record<string, string | number>;
}

export interface ParsedRow<T> {
  row: number;
  data: T;
}

export interface ParseResult<T> {
  rows: ParsedRow<T>[];
  errors: RowError[];
}

export interface StaffRow {
  /** '' for county staff (教育局): they belong to no school, whatever the cell said. */
  school: string;
  name: string;
  wecomUserId: string;
  phone?: string;
  role: StaffRole;
  className?: string;
  partyMember: boolean;
  /** Always 0 for county staff: they pair no child. */
  maxChildren: number;
  /** Only when the file names one: otherwise the school's own room stays. */
  teacherRoom?: string;
}

export type LeftBehind = 'both' | 'father' | 'mother' | 'single_parent';
export type LivingWith = 'grandparents' | 'relatives' | 'proxy' | 'alone' | 'father' | 'mother';
export type Literacy = 'illiterate' | 'primary' | 'junior' | 'senior_plus';

export interface FamilyMemberRow {
  name: string;
  phone?: string;
  workCity?: string;
}

export interface GuardianRow {
  name: string;
  relation?: string;
  phone?: string;
  age?: number;
  literacy?: Literacy;
}

export interface RosterRow {
  school: string;
  className: string;
  childName: string;
  gender?: 'male' | 'female';
  /** YYYY-MM-DD */
  birthDate: string;
  studentNo?: string;
  leftBehind?: LeftBehind;
  livingWith?: LivingWith;
  boarding: boolean;
  priority: boolean;
  father?: FamilyMemberRow;
  mother?: FamilyMemberRow;
  guardian?: GuardianRow;
  teacherWecomUserId?: string;
}
