import { findHeader, headerErrors, ROLE_CHOICES, RowReader, STAFF_COLUMNS, withoutUndefined } from './columns';
import type { ParseResult, StaffRow } from './types';

/** Validates a staff table (rows from readTable; the header is found among the top rows). */
export function parseStaff(rows: string[][]): ParseResult<StaffRow> {
  const header = findHeader(rows, STAFF_COLUMNS);
  const refused = headerErrors<StaffRow>(header);
  if (refused) return refused;

  const result: ParseResult<StaffRow> = { rows: [], errors: [] };
  // WeCom treats userids case-insensitively, so Zhang3 and zhang3 are the same person.
  const firstRowOf = new Map<string, number>();
  for (let i = header.at + 1; i < rows.length; i++) {
    const r = new RowReader(rows[i], header.index, i + 1);
    if (r.isBlank()) continue;
    const data: StaffRow = withoutUndefined({
      school: r.need('school'),
      name: r.need('name'),
      wecomUserId: r.userid('wecom_userid', true) ?? '',
      phone: r.phone('phone'),
      role: r.choice('role', ROLE_CHOICES, 'teacher'),
      className: r.opt('class'),
      partyMember: r.bool('party_member'),
      // 0 is a principal or director who pairs no child: proposals need room left, so they never get one.
      maxChildren: r.int('max_children', 0, 20) ?? 3,
      teacherRoom: r.opt('teacher_room'),
    });
    if (data.wecomUserId) {
      const key = data.wecomUserId.toLowerCase();
      const firstRow = firstRowOf.get(key);
      if (firstRow === undefined) firstRowOf.set(key, r.row);
      else r.fail('wecom_userid', 'duplicate_in_file', { firstRow });
    }
    r.commit(result, data);
  }
  return result;
}
