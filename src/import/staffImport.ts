/**
 * Staff import: each valid row creates or updates one staff member, their identity (address) and class.
 * Like the roster import: checked and planned in memory against one query per collection, then written in batches;
 * every write is to a value the file states, so a re-import completes what a crash left unfinished.
 */
import { Types, type AnyBulkWriteOperation } from 'mongoose';
import { Classroom } from '../models/classroom';
import { Identity } from '../models/identity';
import { defaultTeacherRoom, School } from '../models/school';
import { Staff } from '../models/staff';
import { bulkWriteChunked, insertManyTolerant } from '../models/bulk';
import { changedFields, ImportOptions, ImportResult, withinSchools } from './result';
import { parseStaff } from './staffRows';
import type { StaffRow } from './types';

type Id = Types.ObjectId;
type Lean = Record<string, unknown> & { _id: Id };

/** Past this many accounts, the org's staff and identities are read in one scan rather than by a long $in. */
const BY_ID_MAX = 500;

export async function importStaff(table: string[][], opts: ImportOptions): Promise<ImportResult> {
  const { orgId, dryRun, now } = opts;
  const all = parseStaff(table);
  const scoped = withinSchools(all.rows, opts.onlySchools);
  const parsed = { rows: scoped.rows, errors: [...all.errors, ...scoped.errors].sort((a, b) => a.row - b.row) };
  const result: ImportResult = { created: 0, updated: 0, unchanged: 0, errors: [...parsed.errors], proposed: [], unpaired: [], dryRun };
  const userids = parsed.rows.map((r) => r.data.wecomUserId);
  const many = userids.length > BY_ID_MAX;
  const [identities, staff] = await Promise.all([
    Identity.find(many ? { orgId } : { orgId, address: { $in: userids } }, { _id: 1, address: 1, kind: 1, staffId: 1 }).lean<Lean[]>(),
    Staff.find(many ? { orgId } : { orgId, wecomUserId: { $in: userids } }).lean<Lean[]>(),
  ]);
  const identityOf = new Map(identities.map((i) => [i.address as string, i]));
  const staffOf = new Map(staff.map((s) => [s.wecomUserId as string, s]));

  // Checks first, writes after: a row is taken whole or not at all.
  const rows: StaffRow[] = [];
  for (const { row, data } of parsed.rows) {
    const taken = identityOf.get(data.wecomUserId);
    if (taken && taken.kind !== 'staff') result.errors.push({ row, field: 'wecom_userid', code: 'address_taken' });
    else rows.push(data);
  }

  const { schools, rooms, classes } = await schoolsAndClasses(opts, rows);
  const staffInserts: Lean[] = [];
  const staffUpdates: AnyBulkWriteOperation[] = [];
  const identityInserts: Lean[] = [];
  const identityUpdates: AnyBulkWriteOperation[] = [];
  const headUpdates: AnyBulkWriteOperation[] = [];
  for (const data of rows) {
    const schoolId = schools.get(data.school);
    const classroomId = data.className && schoolId ? classes.get(`${schoolId}|${data.className}`) : undefined;
    const existing = staffOf.get(data.wecomUserId);
    const fields = {
      schoolId, name: data.name, phone: data.phone, role: data.role, classroomId,
      isPartyMember: data.partyMember, maxChildren: data.maxChildren, teacherRoom: data.teacherRoom ?? rooms.get(data.school), active: true,
    };
    const changed = changedFields(existing, fields);
    result[existing ? (changed.length ? 'updated' : 'unchanged') : 'created']++;
    if (dryRun) continue;
    let staffId: Id;
    if (!existing) {
      staffId = new Types.ObjectId();
      staffInserts.push({ _id: staffId, orgId, wecomUserId: data.wecomUserId, ...fields });
    } else {
      staffId = existing._id;
      if (changed.length) staffUpdates.push({ updateOne: { filter: { _id: staffId }, update: { $set: fields } } });
    }
    // The identity for their address; written only when missing or different, so an unchanged re-import changes nothing.
    const identity = identityOf.get(data.wecomUserId);
    if (!identity) {
      identityInserts.push({ _id: new Types.ObjectId(), orgId, address: data.wecomUserId, kind: 'staff', staffId, verifiedVia: 'staff_import', verifiedAt: now, displayName: data.name });
    } else if (String(identity.staffId) !== String(staffId)) {
      identityUpdates.push({ updateOne: { filter: { _id: identity._id }, update: { $set: { kind: 'staff', staffId } } } });
    }
    if (data.role === 'head_teacher' && classroomId) {
      headUpdates.push({ updateOne: { filter: { _id: classroomId, headTeacherId: { $ne: staffId } }, update: { $set: { headTeacherId: staffId } } } });
    }
  }
  if (!dryRun) {
    await insertManyTolerant(Staff, staffInserts);
    await bulkWriteChunked(Staff, staffUpdates);
    await insertManyTolerant(Identity, identityInserts);
    await bulkWriteChunked(Identity, identityUpdates);
    await bulkWriteChunked(Classroom, headUpdates);
  }
  opts.onProgress?.(rows.length, rows.length);
  result.errors.sort((a, b) => a.row - b.row);
  return result;
}

/**
 * The schools and classes the rows name, created when missing (not in a dry run), and each school's teachers' room:
 * the last one the file names for it, else the room it has, else (new) a room of its own — never one shared with
 * another school by default.
 */
async function schoolsAndClasses(opts: ImportOptions, rows: StaffRow[]): Promise<{ schools: Map<string, Id>; rooms: Map<string, string>; classes: Map<string, Id> }> {
  const { orgId, dryRun } = opts;
  const names = [...new Set(rows.map((r) => r.school))];
  const room = new Map<string, string>();
  for (const r of rows) if (r.teacherRoom) room.set(r.school, r.teacherRoom);
  const found = async () => School.find({ orgId, name: { $in: names } }, { _id: 1, name: 1, teacherRoom: 1 }).lean();
  let existing = await found();
  if (!dryRun) {
    const have = new Set(existing.map((s) => s.name));
    const missing = names.filter((n) => !have.has(n));
    if (missing.length) {
      await insertManyTolerant(School, missing.map((name) => {
        const _id = new Types.ObjectId();
        return { _id, orgId, name, showTeacherPhone: opts.showTeacherPhone, teacherRoom: room.get(name) ?? defaultTeacherRoom(_id) };
      }));
      existing = await found();
    }
    // Filtered on the old value so an unchanged file writes nothing (not even updatedAt).
    await bulkWriteChunked(School, existing.filter((s) => room.has(s.name) && s.teacherRoom !== room.get(s.name))
      .map((s) => ({ updateOne: { filter: { _id: s._id }, update: { $set: { teacherRoom: room.get(s.name) } } } })));
  }
  const schools = new Map(existing.map((s) => [s.name, s._id]));
  const rooms = new Map(existing.map((s) => [s.name, room.get(s.name) ?? s.teacherRoom ?? defaultTeacherRoom(s._id)]));
  for (const name of names) if (!rooms.has(name) && room.has(name)) rooms.set(name, room.get(name)!);
  const classes = new Map<string, Id>();
  const schoolIds = [...schools.values()];
  const load = async () => {
    for (const c of await Classroom.find({ orgId, schoolId: { $in: schoolIds } }, { _id: 1, schoolId: 1, name: 1 }).lean()) classes.set(`${c.schoolId}|${c.name}`, c._id);
  };
  await load();
  if (!dryRun) {
    const wanted = new Map<string, { schoolId: Id; name: string }>();
    for (const r of rows) {
      const schoolId = schools.get(r.school);
      if (r.className && schoolId && !classes.has(`${schoolId}|${r.className}`)) wanted.set(`${schoolId}|${r.className}`, { schoolId, name: r.className });
    }
    if (wanted.size) {
      await insertManyTolerant(Classroom, [...wanted.values()].map((c) => ({ _id: new Types.ObjectId(), orgId, ...c })));
      await load();
    }
  }
  return { schools, rooms, classes };
}
