/**
 * Staff import: each valid row creates or updates one staff member, their identity (address) and class. A person's
 * further rows (same account, other schools) are further posts of the same record (`posts`); a county row (教育局)
 * is a post in no school. The file states all of a person's posts: a post the file no longer lists is dropped
 * (within the caller's schools: a principal never touches posts elsewhere).
 * Like the roster import: checked and planned in memory against one query per collection, then written in batches;
 * every write is to a value the file states, so a re-import completes what a crash left unfinished.
 */
import { Types, type AnyBulkWriteOperation } from 'mongoose';
import { Classroom } from '../models/classroom';
import { Identity } from '../models/identity';
import { defaultTeacherRoom, School } from '../models/school';
import { postsOf, Staff, type StaffPost } from '../models/staff';
import { bulkWriteChunked, insertManyTolerant, setAndUnset } from '../models/bulk';
import { withoutUndefined } from './columns';
import { changedFields, ImportOptions, ImportResult, withinSchools } from './result';
import { parseStaff } from './staffRows';
import type { ParsedRow, RowError, StaffRow } from './types';

type Id = Types.ObjectId;
type Lean = Record<string, unknown> & { _id: Id };

/** Past this many accounts, the org's staff and identities are read in one scan rather than by a long $in. */
const BY_ID_MAX = 500;

export async function importStaff(table: string[][], opts: ImportOptions): Promise<ImportResult> {
  const { orgId, dryRun, now } = opts;
  const all = parseStaff(table);
  // County scope is given by the county only: a principal's file may not make anyone 教育局 staff.
  const countyRows = opts.onlySchools ? all.rows.filter((r) => r.data.role === 'county') : [];
  const countyErrors: RowError[] = countyRows.map((r) => ({ row: r.row, field: 'role', code: 'role_needs_county' }));
  const scoped = withinSchools(countyRows.length ? all.rows.filter((r) => r.data.role !== 'county') : all.rows, opts.onlySchools);
  const parsed = { rows: scoped.rows, errors: [...all.errors, ...countyErrors, ...scoped.errors].sort((a, b) => a.row - b.row) };
  const result: ImportResult = { created: 0, updated: 0, unchanged: 0, errors: [...parsed.errors], proposed: [], unpaired: [], dryRun };
  const userids = [...new Set(parsed.rows.map((r) => r.data.wecomUserId))];
  const many = userids.length > BY_ID_MAX;
  const [identities, staff, scope] = await Promise.all([
    Identity.find(many ? { orgId } : { orgId, address: { $in: userids } }, { _id: 1, address: 1, kind: 1, staffId: 1 }).lean<Lean[]>(),
    Staff.find(many ? { orgId } : { orgId, wecomUserId: { $in: userids } }).lean<Lean[]>(),
    opts.onlySchools ? School.find({ orgId, name: { $in: opts.onlySchools } }, { _id: 1 }).lean() : undefined,
  ]);
  const identityOf = new Map(identities.map((i) => [i.address as string, i]));
  const staffOf = new Map(staff.map((s) => [s.wecomUserId as string, s]));
  const inScope = scope && new Set(scope.map((s) => String(s._id)));

  // Checks first, writes after: a row is taken whole or not at all.
  const rows: Array<ParsedRow<StaffRow>> = [];
  for (const r of parsed.rows) {
    const taken = identityOf.get(r.data.wecomUserId);
    if (taken && taken.kind !== 'staff') result.errors.push({ row: r.row, field: 'wecom_userid', code: 'address_taken' });
    else rows.push(r);
  }
  // A person's rows (one per school, one for the county), in file order; the first is their main post.
  const people = new Map<string, Array<ParsedRow<StaffRow>>>();
  for (const r of rows) {
    const key = r.data.wecomUserId.toLowerCase();
    people.set(key, [...(people.get(key) ?? []), r]);
  }

  const { schools, rooms, classes } = await schoolsAndClasses(opts, rows.map((r) => r.data));
  const staffInserts: Lean[] = [];
  const staffUpdates: AnyBulkWriteOperation[] = [];
  const identityInserts: Lean[] = [];
  const identityUpdates: AnyBulkWriteOperation[] = [];
  const headUpdates: AnyBulkWriteOperation[] = [];
  for (const personRows of people.values()) {
    const first = personRows[0].data;
    const existing = staffOf.get(first.wecomUserId);
    const posts: FilePost[] = personRows.map(({ data }) => {
      const schoolId = data.role === 'county' ? undefined : schools.get(data.school);
      const classroomId = data.className && schoolId ? classes.get(`${schoolId}|${data.className}`) : undefined;
      return { place: data.role === 'county' ? COUNTY : schoolId ? String(schoolId) : `new:${data.school}`, post: withoutUndefined({ schoolId, role: data.role, classroomId }) };
    });
    const before = existing ? postsOf(existing as StaffPost) : [];
    // A principal changes the posts in their own school(s) only: posts elsewhere (and a county post) stay, and so do
    // the person's own fields when their main post is elsewhere.
    const kept = inScope ? before.filter((p) => !(p.schoolId && inScope.has(String(p.schoolId)))) : [];
    const mainKept = kept.length > 0 && kept[0] === before[0];
    const after = mainKept ? [...kept, ...posts.map((p) => p.post)] : [...posts.map((p) => p.post), ...kept];
    const person = mainKept ? pick(existing!, PERSON_FIELDS) : {
      name: first.name, phone: first.phone, isPartyMember: first.partyMember, maxChildren: first.maxChildren,
      teacherRoom: first.teacherRoom ?? (first.role === 'county' ? undefined : rooms.get(first.school)), active: true,
    };
    const main = { schoolId: after[0].schoolId ?? undefined, role: after[0].role, classroomId: after[0].classroomId ?? undefined };
    const fields = { ...person, ...main, posts: after.length > 1 ? after.slice(1).map((p) => withoutUndefined({ ...p })) : undefined };
    const changed = changedFields(existing && { ...existing, posts: postsKey(existing.posts as StaffPost[] | undefined) }, { ...fields, posts: postsKey(fields.posts) });

    // Each row counts once. The main row as a person always did; a further row (a post in another school) as created
    // when the person had no post in that school, updated when their role or class there changed, else unchanged.
    // A change no row accounts for (a post dropped, posts reordered) counts as an update of the person's first row.
    const placeOf = (p: StaffPost) => (p.role === 'county' && !p.schoolId ? COUNTY : String(p.schoolId));
    const previous = new Map(before.map((p) => [placeOf(p), p]));
    const outcomes = posts.map(({ place, post }, i): Outcome => {
      if (!existing) return 'created';
      if (i === 0 && !mainKept) return changedFields(existing, { ...person, ...main }).length ? 'updated' : 'unchanged';
      const was = previous.get(place);
      if (!was) return 'created';
      return changedFields({ ...was }, { role: post.role, classroomId: post.classroomId }).length ? 'updated' : 'unchanged';
    });
    if (changed.length && !outcomes.some((o) => o !== 'unchanged')) outcomes[0] = 'updated';
    for (const o of outcomes) result[o]++;
    if (dryRun) continue;

    let staffId: Id;
    if (!existing) {
      staffId = new Types.ObjectId();
      staffInserts.push({ _id: staffId, orgId, wecomUserId: first.wecomUserId, ...fields });
    } else {
      staffId = existing._id;
      // Cleared fields are unset (a class, a school, a post), not left behind.
      const update = setAndUnset(fields, changed);
      if (update) staffUpdates.push({ updateOne: { filter: { _id: staffId }, update } });
    }
    // The identity for their address; written only when missing or different, so an unchanged re-import changes nothing.
    const identity = identityOf.get(first.wecomUserId);
    if (!identity) {
      identityInserts.push({ _id: new Types.ObjectId(), orgId, address: first.wecomUserId, kind: 'staff', staffId, verifiedVia: 'staff_import', verifiedAt: now, displayName: first.name });
    } else if (String(identity.staffId) !== String(staffId)) {
      identityUpdates.push({ updateOne: { filter: { _id: identity._id }, update: { $set: { kind: 'staff', staffId } } } });
    }
    for (const { post } of posts) {
      if (post.role === 'head_teacher' && post.classroomId) {
        headUpdates.push({ updateOne: { filter: { _id: post.classroomId, headTeacherId: { $ne: staffId } }, update: { $set: { headTeacherId: staffId } } } });
      }
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

type Outcome = 'created' | 'updated' | 'unchanged';
/** The place of a county post, which has no school. */
const COUNTY = 'county';
/** A row's post, with the school it is in (or `new:NAME` for a school a dry run does not create, or the county). */
interface FilePost { place: string; post: StaffPost }
/** The person's own fields, beside their posts. */
const PERSON_FIELDS = ['name', 'phone', 'isPartyMember', 'maxChildren', 'teacherRoom', 'active'] as const;

function pick(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o[k] ?? undefined]));
}

/** Further posts compared as text: their ids, role and class, in order. */
function postsKey(posts: StaffPost[] | null | undefined): string | undefined {
  return posts?.length ? posts.map((p) => `${p.schoolId ?? ''}|${p.role ?? 'teacher'}|${p.classroomId ?? ''}`).join(',') : undefined;
}

/**
 * The schools and classes the rows name, created when missing (not in a dry run), and each school's teachers' room:
 * the last one the file names for it, else the room it has, else (new) a room of its own — never one shared with
 * another school by default.
 */
async function schoolsAndClasses(opts: ImportOptions, allRows: StaffRow[]): Promise<{ schools: Map<string, Id>; rooms: Map<string, string>; classes: Map<string, Id> }> {
  const { orgId, dryRun } = opts;
  // County staff name no school (and must not create one).
  const rows = allRows.filter((r) => r.role !== 'county');
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
