/**
 * Roster import: each valid row creates or updates one child's record, the family members on it (each with a
 * binding code for the contact card) and the pairing. No transactions: every write is an idempotent upsert
 * keyed by the child's identity, so a re-import completes a row a crash left unfinished.
 */
import { Types } from 'mongoose';
import { Child, childIdentityKey } from '../models/child';
import { FamilyMember, FamilyRole } from '../models/familyMember';
import { generateCode } from '../models/bindingCode';
import { Pairing } from '../models/pairing';
import { Staff } from '../models/staff';
import { changedFields, ImportOptions, ImportResult, Proposal, Unpaired } from './result';
import { parseRoster } from './rosterRows';
import { classroomIdFor, findSchoolId, schoolIdFor } from './schools';
import type { RosterRow, RowError } from './types';

type Outcome = 'created' | 'updated' | 'unchanged';

export async function importRoster(table: string[][], opts: ImportOptions & { timeZone?: string }): Promise<ImportResult> {
  const parsed = parseRoster(table, { now: opts.now, timeZone: opts.timeZone });
  const result: ImportResult = { created: 0, updated: 0, unchanged: 0, errors: [...parsed.errors], proposed: [], unpaired: [], dryRun: opts.dryRun };
  let done = 0;
  for (const { row, data } of parsed.rows) {
    const outcome = await importChildRow(row, data, opts, result.proposed, result.unpaired);
    if (typeof outcome === 'object') result.errors.push(outcome);
    else result[outcome]++;
    opts.onProgress?.(++done, parsed.rows.length);
  }
  result.errors.sort((a, b) => a.row - b.row);
  return result;
}

async function importChildRow(row: number, data: RosterRow, opts: ImportOptions, proposed: Proposal[], unpaired: Unpaired[]): Promise<Outcome | RowError> {
  const { orgId, dryRun, now } = opts;
  // Checks first, writes after: a row is taken whole or not at all.
  let teacher = null;
  if (data.teacherWecomUserId) {
    teacher = await Staff.findOne({ orgId, wecomUserId: data.teacherWecomUserId, active: true }).lean();
    if (!teacher) return { row, field: 'teacher_wecom_userid', code: 'unknown_teacher', params: { value: data.teacherWecomUserId } };
  }
  // Checked against the school as it is before this row: a school the file mentions for the first time
  // cannot be the teacher's, and a rejected row must not leave a new school (or class) behind.
  if (teacher && String(teacher.schoolId) !== String(await findSchoolId(orgId, data.school))) {
    return { row, field: 'teacher_wecom_userid', code: 'teacher_other_school', params: { value: data.teacherWecomUserId! } };
  }
  const schoolId = await schoolIdFor(orgId, data.school, dryRun, { showTeacherPhone: opts.showTeacherPhone });
  const classroomId = await classroomIdFor(orgId, schoolId, data.className, dryRun);
  if (dryRun && !schoolId) return 'created';

  const key = childIdentityKey(String(schoolId), data.className, data.childName, data.birthDate, data.studentNo);
  let existing = await Child.findOne({ orgId, identityKey: key }).lean();
  if (!existing && data.studentNo) {
    // Imported before without a student number: the same child, now with one.
    existing = await Child.findOne({ orgId, identityKey: childIdentityKey(String(schoolId), data.className, data.childName, data.birthDate) }).lean();
  }
  let keptNumber = false;
  if (!existing && !data.studentNo && classroomId) {
    // Imported before with a student number, now from a file without one: school + class + name + birth date
    // still name the child (when exactly one has them); it keeps its number and number-based identity.
    const numbered = await Child.find({ orgId, schoolId, classroomId, name: data.childName, birthDate: data.birthDate, studentNo: { $exists: true } }).limit(2).lean();
    if (numbered.length === 1) [existing, keptNumber] = [numbered[0], true];
  }
  const fields = {
    schoolId, classroomId, identityKey: keptNumber ? existing!.identityKey : key, name: data.childName, gender: data.gender, birthDate: data.birthDate,
    studentNo: keptNumber ? existing!.studentNo : data.studentNo, leftBehind: data.leftBehind, livingWith: data.livingWith, boarding: data.boarding, priority: data.priority,
  };
  const changed = changedFields(existing, fields);
  let outcome: Outcome = existing ? (changed.length ? 'updated' : 'unchanged') : 'created';
  if (dryRun) return existing ? await dryRunOutcome(orgId, existing._id, schoolId!, data, teacher?._id, outcome) : 'created';

  let childId = existing?._id;
  if (!existing) {
    const doc = await Child.findOneAndUpdate(
      { orgId, identityKey: key },
      { $set: fields, $setOnInsert: { orgId, status: 'active', history: [{ at: now, source: 'import', changed: ['created'] }] } },
      { upsert: true, new: true },
    );
    childId = doc!._id;
  } else if (changed.length) {
    await Child.updateOne({ _id: existing._id }, { $set: fields, $push: { history: { at: now, source: 'import', changed } } });
  }

  if (await upsertFamily(orgId, childId!, data) && outcome === 'unchanged') outcome = 'updated';
  const pairing = await ensurePairing(orgId, childId!, schoolId!, teacher?._id, now);
  if (pairing.changed && outcome === 'unchanged') outcome = 'updated';
  if (pairing.unpaired) unpaired.push({ row, child: data.childName });
  if (pairing.proposedTeacher) proposed.push({ row, child: data.childName, teacher: pairing.proposedTeacher.name, wecomUserId: pairing.proposedTeacher.wecomUserId });
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

/** What the real import would report for an existing child: its family members and pairing count too. */
async function dryRunOutcome(orgId: string, childId: Types.ObjectId, schoolId: Types.ObjectId, data: RosterRow, teacherId: Types.ObjectId | undefined, outcome: Outcome): Promise<Outcome> {
  if (outcome !== 'unchanged') return outcome;
  for (const [role, fields] of familyFields(data)) {
    const m = await FamilyMember.findOne({ orgId, childId, role }).lean();
    if (changedFields(m, fields).length) return 'updated';
  }
  const current = await Pairing.findOne({ orgId, childId, until: { $exists: false } }).lean();
  if (teacherId) return current && String(current.teacherId) === String(teacherId) && !current.proposed ? outcome : 'updated';
  if (!current && await proposeTeacher(orgId, schoolId)) return 'updated';
  return outcome;
}

/** Returns whether anything changed. A member's binding code is made once and never changes on re-import. */
async function upsertFamily(orgId: string, childId: Types.ObjectId, data: RosterRow): Promise<boolean> {
  let changed = false;
  for (const [role, fields] of familyFields(data)) {
    const existing = await FamilyMember.findOne({ orgId, childId, role }).lean();
    if (existing) {
      if (changedFields(existing, fields).length) {
        await FamilyMember.updateOne({ _id: existing._id }, { $set: fields });
        changed = true;
      }
      continue;
    }
    changed = true;
    for (let attempt = 0; ; attempt++) {
      try {
        await FamilyMember.updateOne({ orgId, childId, role }, { $set: fields, $setOnInsert: { orgId, childId, role, code: generateCode() } }, { upsert: true });
        break;
      } catch (err) {
        // A code collision within the org (rare): draw another.
        if ((err as { code?: number }).code !== 11000 || attempt >= 5) throw err;
      }
    }
  }
  return changed;
}

interface PairingOutcome { changed: boolean; proposedTeacher?: { name: string; wecomUserId: string }; unpaired?: boolean }

async function ensurePairing(orgId: string, childId: Types.ObjectId, schoolId: Types.ObjectId, teacherId: Types.ObjectId | undefined, now: Date): Promise<PairingOutcome> {
  const current = await Pairing.findOne({ orgId, childId, until: { $exists: false } }).lean();
  if (teacherId) {
    if (current && String(current.teacherId) === String(teacherId)) {
      // The file now names the teacher the bot had proposed: confirmed, which is a change.
      if (!current.proposed) return { changed: false };
      await Pairing.updateOne({ _id: current._id }, { $set: { proposed: false } });
      return { changed: true };
    }
    if (current) await Pairing.updateOne({ _id: current._id }, { $set: { until: now } });
    await Pairing.create({ orgId, childId, teacherId, from: now, proposed: false });
    return { changed: true };
  }
  if (current) return { changed: false };
  const proposal = await proposeTeacher(orgId, schoolId);
  // Nobody in the school has room: said in the answer, so no child silently stays without a teacher.
  if (!proposal) return { changed: false, unpaired: true };
  await Pairing.create({ orgId, childId, teacherId: proposal._id, from: now, proposed: true });
  return { changed: true, proposedTeacher: { name: proposal.name, wecomUserId: proposal.wecomUserId } };
}

/** The school's teaching staff member with the most room left (fewest children against their maximum). */
async function proposeTeacher(orgId: string, schoolId: Types.ObjectId) {
  const staff = await Staff.find({ orgId, schoolId, active: true, role: { $in: ['teacher', 'head_teacher', 'counselor', 'moral_director'] } }).sort({ wecomUserId: 1 }).lean();
  let best: (typeof staff)[number] | undefined;
  let bestRoom = 0;
  for (const s of staff) {
    const load = await Pairing.countDocuments({ orgId, teacherId: s._id, until: { $exists: false } });
    const room = (s.maxChildren ?? 3) - load;
    if (room > bestRoom) [best, bestRoom] = [s, room];
  }
  return best;
}
