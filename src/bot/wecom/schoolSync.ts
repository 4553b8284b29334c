/**
 * Optional sync of the school's 家校通讯录 into our records, so that 学校通知 can reach parents by parent_userid
 * (../shared/wecom-api.md §4). Read only on WeCom's side; on ours it never creates children or family members,
 * it links the existing ones:
 *
 * - Classes: `school/department/list` (type 1 = class). A class belongs to our School whose name is one of its
 *   ancestors' names (campus, school root) — or to the org's only school — and to our Classroom named like the
 *   class or like its grade + class ("三年级" + "1班", brackets ignored: "三年级(1)班").
 * - Students: `school/user/list?department_id=CLASS` with each student's parents; `school/user/get` when a
 *   student comes without them. A student is our child in that class with the same student number
 *   (student_userid = 学号) or else the same name; two children of one name are told apart by their parents'
 *   mobiles, otherwise the student is reported, not guessed.
 * - Parents: the child's FamilyMember with the same mobile gets `wecomParentUserId` (and `wecomExternalUserId`
 *   when the parent follows 学校通知). With no mobile match, the one member of the matching role (爸爸 → father,
 *   妈妈 → mother, others → guardian of a compatible relation) that has NO phone yet gets the directory's mobile
 *   filled in as well; anything else is reported for the school to fix.
 *
 * Running it twice changes nothing the second time (every write is a $set of the same values by _id).
 */
import type { Logger } from '../../log';
import { maskPhones } from '../../log';
import { audit } from '../../models/auditLog';
import { Child } from '../../models/child';
import { Classroom } from '../../models/classroom';
import { FamilyMember } from '../../models/familyMember';
import { School } from '../../models/school';
import type { WeComClient } from './client';

interface Department {
  id: number;
  name: string;
  parentid: number;
  /** 1 class, 2 grade, 3 stage, 4 campus, 5 school (root). */
  type: number;
}

interface DirectoryParent {
  parent_userid: string;
  relation?: string;
  mobile?: string;
  is_subscribe?: number;
  external_userid?: string;
}

interface DirectoryStudent {
  student_userid: string;
  name: string;
  department?: number[];
  parents?: DirectoryParent[];
}

export interface SchoolSyncOptions {
  orgId: string;
  now: Date;
  /** Report what would change without writing. */
  dryRun?: boolean;
  log?: Logger;
  /** Safety bound on classes read in one run. Default 2000. */
  maxClasses?: number;
}

export interface SchoolSyncReport {
  dryRun: boolean;
  classes: number;
  students: number;
  childrenMatched: number;
  /** Family members that got (or changed) their parent_userid / external_userid in this run. */
  parentsLinked: number;
  /** Family members already linked with the same ids. */
  parentsUnchanged: number;
  /** Family members whose missing phone was filled from the directory. */
  phonesFilled: number;
  unmatchedClasses: Array<{ class: string; reason: string }>;
  unmatchedStudents: Array<{ class: string; student: string; reason: string }>;
  unmatchedParents: Array<{ class: string; student: string; relation: string; mobile: string; reason: string }>;
}

type Role = 'father' | 'mother' | 'guardian';

const FATHER = ['爸爸', '父亲', '爸', 'father', 'dad'];
const MOTHER = ['妈妈', '母亲', '妈', 'mother', 'mum', 'mom'];
/** Directory relations and the words our roster uses for the same person. */
const SAME_RELATION: string[][] = [
  ['奶奶', '祖母'], ['爷爷', '祖父'], ['外婆', '姥姥', '外祖母'], ['外公', '姥爷', '外祖父'],
];

function roleOf(relation: string): Role {
  const r = relation.trim().toLowerCase();
  if (FATHER.includes(r)) return 'father';
  if (MOTHER.includes(r)) return 'mother';
  return 'guardian';
}

function sameRelation(a: string | null | undefined, b: string): boolean {
  if (!a) return true; // our record does not say: any guardian relation fits
  if (a === b) return true;
  return SAME_RELATION.some((group) => group.includes(a) && group.includes(b));
}

/** 11-digit mainland mobile from "+86 138-0013-8001" and the like. */
function normalizeMobile(m: string | null | undefined): string {
  const digits = (m ?? '').replace(/\D/g, '');
  return digits.length > 11 && digits.startsWith('86') ? digits.slice(-11) : digits;
}

function normalizeName(s: string): string {
  return s.replace(/[\s()（）]/g, '');
}

export async function syncSchoolDirectory(client: WeComClient, opts: SchoolSyncOptions): Promise<SchoolSyncReport> {
  const { orgId } = opts;
  const dryRun = !!opts.dryRun;
  const report: SchoolSyncReport = {
    dryRun, classes: 0, students: 0, childrenMatched: 0, parentsLinked: 0, parentsUnchanged: 0, phonesFilled: 0,
    unmatchedClasses: [], unmatchedStudents: [], unmatchedParents: [],
  };

  const { departments = [] } = await client.get<{ departments?: Department[] }>('/cgi-bin/school/department/list');
  const byId = new Map(departments.map((d) => [d.id, d]));
  const schools = await School.find({ orgId }).lean();
  const classes = departments.filter((d) => d.type === 1).slice(0, opts.maxClasses ?? 2000);

  for (const dept of classes) {
    const ancestors: Department[] = [];
    for (let p = byId.get(dept.parentid), guard = 0; p && guard < 10; p = byId.get(p.parentid), guard++) ancestors.push(p);
    const grade = ancestors.find((a) => a.type === 2);
    const label = `${grade ? grade.name : ''}${dept.name}`;
    const school = schools.find((s) => ancestors.some((a) => normalizeName(a.name) === normalizeName(s.name))) ?? (schools.length === 1 ? schools[0] : undefined);
    if (!school) {
      report.unmatchedClasses.push({ class: label, reason: 'no school of ours is named like this class\'s campus or school' });
      continue;
    }
    const names = [dept.name, ...(grade ? [grade.name + dept.name] : [])].map(normalizeName);
    const classrooms = await Classroom.find({ orgId, schoolId: school._id }).lean();
    const classroom = classrooms.find((c) => names.includes(normalizeName(c.name)));
    if (!classroom) {
      report.unmatchedClasses.push({ class: `${school.name} ${label}`, reason: 'no class of ours has this name' });
      continue;
    }
    report.classes++;
    const where = `${school.name} ${classroom.name}`;

    const { students = [] } = await client.get<{ students?: DirectoryStudent[] }>('/cgi-bin/school/user/list', { department_id: dept.id, fetch_child: 0 });
    const children = await Child.find({ orgId, classroomId: classroom._id }).lean();
    for (const s of students) {
      report.students++;
      let parents = s.parents;
      if (!parents) {
        const got = await client.get<{ student?: DirectoryStudent }>('/cgi-bin/school/user/get', { userid: s.student_userid });
        parents = got.student?.parents ?? [];
      }
      const mobiles = new Set(parents.map((p) => normalizeMobile(p.mobile)).filter(Boolean));

      let child = children.find((c) => c.studentNo && c.studentNo === s.student_userid);
      if (!child) {
        const named = children.filter((c) => normalizeName(c.name) === normalizeName(s.name));
        if (named.length > 1) {
          const members = await FamilyMember.find({ orgId, childId: { $in: named.map((c) => c._id) } }, { childId: 1, phone: 1 }).lean();
          const withMobile = named.filter((c) => members.some((m) => String(m.childId) === String(c._id) && mobiles.has(normalizeMobile(m.phone))));
          if (withMobile.length === 1) child = withMobile[0];
          else {
            report.unmatchedStudents.push({ class: where, student: s.name, reason: `${named.length} children of this name; their parents' mobiles do not tell them apart` });
            continue;
          }
        } else {
          child = named[0];
        }
      }
      if (!child) {
        report.unmatchedStudents.push({ class: where, student: s.name, reason: 'no child of this name in our class list' });
        continue;
      }
      report.childrenMatched++;
      await linkParents(child._id, child.name, where, parents, report, { orgId, dryRun });
    }
  }

  if (!dryRun) {
    await audit(orgId, opts.now, 'admin', 'wecom.schoolSync', undefined, {
      classes: report.classes, students: report.students, childrenMatched: report.childrenMatched, parentsLinked: report.parentsLinked,
      phonesFilled: report.phonesFilled, unmatched: report.unmatchedStudents.length + report.unmatchedParents.length + report.unmatchedClasses.length,
    });
  }
  opts.log?.info({ ...report, unmatchedClasses: report.unmatchedClasses.length, unmatchedStudents: report.unmatchedStudents.length, unmatchedParents: report.unmatchedParents.length }, 'wecom school sync done');
  return report;
}

async function linkParents(childId: unknown, childName: string, where: string, parents: DirectoryParent[], report: SchoolSyncReport, opts: { orgId: string; dryRun: boolean }): Promise<void> {
  const members = await FamilyMember.find({ orgId: opts.orgId, childId }).lean();
  const taken = new Set<string>();
  for (const p of parents) {
    if (!p.parent_userid) continue;
    const mobile = normalizeMobile(p.mobile);
    const relation = p.relation ?? '';
    let member = mobile ? members.find((m) => !taken.has(String(m._id)) && normalizeMobile(m.phone) === mobile) : undefined;
    let fillPhone = false;
    if (!member && mobile) {
      const role = roleOf(relation);
      const open = members.filter((m) => !taken.has(String(m._id)) && m.role === role && !normalizeMobile(m.phone) && (role !== 'guardian' || sameRelation(m.relation, relation)));
      if (open.length === 1) {
        member = open[0];
        fillPhone = true;
      }
    }
    if (!member) {
      report.unmatchedParents.push({
        class: where, student: childName, relation, mobile: maskPhones(p.mobile ?? ''),
        reason: mobile ? 'no family member of this child has this mobile' : 'the directory gives no mobile for this parent',
      });
      continue;
    }
    taken.add(String(member._id));
    const set: Record<string, string> = {};
    if (member.wecomParentUserId !== p.parent_userid) set.wecomParentUserId = p.parent_userid;
    if (p.external_userid && member.wecomExternalUserId !== p.external_userid) set.wecomExternalUserId = p.external_userid;
    if (fillPhone) set.phone = mobile;
    if (!Object.keys(set).length) {
      report.parentsUnchanged++;
      continue;
    }
    if (set.wecomParentUserId || set.wecomExternalUserId) report.parentsLinked++;
    else report.parentsUnchanged++;
    if (fillPhone) report.phonesFilled++;
    if (!opts.dryRun) await FamilyMember.updateOne({ _id: member._id }, { $set: set });
  }
}
