import {
  GENDER_CHOICES,
  LEFT_BEHIND_CHOICES,
  LITERACY_CHOICES,
  LIVING_WITH_CHOICES,
  findHeader,
  headerErrors,
  ROSTER_COLUMNS,
  RowReader,
  withoutUndefined,
  type RosterKey,
} from './columns';
import type { FamilyMemberRow, GuardianRow, ParseResult, RosterRow } from './types';

/** A birth date this many years ago or earlier is a typo, not a pupil. */
const MAX_CHILD_AGE = 25;

export interface RosterOptions {
  /** "Today" for rejecting future birth dates: the caller's clock (the import's `now`). */
  now: Date;
  /** Whose calendar decides what today is; defaults to Asia/Shanghai. */
  timeZone?: string;
}

/** Validates a roster table (rows from readTable; the header is found among the top rows). */
export function parseRoster(rows: string[][], options: RosterOptions): ParseResult<RosterRow> {
  const header = findHeader(rows, ROSTER_COLUMNS);
  const refused = headerErrors<RosterRow>(header);
  if (refused) return refused;

  const today = calendarDate(options.now, options.timeZone ?? 'Asia/Shanghai');
  const birthBounds = { after: `${Number(today.slice(0, 4)) - MAX_CHILD_AGE - 1}${today.slice(4)}`, upTo: today };
  const result: ParseResult<RosterRow> = { rows: [], errors: [] };
  const firstRowOf = new Map<string, number>();
  for (let i = header.at + 1; i < rows.length; i++) {
    const r = new RowReader(rows[i], header.index, i + 1);
    if (r.isBlank()) continue;
    const data: RosterRow = withoutUndefined({
      school: r.need('school'),
      className: r.need('class'),
      childName: r.need('child_name'),
      gender: r.choice('gender', GENDER_CHOICES),
      birthDate: r.date('birth_date', birthBounds),
      studentNo: r.opt('student_no'),
      leftBehind: r.choice('left_behind', LEFT_BEHIND_CHOICES),
      livingWith: r.choice('living_with', LIVING_WITH_CHOICES),
      boarding: r.bool('boarding'),
      priority: r.bool('priority'),
      father: familyMember(r, 'father_name', 'father_phone', 'father_work_city'),
      mother: familyMember(r, 'mother_name', 'mother_phone', 'mother_work_city'),
      guardian: guardian(r),
      teacherWecomUserId: r.userid('teacher_wecom_userid', false),
    });
    const identity = childIdentity(data);
    if (identity) {
      const firstRow = firstRowOf.get(identity);
      if (firstRow === undefined) firstRowOf.set(identity, r.row);
      else r.fail(data.studentNo ? 'student_no' : 'child_name', 'duplicate_in_file', { firstRow });
    }
    r.commit(result, data);
  }
  return result;
}

/** A parent is on the card when any of their cells is filled; then we need at least a name. */
function familyMember(r: RowReader<RosterKey>, name: RosterKey, phone: RosterKey, city: RosterKey): FamilyMemberRow | undefined {
  if (!r.anyFilled([name, phone, city])) return undefined;
  return withoutUndefined({ name: r.need(name), phone: r.phone(phone), workCity: r.opt(city) });
}

function guardian(r: RowReader<RosterKey>): GuardianRow | undefined {
  const keys = ['guardian_name', 'guardian_relation', 'guardian_phone', 'guardian_age', 'guardian_literacy'] as const;
  if (!r.anyFilled(keys)) return undefined;
  return withoutUndefined({
    name: r.need('guardian_name'),
    relation: r.opt('guardian_relation'),
    phone: r.phone('guardian_phone'),
    age: r.int('guardian_age', 10, 120),
    literacy: r.choice('guardian_literacy', LITERACY_CHOICES),
  });
}

/** DESIGN §4: school + student number when given, else school + class + name + birth date. */
function childIdentity(d: RosterRow): string | undefined {
  if (!d.school) return undefined;
  if (d.studentNo) return JSON.stringify([d.school, d.studentNo]).toLowerCase();
  if (!d.className || !d.childName || !d.birthDate) return undefined;
  return JSON.stringify([d.school, d.className, d.childName, d.birthDate]).toLowerCase();
}

/** YYYY-MM-DD of `now` on the wall calendar of `timeZone`. */
function calendarDate(now: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(now);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}
