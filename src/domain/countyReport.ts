/**
 * The county report (县级报表) of one month, within a caller's scope: the roster as it stands (one row per active
 * child, no phone numbers), its counts per school and class, and the month's care (notes, family calls, letter
 * reminders, the teachers' 五个一, concern cases) per child, class, school and pairing teacher. The workbook
 * (GET /api/reports/county.xlsx), the dashboard's JSON (GET /api/reports/summary) and the monthly 通报 to
 * principals and county staff all read it from here.
 *
 * Each collection is read once per report (on FerretDB most queries scan their collection, so a query per child
 * or per school would cost a county thousands of scans); the joins are done in memory.
 *
 * Definitions:
 * - grade: from the class name (三年级1班 → 三年级, 3年级2班 → 三年级, 初一(2)班 → 初一); null when the name has none
 *   (the birth year is not used: children repeat or start late);
 * - record complete: the roster's required fields (school, class, name, birth date — always there once imported)
 *   and the fields the 统计 counts by (gender, 留守类型, 监护情况), and at least one family member with a binding code;
 * - bound: that family member's slot is claimed by a WeChat (father / mother / guardian; anyParent = father or mother);
 * - the month's moment `at`: the end of the month, or now for the current month. The pairing in effect then is the
 *   child's teacher for the month, and the teachers' cadences (done / due / overdue) are their status then;
 * - notes: expected for a child paired at `at` (or with a note written anyway); written = submitted or sent;
 *   delivered = sent to the family; missing = expected but not written;
 * - family calls: the weekly outcomes logged in the month (a staff-logged call without an outcome counts as done);
 * - letters reminded: children whose bound father or mother got the month's 亲情书信 reminder;
 * - contacts logged: the teachers' 五个一 contacts (谈心, 电话家长, 家访, 慰问, 见面) logged in the month;
 * - cases: opened in the month; urgent; answered (acknowledged or closed by staff); withRule (the emergency rule
 *   required notices: 30 min guardian, 1 h parents, 2 h leadership) and onTime (every one of them delivered by its
 *   deadline; a family member the bot could not reach counts as not on time: the school had to phone).
 */
import { usedKeys } from '../bot/outbox';
import { shiftPeriod } from '../localTime';
import { Child, LEFT_BEHIND, LIVING_WITH } from '../models/child';
import { Classroom } from '../models/classroom';
import { Concern } from '../models/concern';
import { ContactEvent } from '../models/contactEvent';
import { FamilyMember } from '../models/familyMember';
import { Pairing } from '../models/pairing';
import { ProgressNote } from '../models/progressNote';
import { School } from '../models/school';
import { Staff } from '../models/staff';
import { Access, childFilter, seesWholeSchool } from './access';
import type { CadenceSettings } from './cadenceBoard';
import { addTo, CADENCE_KINDS, CadenceKind, childStatuses, emptyKindCounts, KindCounts, lookbackStart } from './cadences';
import { deliveries } from './concernCase';
import { parentLetterKey } from './letters';
import { periodStart } from './notes';

type LeftBehindKey = typeof LEFT_BEHIND[number] | 'unknown';
type LivingWithKey = typeof LIVING_WITH[number] | 'unknown';
type GenderKey = 'male' | 'female' | 'unknown';
/** The key of children whose class name names no grade. */
export const UNKNOWN_GRADE = 'unknown';

export interface RosterCounts {
  children: number;
  leftBehind: Record<LeftBehindKey, number>;
  livingWith: Record<LivingWithKey, number>;
  gender: Record<GenderKey, number>;
  /** By grade (三年级 …, or UNKNOWN_GRADE); only grades that occur. */
  grades: Record<string, number>;
  boarding: number;
  priority: number;
  /** With a pairing teacher at the month's moment. */
  paired: number;
  complete: number;
  bound: { father: number; mother: number; guardian: number; anyParent: number };
}

export interface CareCounts {
  notes: { expected: number; written: number; delivered: number; missing: number };
  calls: { done: number; missed: number };
  letters: { reminded: number };
  /** Logged in the month, and each cadence's status at the month's moment (done + due + overdue = children). */
  contacts: { logged: number; kinds: KindCounts };
  cases: { opened: number; urgent: number; answered: number; withRule: number; onTime: number };
}

export interface Group { roster: RosterCounts; care: CareCounts }

export interface MemberView {
  name: string; relation: string | null; age: number | null; literacy: string | null; workCity: string | null;
  hasCode: boolean; bound: boolean;
}

/** One child of the 花名册. Family members without their phones: the report never carries one. */
export interface ChildRow {
  childId: string; child: string; schoolId: string; school: string; classId: string; class: string; grade: string | null;
  gender: 'male' | 'female' | null; birthDate: string; studentNo: string | null;
  leftBehind: string | null; livingWith: string | null; boarding: boolean; priority: boolean;
  father: MemberView | null; mother: MemberView | null; guardian: MemberView | null;
  /** The pairing teacher at the month's moment. */
  teacher: string | null; teacherId: string | null;
  complete: boolean;
}

interface SchoolGroup extends Group { schoolId: string; school: string }
interface ClassGroup extends Group { classId: string; class: string; schoolId: string; school: string; grade: string | null; headTeacher: string | null }
/** A pairing teacher's children of one school (a teacher with posts in two schools has a row in each). */
interface TeacherGroup { teacherId: string; teacher: string; wecomUserId: string | null; schoolId: string; school: string; children: number; care: CareCounts }

export interface CountyReport {
  month: string;
  timeZone: string;
  /** The month's moment: its end, or now for the current month. */
  at: Date;
  /** The grades that occur, in school order (一年级 … 九年级, 初一 …, then UNKNOWN_GRADE). */
  grades: string[];
  totals: Group;
  schools: SchoolGroup[];
  classes: ClassGroup[];
  teachers: TeacherGroup[];
  /** The 花名册: a row per child in school, grade, class and name order — only when asked (`rows`), else empty. */
  children: ChildRow[];
}

export interface ReportOptions {
  month: string; now: Date; timeZone: string; cadences: CadenceSettings;
  /** Build the 花名册's rows (the workbook). The counts alone do not keep a row per child: at county size that is tens of MB. */
  rows?: boolean;
}

const NUMERALS = ['', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十', '十一', '十二'];

/** 三年级1班 → 三年级; 3年级2班 → 三年级; 初一(2)班 → 初一; 高三1班 → 高三; a name without a grade → null. */
export function gradeOf(className: string): string | null {
  const name = className.replace(/\s+/g, '');
  const years = /^(\d{1,2}|[一二三四五六七八九十]{1,3})年级/.exec(name);
  if (years) {
    const n = Number(years[1]);
    return `${Number.isInteger(n) && NUMERALS[n] ? NUMERALS[n] : years[1]}年级`;
  }
  const stage = /^([初高])([一二三123])/.exec(name);
  if (stage) return `${stage[1]}${'123'.includes(stage[2]) ? NUMERALS[Number(stage[2])] : stage[2]}`;
  return null;
}

/** Sort rank of a grade: 一年级 … 十二年级, then 初一 … 高三 (as 七 … 十二), then anything else. */
export function gradeRank(grade: string | null): number {
  if (!grade || grade === UNKNOWN_GRADE) return 99;
  const years = NUMERALS.indexOf(grade.replace(/年级$/, ''));
  if (grade.endsWith('年级') && years > 0) return years;
  const stage = /^([初高])(.+)$/.exec(grade);
  if (stage) return (stage[1] === '初' ? 6 : 9) + NUMERALS.indexOf(stage[2]);
  return 98;
}

function emptyRoster(): RosterCounts {
  const zeros = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  return {
    children: 0, leftBehind: zeros([...LEFT_BEHIND, 'unknown']), livingWith: zeros([...LIVING_WITH, 'unknown']),
    gender: zeros(['male', 'female', 'unknown']), grades: {}, boarding: 0, priority: 0, paired: 0, complete: 0,
    bound: { father: 0, mother: 0, guardian: 0, anyParent: 0 },
  };
}

function emptyCare(): CareCounts {
  return {
    notes: { expected: 0, written: 0, delivered: 0, missing: 0 }, calls: { done: 0, missed: 0 }, letters: { reminded: 0 },
    contacts: { logged: 0, kinds: emptyKindCounts() }, cases: { opened: 0, urgent: 0, answered: 0, withRule: 0, onTime: 0 },
  };
}

/** Adds every number of `from` into `into`, at the same place (keys missing in `into` start at 0). */
function addCounts<X extends object>(into: X, from: X): X {
  const a = into as Record<string, unknown>;
  for (const [k, v] of Object.entries(from)) {
    if (typeof v === 'number') a[k] = ((a[k] as number | undefined) ?? 0) + v;
    else if (v && typeof v === 'object') addCounts((a[k] ??= {}) as object, v as object);
  }
  return into;
}

/** Cases on time out of those the emergency rule applied to; null when it applied to none. */
export function onTimeRate(cases: CareCounts['cases']): number | null {
  return cases.withRule ? cases.onTime / cases.withRule : null;
}

/** Teachers' cadence items overdue at the month's moment, all kinds together. */
export function overdueItems(care: CareCounts): number {
  return CADENCE_KINDS.reduce((n, k) => n + care.contacts.kinds[k].overdue, 0);
}

/** Teachers' cadence items done in their current cycle at the month's moment, all kinds together. */
export function doneItems(care: CareCounts): number {
  return CADENCE_KINDS.reduce((n, k) => n + care.contacts.kinds[k].done, 0);
}

const byName = (a: string, b: string) => a.localeCompare(b, 'zh-CN');

/** The report of `month` (YYYY-MM, the org's time zone) for what `access` may see. */
export async function countyReport(orgId: string, access: Access, opts: ReportOptions): Promise<CountyReport> {
  const { month, timeZone: tz, cadences } = opts;
  const start = periodStart(month, tz);
  const end = periodStart(shiftPeriod(month, 1), tz);
  const at = new Date(Math.min(opts.now.getTime(), end.getTime() - 1));

  const scope = await childFilter(orgId, access);
  const [schools, classrooms, staff, children] = await Promise.all([
    School.find({ orgId }, { name: 1 }).lean(),
    Classroom.find({ orgId }, { name: 1, schoolId: 1, headTeacherId: 1 }).lean(),
    Staff.find({ orgId }, { name: 1, wecomUserId: 1, schoolId: 1 }).lean(),
    Child.find({ $and: [scope, { status: 'active' }] }, {
      name: 1, schoolId: 1, classroomId: 1, gender: 1, birthDate: 1, studentNo: 1, leftBehind: 1, livingWith: 1, boarding: 1, priority: 1,
    }).lean(),
  ]);
  // The county reads whole collections; a narrower scope only its children's documents. The large ones (family
  // members, pairings, notes, contacts) are read by cursor and folded per child as they come: held whole, a
  // county's 60,000 members and 20,000 pairings and notes were 60 MB at once, beside everything else of the tick.
  const ofChildren = access.county ? { orgId } : { orgId, childId: { $in: children.map((c) => c._id) } };
  const visible = new Set(children.map((c) => String(c._id)));
  const mine = <X extends { childId: unknown }>(xs: X[]) => xs.filter((x) => visible.has(String(x.childId)));
  const fold = async <X extends { childId: unknown }>(docs: AsyncIterable<X>, add: (id: string, x: X) => void): Promise<void> => {
    for await (const x of docs) {
      const id = String(x.childId);
      if (visible.has(id)) add(id, x);
    }
  };
  const cursor = { batchSize: 1000 };

  type Member = { role: string; hasCode: boolean; boundAddress: string | null; view?: Omit<MemberView, 'hasCode' | 'bound'> };
  const membersOf = new Map<string, Member[]>();
  const noteOf = new Map<string, string>();
  const paired = new Map<string, { teacherId: unknown; from: Date }>();
  /** Per child: the month's calls and contacts, and the cadences' contacts up to `at` (for their statuses). */
  const eventsOf = new Map<string, { callsDone: number; callsMissed: number; logged: number; contacts: Partial<Record<CadenceKind, Date[]>> }>();
  const kinds: ReadonlySet<string> = new Set(CADENCE_KINDS);
  const [concerns] = await Promise.all([
    Concern.find({ ...ofChildren, openedAt: { $gte: start, $lt: end } },
      { childId: 1, urgency: 1, acknowledgedAt: 1, resolvedAt: 1, requiredNotices: 1 }).lean(),
    // Never the phone: nothing below may show one.
    fold(FamilyMember.find(ofChildren, { childId: 1, role: 1, name: 1, relation: 1, age: 1, literacy: 1, workCity: 1, code: 1, boundAddress: 1 })
      .lean().cursor(cursor), (id, m) => {
      const member: Member = {
        role: m.role, hasCode: !!m.code, boundAddress: m.boundAddress ?? null,
        ...(opts.rows ? { view: { name: m.name, relation: m.relation ?? null, age: m.age ?? null, literacy: m.literacy ?? null, workCity: m.workCity ?? null } } : {}),
      };
      const list = membersOf.get(id);
      if (list) list.push(member);
      else membersOf.set(id, [member]);
    }),
    fold(ProgressNote.find({ ...ofChildren, period: month }, { childId: 1, status: 1 }).lean().cursor(cursor), (id, n) => { noteOf.set(id, n.status); }),
    // The pairing in effect at the month's moment: the latest that began (pairingsAt, one at a time).
    fold(Pairing.find(ofChildren, { childId: 1, teacherId: 1, from: 1, until: 1 }).lean().cursor(cursor), (id, p) => {
      if (p.from > at || (p.until && p.until <= at)) return;
      const prev = paired.get(id);
      if (!prev || prev.from < p.from) paired.set(id, { teacherId: p.teacherId, from: p.from });
    }),
    fold(ContactEvent.find({
      ...ofChildren, kind: { $in: [...CADENCE_KINDS, 'family_call'] },
      at: { $gte: new Date(Math.min(start.getTime(), lookbackStart(at, tz, cadences).getTime())), $lte: at },
    }, { childId: 1, kind: 1, at: 1, outcome: 1 }).lean().cursor(cursor), (id, e) => {
      let c = eventsOf.get(id);
      if (!c) eventsOf.set(id, (c = { callsDone: 0, callsMissed: 0, logged: 0, contacts: {} }));
      if (kinds.has(e.kind)) (c.contacts[e.kind as CadenceKind] ??= []).push(e.at);
      if (e.at < start) return; // read for the cadences' look-back only
      if (e.kind === 'family_call') c[e.outcome === 'missed' ? 'callsMissed' : 'callsDone'] += 1;
      else c.logged += 1;
    }),
  ]);

  // Which families got the month's letter reminder: one lookup of the outbox's keys (a voice-style reminder's first
  // piece carries `:0`).
  const parentAddresses = [...new Set([...membersOf.values()].flatMap((ms) => ms
    .filter((m) => m.boundAddress && (m.role === 'father' || m.role === 'mother')).map((m) => m.boundAddress!)))];
  const letterKeys = parentAddresses.flatMap((a) => [parentLetterKey(month, a), `${parentLetterKey(month, a)}:0`]);
  const noticeKeys = mine(concerns).flatMap((c) => c.requiredNotices.flatMap((n) => (n.key ? [n.key] : [])));
  const [letterSent, sent] = await Promise.all([usedKeys(orgId, letterKeys), deliveries(orgId, noticeKeys)]);
  const reminded = new Set(parentAddresses.filter((a) => letterSent.has(parentLetterKey(month, a)) || letterSent.has(`${parentLetterKey(month, a)}:0`)));

  const nameOf = <X extends { _id: unknown; name: string }>(xs: X[]) => new Map(xs.map((x) => [String(x._id), x]));
  const [schoolBy, classBy, staffBy] = [nameOf(schools), nameOf(classrooms), nameOf(staff)];
  const concernsOf = new Map<string, typeof concerns>();
  for (const k of mine(concerns)) concernsOf.set(String(k.childId), [...(concernsOf.get(String(k.childId)) ?? []), k]);

  const totals: Group = { roster: emptyRoster(), care: emptyCare() };
  const schoolGroups = new Map<string, SchoolGroup>();
  const classGroups = new Map<string, ClassGroup>();
  const teacherGroups = new Map<string, TeacherGroup>();
  // Schools the caller sees whole are listed even without a child on file (a county's "0" is an answer too).
  for (const s of schools) {
    if (seesWholeSchool(access, s._id)) schoolGroups.set(String(s._id), { schoolId: String(s._id), school: s.name, roster: emptyRoster(), care: emptyCare() });
  }
  const rows: ChildRow[] = [];
  for (const c of children) {
    const id = String(c._id);
    const fam = membersOf.get(id) ?? [];
    const view = (role: string): MemberView | null => {
      const m = fam.find((f) => f.role === role);
      return m ? {
        name: m.view?.name ?? '', relation: m.view?.relation ?? null, age: m.view?.age ?? null, literacy: m.view?.literacy ?? null,
        workCity: m.view?.workCity ?? null, hasCode: m.hasCode, bound: !!m.boundAddress,
      } : null;
    };
    const [father, mother, guardian] = [view('father'), view('mother'), view('guardian')];
    const pairing = paired.get(id);
    const teacher = pairing ? staffBy.get(String(pairing.teacherId)) : undefined;
    const classId = String(c.classroomId);
    const className = classBy.get(classId)?.name ?? '';
    const grade = gradeOf(className);
    const complete = !!(c.gender && c.leftBehind && c.livingWith && c.birthDate && className) && fam.some((m) => m.hasCode);

    // The child's counts, added into each group it belongs to and then dropped.
    const roster = emptyRoster();
    roster.children = 1;
    roster.leftBehind[(c.leftBehind ?? 'unknown') as LeftBehindKey] += 1;
    roster.livingWith[(c.livingWith ?? 'unknown') as LivingWithKey] += 1;
    roster.gender[(c.gender ?? 'unknown') as GenderKey] += 1;
    roster.grades[grade ?? UNKNOWN_GRADE] = 1;
    roster.boarding = c.boarding ? 1 : 0;
    roster.priority = c.priority ? 1 : 0;
    roster.paired = pairing ? 1 : 0;
    roster.complete = complete ? 1 : 0;
    roster.bound = {
      father: father?.bound ? 1 : 0, mother: mother?.bound ? 1 : 0, guardian: guardian?.bound ? 1 : 0,
      anyParent: father?.bound || mother?.bound ? 1 : 0,
    };

    const care = emptyCare();
    const note = noteOf.get(id);
    const written = note === 'submitted' || note === 'sent';
    care.notes = {
      expected: pairing || written ? 1 : 0, written: written ? 1 : 0, delivered: note === 'sent' ? 1 : 0,
      missing: pairing && !written ? 1 : 0,
    };
    const events = eventsOf.get(id);
    care.calls = { done: events?.callsDone ?? 0, missed: events?.callsMissed ?? 0 };
    care.contacts.logged = events?.logged ?? 0;
    care.letters.reminded = fam.some((m) => m.boundAddress && reminded.has(m.boundAddress) && (m.role === 'father' || m.role === 'mother')) ? 1 : 0;
    // The cadences' status at the month's moment, as the cadence board has it (domain/cadenceBoard.ts boardOf).
    if (pairing) addTo(care.contacts.kinds, childStatuses(at, tz, cadences, pairing.from, events?.contacts ?? {}));
    for (const k of concernsOf.get(id) ?? []) {
      const required = k.requiredNotices;
      const onTime = required.length > 0 && required.every((n) => {
        const d = n.key ? sent.get(n.key) : undefined;
        return !!(d?.sentAt && d.sentAt <= n.deadline);
      });
      addCounts(care.cases, {
        opened: 1, urgent: k.urgency === 'urgent' ? 1 : 0, answered: k.acknowledgedAt || k.resolvedAt ? 1 : 0,
        withRule: required.length ? 1 : 0, onTime: onTime ? 1 : 0,
      });
    }

    const schoolId = String(c.schoolId);
    const schoolName = schoolBy.get(schoolId)?.name ?? '';
    const counts: Group = { roster, care };
    addCounts(totals, counts);
    let s = schoolGroups.get(schoolId);
    if (!s) schoolGroups.set(schoolId, (s = { schoolId, school: schoolName, roster: emptyRoster(), care: emptyCare() }));
    addCounts<Group>(s, counts);
    let k = classGroups.get(classId);
    if (!k) {
      const head = classBy.get(classId)?.headTeacherId;
      classGroups.set(classId, (k = {
        classId, class: className, schoolId, school: schoolName, grade,
        headTeacher: head ? staffBy.get(String(head))?.name ?? null : null, roster: emptyRoster(), care: emptyCare(),
      }));
    }
    addCounts<Group>(k, counts);
    if (pairing) {
      const teacherId = String(pairing.teacherId);
      const key = `${schoolId}|${teacherId}`;
      let t = teacherGroups.get(key);
      if (!t) {
        teacherGroups.set(key, (t = {
          teacherId, teacher: teacher?.name ?? '', wecomUserId: teacher?.wecomUserId ?? null, schoolId, school: schoolName,
          children: 0, care: emptyCare(),
        }));
      }
      t.children += 1;
      addCounts(t.care, care);
    }

    if (opts.rows) {
      rows.push({
        childId: id, child: c.name, schoolId, school: schoolName, classId, class: className, grade,
        gender: (c.gender as 'male' | 'female' | undefined) ?? null, birthDate: c.birthDate, studentNo: c.studentNo ?? null,
        leftBehind: c.leftBehind ?? null, livingWith: c.livingWith ?? null, boarding: !!c.boarding, priority: !!c.priority,
        father, mother, guardian,
        teacher: teacher?.name ?? null, teacherId: pairing ? String(pairing.teacherId) : null,
        complete,
      });
    }
  }
  rows.sort((a, b) => byName(a.school, b.school) || gradeRank(a.grade) - gradeRank(b.grade) || byName(a.class, b.class) || byName(a.child, b.child));

  const grades = Object.keys(totals.roster.grades).sort((a, b) => gradeRank(a) - gradeRank(b) || byName(a, b));
  return {
    month, timeZone: tz, at, grades, totals,
    schools: [...schoolGroups.values()].sort((a, b) => byName(a.school, b.school)),
    classes: [...classGroups.values()].sort((a, b) => byName(a.school, b.school) || gradeRank(a.grade) - gradeRank(b.grade) || byName(a.class, b.class)),
    teachers: [...teacherGroups.values()].sort((a, b) => byName(a.school, b.school) || byName(a.teacher, b.teacher)),
    children: rows,
  };
}

