/** Staff import: each valid row creates or updates one staff member, their identity (address) and class. */
import { Classroom } from '../models/classroom';
import { Identity } from '../models/identity';
import { School } from '../models/school';
import { Staff } from '../models/staff';
import { changedFields, ImportOptions, ImportResult } from './result';
import { classroomIdFor, schoolIdFor } from './schools';
import { parseStaff } from './staffRows';
import type { RowError, StaffRow } from './types';

export async function importStaff(table: string[][], opts: ImportOptions): Promise<ImportResult> {
  const parsed = parseStaff(table);
  const result: ImportResult = { created: 0, updated: 0, unchanged: 0, errors: [...parsed.errors], proposed: [], unpaired: [], dryRun: opts.dryRun };
  let done = 0;
  for (const { row, data } of parsed.rows) {
    const outcome = await importStaffRow(row, data, opts);
    if (typeof outcome === 'object') result.errors.push(outcome);
    else result[outcome]++;
    opts.onProgress?.(++done, parsed.rows.length);
  }
  result.errors.sort((a, b) => a.row - b.row);
  return result;
}

async function importStaffRow(row: number, data: StaffRow, opts: ImportOptions): Promise<'created' | 'updated' | 'unchanged' | RowError> {
  const { orgId, dryRun } = opts;
  // Checks first, writes after: a row is taken whole or not at all.
  const taken = await Identity.findOne({ orgId, address: data.wecomUserId }).lean();
  if (taken && taken.kind !== 'staff') return { row, field: 'wecom_userid', code: 'address_taken' };

  const customRoom = data.teacherRoom !== 'teachers' ? data.teacherRoom : undefined;
  const schoolId = await schoolIdFor(orgId, data.school, dryRun, { showTeacherPhone: opts.showTeacherPhone, teacherRoom: customRoom });
  // Filtered on the old value so an unchanged file writes nothing (not even updatedAt).
  if (schoolId && customRoom && !dryRun) await School.updateOne({ _id: schoolId, teacherRoom: { $ne: customRoom } }, { $set: { teacherRoom: customRoom } });
  const classroomId = data.className ? await classroomIdFor(orgId, schoolId, data.className, dryRun) : undefined;

  const existing = await Staff.findOne({ orgId, wecomUserId: data.wecomUserId }).lean();
  const fields = {
    schoolId, name: data.name, phone: data.phone, role: data.role, classroomId,
    isPartyMember: data.partyMember, maxChildren: data.maxChildren, teacherRoom: data.teacherRoom, active: true,
  };
  const changed = changedFields(existing, fields);
  if (existing && changed.length === 0) {
    if (!dryRun) await ensureStaffLinks(orgId, existing._id, data, classroomId, opts.now);
    return 'unchanged';
  }
  if (dryRun) return existing ? 'updated' : 'created';
  const staff = await Staff.findOneAndUpdate(
    { orgId, wecomUserId: data.wecomUserId },
    { $set: fields, $setOnInsert: { orgId, wecomUserId: data.wecomUserId } },
    { upsert: true, new: true },
  );
  await ensureStaffLinks(orgId, staff!._id, data, classroomId, opts.now);
  return existing ? 'updated' : 'created';
}

/**
 * Identity for their address, and head teacher of their class. Idempotent, so a re-import repairs a crash;
 * writes only what is missing or different, so an unchanged re-import changes nothing (not even updatedAt).
 */
async function ensureStaffLinks(orgId: string, staffId: unknown, data: StaffRow, classroomId: unknown, now: Date): Promise<void> {
  const identity = await Identity.findOne({ orgId, address: data.wecomUserId }).lean();
  if (!identity || identity.kind !== 'staff' || String(identity.staffId) !== String(staffId)) {
    await Identity.updateOne(
      { orgId, address: data.wecomUserId },
      { $set: { kind: 'staff', staffId }, $setOnInsert: { verifiedVia: 'staff_import', verifiedAt: now, displayName: data.name } },
      { upsert: true },
    );
  }
  if (data.role === 'head_teacher' && classroomId) {
    await Classroom.updateOne({ _id: classroomId, headTeacherId: { $ne: staffId } }, { $set: { headTeacherId: staffId } });
  }
}
