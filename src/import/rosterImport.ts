/**
 * Roster import: each valid row creates or updates one child's record, the family members on it (each with a
 * binding code for the contact card) and the pairing.
 *
 * Plan, then write: every row is first checked and planned in memory against what RosterState loaded (one query
 * per collection), so a rejected row never writes anything; the writes then go out in batches, a chunk of rows at
 * a time (children, then their family members, then pairings). No transactions: a crash between batches leaves
 * children whose members or pairing are missing, and importing the file again completes them (every step looks
 * at what is there, and changes only what differs).
 */
import { Types, type AnyBulkWriteOperation } from 'mongoose';
import { Child, childIdentityKey } from '../models/child';
import { Classroom } from '../models/classroom';
import { FamilyMember, FamilyRole } from '../models/familyMember';
import { generateCode } from '../models/bindingCode';
import { Pairing } from '../models/pairing';
import { defaultTeacherRoom, School } from '../models/school';
import { holdsPostIn } from '../models/staff';
import { bulkWriteChunked, insertManyTolerant } from '../models/bulk';
import { changedFields, ImportOptions, ImportResult, Proposal, Unpaired, withinSchools } from './result';
import { parseRoster } from './rosterRows';
import { numberedKey, RosterState, StaffLite } from './rosterState';
import type { ParsedRow, RosterRow, RowError } from './types';

type Id = Types.ObjectId;
type Outcome = 'created' | 'updated' | 'unchanged';
type Doc = Record<string, unknown> & { _id: Id };

/** Rows whose writes go out together; progress is reported after each chunk. */
const ROW_CHUNK = 1000;
/** Binding-code collisions (or a racing import) retried this many times before the import gives up. */
const CODE_ATTEMPTS = 6;

/** What one row will write. */
interface RowOps {
  row: number;
  childInsert?: Doc;
  childUpdate?: AnyBulkWriteOperation;
  memberInserts: Doc[];
  memberUpdates: AnyBulkWriteOperation[];
  pairingUpdates: AnyBulkWriteOperation[];
  pairingInserts: Doc[];
}

export async function importRoster(table: string[][], opts: ImportOptions & { timeZone?: string }): Promise<ImportResult> {
  const all = parseRoster(table, { now: opts.now, timeZone: opts.timeZone });
  const scoped = withinSchools(all.rows, opts.onlySchools);
  const parsed = { rows: scoped.rows, errors: [...all.errors, ...scoped.errors].sort((a, b) => a.row - b.row) };
  const result: ImportResult = { created: 0, updated: 0, unchanged: 0, errors: [...parsed.errors], proposed: [], unpaired: [], dryRun: opts.dryRun };
  const state = await RosterState.load(opts.orgId, parsed.rows.map((r) => r.data));

  const checked: Array<ParsedRow<RosterRow> & { teacher?: StaffLite }> = [];
  for (const { row, data } of parsed.rows) {
    const teacher = checkTeacher(row, data, state);
    if ('code' in teacher) result.errors.push(teacher);
    else checked.push({ row, data, teacher: teacher.staff });
  }
  if (!opts.dryRun) await createSchoolsAndClasses(opts, checked.map((c) => c.data), state);

  const plans: RowOps[] = [];
  for (const { row, data, teacher } of checked) {
    const ops: RowOps = { row, memberInserts: [], memberUpdates: [], pairingUpdates: [], pairingInserts: [] };
    result[planRow(ops, data, teacher, opts, state, result.proposed, result.unpaired)]++;
    plans.push(ops);
  }
  const total = plans.length;
  // Two chunks in flight: one chunk's children go out while the previous one's members and pairings do.
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < total) {
      const chunk = plans.slice(next, next += ROW_CHUNK);
      if (!opts.dryRun) await writeChunk(opts.orgId, chunk);
      opts.onProgress?.(done += chunk.length, total);
    }
  };
  await Promise.all([worker(), worker()]);
  result.errors.sort((a, b) => a.row - b.row);
  return result;
}

/** The named teacher must be active staff of the row's school (main post or a further one) as it was before this import. */
function checkTeacher(row: number, data: RosterRow, state: RosterState): { staff?: StaffLite } | RowError {
  if (!data.teacherWecomUserId) return {};
  const staff = state.staffByUserid.get(data.teacherWecomUserId);
  if (!staff || staff.active === false) return { row, field: 'teacher_wecom_userid', code: 'unknown_teacher', params: { value: data.teacherWecomUserId } };
  // A school the file mentions for the first time cannot be the teacher's, and a rejected row must not leave a new
  // school (or class) behind.
  const schoolId = state.schoolsBefore.get(data.school);
  if (!schoolId || !holdsPostIn(staff, schoolId)) {
    return { row, field: 'teacher_wecom_userid', code: 'teacher_other_school', params: { value: data.teacherWecomUserId } };
  }
  return { staff };
}

/** Schools and classes the accepted rows name and the org does not have yet; a racing import's copy is reused. */
async function createSchoolsAndClasses(opts: ImportOptions, rows: RosterRow[], state: RosterState): Promise<void> {
  const { orgId } = opts;
  const newSchools = [...new Set(rows.map((r) => r.school))].filter((name) => !state.schools.has(name));
  if (newSchools.length) {
    await insertManyTolerant(School, newSchools.map((name) => {
      const _id = new Types.ObjectId();
      return { _id, orgId, name, showTeacherPhone: opts.showTeacherPhone, teacherRoom: defaultTeacherRoom(_id) };
    }));
    for (const sc of await School.find({ orgId, name: { $in: newSchools } }, { _id: 1, name: 1 }).lean()) state.schools.set(sc.name, sc._id);
  }
  const wanted = new Map<string, { schoolId: Id; name: string }>();
  for (const r of rows) {
    const schoolId = state.schools.get(r.school)!;
    const key = `${schoolId}|${r.className}`;
    if (!state.classes.has(key)) wanted.set(key, { schoolId, name: r.className });
  }
  if (wanted.size) {
    await insertManyTolerant(Classroom, [...wanted.values()].map((c) => ({ _id: new Types.ObjectId(), orgId, ...c })));
    const schoolIds = [...new Set([...wanted.values()].map((c) => String(c.schoolId)))];
    for (const c of await Classroom.find({ orgId, schoolId: { $in: schoolIds } }, { _id: 1, schoolId: 1, name: 1 }).lean()) {
      state.classes.set(`${c.schoolId}|${c.name}`, c._id);
    }
  }
}

/** Decides what the row writes (into `ops`) and what the answer says about it; touches no database. */
function planRow(ops: RowOps, data: RosterRow, teacher: StaffLite | undefined, opts: ImportOptions, state: RosterState, proposed: Proposal[], unpaired: Unpaired[]): Outcome {
  const { orgId, now } = opts;
  const schoolId = state.schools.get(data.school);
  // Only in a dry run: a school the file creates has no children yet.
  if (!schoolId) return 'created';
  const classroomId = state.classes.get(`${schoolId}|${data.className}`);

  const key = childIdentityKey(String(schoolId), data.className, data.childName, data.birthDate, data.studentNo);
  let existing = state.childByKey.get(key);
  // Imported before without a student number: the same child, now with one.
  if (!existing && data.studentNo) existing = state.childByKey.get(childIdentityKey(String(schoolId), data.className, data.childName, data.birthDate));
  let keptNumber = false;
  if (!existing && !data.studentNo && classroomId) {
    // Imported before with a student number, now from a file without one: school + class + name + birth date
    // still name the child (when exactly one has them); it keeps its number and number-based identity.
    const numbered = state.numbered.get(numberedKey(schoolId, classroomId, data.childName, data.birthDate)) ?? [];
    if (numbered.length === 1) [existing, keptNumber] = [numbered[0], true];
  }
  const fields = {
    schoolId, classroomId, identityKey: keptNumber ? existing!.identityKey : key, name: data.childName, gender: data.gender, birthDate: data.birthDate,
    studentNo: keptNumber ? existing!.studentNo ?? undefined : data.studentNo, leftBehind: data.leftBehind, livingWith: data.livingWith, boarding: data.boarding, priority: data.priority,
  };
  const changed = changedFields(existing, fields);
  let outcome: Outcome = existing ? (changed.length ? 'updated' : 'unchanged') : 'created';

  let childId: Id;
  if (!existing) {
    childId = new Types.ObjectId();
    ops.childInsert = { _id: childId, orgId, ...fields, status: 'active', history: [{ at: now, source: 'import', changed: ['created'] }] };
    state.addChild({ _id: childId, ...fields });
  } else {
    childId = existing._id;
    if (changed.length) {
      // Cast: mongoose's PushOperator type does not see `history` through the generic document type.
      ops.childUpdate = { updateOne: { filter: { _id: childId }, update: { $set: fields, $push: { history: { at: now, source: 'import', changed } } } } } as unknown as AnyBulkWriteOperation;
      Object.assign(existing, fields);
    }
  }

  if (planFamily(ops, orgId, childId, data, state) && outcome === 'unchanged') outcome = 'updated';
  const pairing = planPairing(ops, orgId, childId, schoolId, teacher, now, state);
  if (pairing.changed && outcome === 'unchanged') outcome = 'updated';
  if (pairing.unpaired) unpaired.push({ row: ops.row, child: data.childName });
  if (pairing.proposedTeacher) proposed.push({ row: ops.row, child: data.childName, teacher: pairing.proposedTeacher.name, wecomUserId: pairing.proposedTeacher.wecomUserId });
  return outcome;
}

function familyFields(data: RosterRow): Array<[FamilyRole, Record<string, unknown>]> {
  const out: Array<[FamilyRole, Record<string, unknown>]> = [];
  if (data.father) out.push(['father', { name: data.father.name, phone: data.father.phone, workCity: data.father.workCity }]);
  if (data.mother) out.push(['mother', { name: data.mother.name, phone: data.mother.phone, workCity: data.mother.workCity }]);
  if (data.guardian) {
    const g = data.guardian;
    out.push(['guardian', { name: g.name, phone: g.phone, relation: g.relation, age: g.age, literacy: g.literacy }]);
  }
  return out;
}

/** Returns whether anything changes. A member's binding code is made once and never changes on re-import. */
function planFamily(ops: RowOps, orgId: string, childId: Id, data: RosterRow, state: RosterState): boolean {
  let changed = false;
  for (const [role, fields] of familyFields(data)) {
    const existing = state.members.get(`${childId}|${role}`);
    if (existing) {
      if (changedFields(existing, fields).length) {
        ops.memberUpdates.push({ updateOne: { filter: { _id: existing._id }, update: { $set: fields } } });
        Object.assign(existing, fields);
        changed = true;
      }
      continue;
    }
    const doc = { _id: new Types.ObjectId(), orgId, childId, role, ...fields, code: state.freshCode(generateCode) };
    ops.memberInserts.push(doc);
    state.members.set(`${childId}|${role}`, doc);
    changed = true;
  }
  return changed;
}

interface PairingOutcome { changed: boolean; proposedTeacher?: StaffLite; unpaired?: boolean }

function planPairing(ops: RowOps, orgId: string, childId: Id, schoolId: Id, teacher: StaffLite | undefined, now: Date, state: RosterState): PairingOutcome {
  const current = state.currentPairing.get(String(childId));
  const pair = (teacherId: Id, proposed: boolean) => {
    const doc = { _id: new Types.ObjectId(), orgId, childId, teacherId, from: now, proposed };
    ops.pairingInserts.push(doc);
    state.currentPairing.set(String(childId), doc);
    state.load.set(String(teacherId), (state.load.get(String(teacherId)) ?? 0) + 1);
  };
  if (teacher) {
    if (current && String(current.teacherId) === String(teacher._id)) {
      // The file now names the teacher the bot had proposed: confirmed, which is a change.
      if (!current.proposed) return { changed: false };
      ops.pairingUpdates.push({ updateOne: { filter: { _id: current._id }, update: { $set: { proposed: false } } } });
      current.proposed = false;
      return { changed: true };
    }
    if (current) {
      ops.pairingUpdates.push({ updateOne: { filter: { _id: current._id }, update: { $set: { until: now } } } });
      state.load.set(String(current.teacherId), (state.load.get(String(current.teacherId)) ?? 1) - 1);
    }
    pair(teacher._id, false);
    return { changed: true };
  }
  if (current) return { changed: false };
  const proposal = state.proposeTeacher(schoolId);
  // Nobody in the school has room: said in the answer, so no child silently stays without a teacher.
  if (!proposal) return { changed: false, unpaired: true };
  pair(proposal._id, true);
  return { changed: true, proposedTeacher: proposal };
}

/** Children first, then their family members, then pairings: a crash in between is completed by a re-import. */
async function writeChunk(orgId: string, chunk: RowOps[]): Promise<void> {
  const childInserts = chunk.flatMap((o) => (o.childInsert ? [o.childInsert] : []));
  const refusedChildren = await insertManyTolerant(Child, childInserts);
  if (refusedChildren.size) await adoptRacedChildren(orgId, chunk, refusedChildren);
  await bulkWriteChunked(Child, chunk.flatMap((o) => (o.childUpdate ? [o.childUpdate] : [])));
  // Members and pairings depend on the children only, not on each other.
  await Promise.all([
    (async () => {
      await insertMembers(orgId, chunk.flatMap((o) => o.memberInserts));
      await bulkWriteChunked(FamilyMember, chunk.flatMap((o) => o.memberUpdates));
    })(),
    (async () => {
      await bulkWriteChunked(Pairing, chunk.flatMap((o) => o.pairingUpdates));
      await insertManyTolerant(Pairing, chunk.flatMap((o) => o.pairingInserts));
    })(),
  ]);
}

/**
 * Another import created some of these children between our read and our write (the identity key is unique):
 * their members and pairing are written against that child instead.
 */
async function adoptRacedChildren(orgId: string, chunk: RowOps[], refused: Set<string>): Promise<void> {
  const lost = chunk.filter((o) => o.childInsert && refused.has(String(o.childInsert._id)));
  const winners = await Child.find({ orgId, identityKey: { $in: lost.map((o) => o.childInsert!.identityKey) } }, { _id: 1, identityKey: 1 }).lean();
  const byKey = new Map(winners.map((c) => [c.identityKey, c._id]));
  for (const o of lost) {
    const id = byKey.get(o.childInsert!.identityKey as string);
    if (!id) throw new Error(`roster import: child of row ${o.row} was refused but not found`);
    for (const d of [...o.memberInserts, ...o.pairingInserts]) d.childId = id;
  }
}

/**
 * Family members with fresh binding codes. The unique index on (org, code) is the claim: a refused insert either
 * collided on its code (drawn again) or finds the member already there (a racing import made it: kept as is).
 */
async function insertMembers(orgId: string, docs: Doc[]): Promise<void> {
  let pending = docs;
  for (let attempt = 0; pending.length; attempt++) {
    const refused = await insertManyTolerant(FamilyMember, pending);
    if (!refused.size) return;
    if (attempt + 1 >= CODE_ATTEMPTS) throw new Error(`roster import: ${refused.size} binding codes still collide after ${CODE_ATTEMPTS} attempts`);
    const retry = pending.filter((d) => refused.has(String(d._id)));
    const present = await FamilyMember.find({ orgId, childId: { $in: retry.map((d) => d.childId) } }, { childId: 1, role: 1 }).lean();
    const there = new Set(present.map((m) => `${m.childId}|${m.role}`));
    pending = retry
      .filter((d) => !there.has(`${d.childId}|${d.role}`))
      .map((d) => ({ ...d, _id: new Types.ObjectId(), code: generateCode() }));
  }
}

