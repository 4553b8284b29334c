import { codeText } from '../humanInput';
import { findHeader, headerErrors, ROLE_ALIASES, ROLE_CHOICES, RowReader, STAFF_COLUMNS, withoutUndefined } from './columns';
import type { ParseResult, StaffRow } from './types';

/** Whether a 职务 cell names county staff (教育局, 县教育局, county…), read the way RowReader.choice reads it. */
function namesCounty(cell: string): boolean {
  const raw = codeText(cell);
  return raw === ROLE_CHOICES.county || raw.toLowerCase().replace(/[\s-]+/g, '_') === 'county' || ROLE_ALIASES[raw] === 'county';
}

/**
 * Validates a staff table (rows from readTable; the header is found among the top rows).
 *
 * One person may have several rows, all with the same 企业微信账号 and 姓名: one per school they work in (the first
 * is their main post, the others further posts) and at most one county row. The same school twice is a duplicate.
 */
export function parseStaff(rows: string[][]): ParseResult<StaffRow> {
  const header = findHeader(rows, STAFF_COLUMNS);
  const refused = headerErrors<StaffRow>(header);
  if (refused) return refused;

  const result: ParseResult<StaffRow> = { rows: [], errors: [] };
  // WeCom treats userids case-insensitively, so Zhang3 and zhang3 are the same person.
  const seen = new Map<string, { firstRow: number; name: string; places: Map<string, number> }>();
  for (let i = header.at + 1; i < rows.length; i++) {
    const r = new RowReader(rows[i], header.index, i + 1);
    if (r.isBlank()) continue;
    // County staff (教育局) belong to no school: the 学校 cell may be blank or name the county office, and is not
    // kept (a school of that name would be listed among the schools); nor are 班级 and 教师群. They pair no child.
    const county = namesCounty(r.text('role'));
    const data: StaffRow = withoutUndefined({
      school: county ? '' : r.need('school'),
      name: r.need('name'),
      wecomUserId: r.userid('wecom_userid', true) ?? '',
      phone: r.phone('phone'),
      role: r.choice('role', ROLE_CHOICES, 'teacher', ROLE_ALIASES),
      className: county ? undefined : r.opt('class'),
      partyMember: r.bool('party_member'),
      // 0 is a principal or director who pairs no child: proposals need room left, so they never get one.
      maxChildren: county ? 0 : r.int('max_children', 0, 20) ?? 3,
      teacherRoom: county ? undefined : r.opt('teacher_room'),
    });
    if (data.wecomUserId) {
      const key = data.wecomUserId.toLowerCase();
      // County rows share one place: a second one is a duplicate too.
      const place = county ? '' : data.school;
      const first = seen.get(key);
      if (!first) seen.set(key, { firstRow: r.row, name: data.name, places: new Map([[place, r.row]]) });
      else if (first.places.has(place)) r.fail('wecom_userid', 'duplicate_in_file', { firstRow: first.places.get(place)! });
      // Two people given one account by mistake must not become one person holding the other's school.
      else if (data.name && first.name && first.name !== data.name) r.fail('wecom_userid', 'same_userid_other_name', { firstRow: first.firstRow });
      else first.places.set(place, r.row);
    }
    r.commit(result, data);
  }
  return result;
}
