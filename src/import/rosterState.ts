/**
 * What a roster import needs to know before it writes: the schools, classes, staff, children, family members and
 * current pairings the file can touch, each loaded with one query and then looked up in memory. The plan updates
 * these maps as it goes, so a later row sees what an earlier row of the same file will write.
 */
import { Types } from 'mongoose';
import { Child } from '../models/child';
import { Classroom } from '../models/classroom';
import { FamilyMember } from '../models/familyMember';
import { Pairing } from '../models/pairing';
import { School } from '../models/school';
import { postsOf, Staff, type StaffPost } from '../models/staff';
import type { RosterRow } from './types';

type Id = Types.ObjectId;

/** `schoolId` is absent for county staff; `posts` are their posts in further schools. */
export interface StaffLite { _id: Id; schoolId?: Id | null; name: string; wecomUserId: string; role?: string | null; maxChildren?: number | null; active?: boolean | null; posts?: StaffPost[] | null }
export type ChildLite = { _id: Id; identityKey: string; studentNo?: string | null } & Record<string, unknown>;
export type MemberLite = { _id: Id; childId: Id; role: string; code: string } & Record<string, unknown>;
export interface PairingLite { _id: Id; childId: Id; teacherId: Id; proposed?: boolean | null }

/** Teaching roles the bot may propose as a proxy parent (never a principal). */
const PROPOSABLE = new Set(['teacher', 'head_teacher', 'counselor', 'moral_director']);

/** Past this many ids, the whole org is read in one scan rather than by a long $in (FerretDB scans either way). */
const BY_ID_MAX = 500;

export class RosterState {
  /** Schools by name, as they were before this import (a teacher's school must be one of them). */
  readonly schoolsBefore = new Map<string, Id>();
  /** Schools by name including those this import creates. */
  readonly schools = new Map<string, Id>();
  /** `${schoolId}|${name}` → classroom id. */
  readonly classes = new Map<string, Id>();
  readonly staffByUserid = new Map<string, StaffLite>();
  /**
   * Proposable active staff per school id, ordered by WeCom account (the tie-break of proposals): those with a
   * teaching post in the school, main or further. Their room (最多帮扶人数) is one for all their schools.
   */
  readonly proposable = new Map<string, StaffLite[]>();
  readonly childByKey = new Map<string, ChildLite>();
  /** `${schoolId}|${classroomId}|${name}|${birthDate}` → the numbered children with those. */
  readonly numbered = new Map<string, ChildLite[]>();
  /** `${childId}|${role}` → member. */
  readonly members = new Map<string, MemberLite>();
  /** Binding codes known to be taken, so that new ones rarely need the unique index to refuse them. */
  readonly codes = new Set<string>();
  readonly currentPairing = new Map<string, PairingLite>();
  /** Current pairings per teacher id. */
  readonly load = new Map<string, number>();

  static async load(orgId: string, rows: readonly RosterRow[]): Promise<RosterState> {
    const s = new RosterState();
    const schoolNames = [...new Set(rows.map((r) => r.school))];
    const teacherIds = [...new Set(rows.map((r) => r.teacherWecomUserId).filter((x): x is string => !!x))];
    const schools = await School.find({ orgId, name: { $in: schoolNames } }, { _id: 1, name: 1 }).lean();
    for (const sc of schools) {
      s.schoolsBefore.set(sc.name, sc._id);
      s.schools.set(sc.name, sc._id);
    }
    const schoolIds = schools.map((sc) => sc._id);
    // A big file reads the org's members in one scan, alongside the rest; a small one asks for its children's.
    const orgWideMembers = rows.length > BY_ID_MAX;
    const [classes, staff, children, pairings, orgMembers] = await Promise.all([
      Classroom.find({ orgId, schoolId: { $in: schoolIds } }, { _id: 1, schoolId: 1, name: 1 }).lean(),
      // A county file names thousands of teachers: then one scan of the org's staff beats a long $in.
      Staff.find(teacherIds.length > BY_ID_MAX ? { orgId } : {
        orgId, $or: [{ wecomUserId: { $in: teacherIds } }, { schoolId: { $in: schoolIds } }, { 'posts.schoolId': { $in: schoolIds } }],
      }, { _id: 1, schoolId: 1, name: 1, wecomUserId: 1, role: 1, maxChildren: 1, active: 1, posts: 1 }).lean<StaffLite[]>(),
      Child.find({ orgId, schoolId: { $in: schoolIds } }, { history: 0 }).lean<ChildLite[]>(),
      Pairing.find({ orgId, until: { $exists: false } }, { _id: 1, childId: 1, teacherId: 1, proposed: 1 }).lean<PairingLite[]>(),
      orgWideMembers ? FamilyMember.find({ orgId }).lean<MemberLite[]>() : undefined,
    ]);
    for (const c of classes) s.classes.set(`${c.schoolId}|${c.name}`, c._id);
    for (const st of [...staff].sort((a, b) => (a.wecomUserId < b.wecomUserId ? -1 : a.wecomUserId > b.wecomUserId ? 1 : 0))) {
      s.staffByUserid.set(st.wecomUserId, st);
      if (st.active === false) continue;
      const teachesIn = new Set(postsOf(st).filter((p) => p.schoolId && PROPOSABLE.has(p.role ?? 'teacher')).map((p) => String(p.schoolId)));
      for (const schoolId of teachesIn) {
        const list = s.proposable.get(schoolId);
        if (list) list.push(st);
        else s.proposable.set(schoolId, [st]);
      }
    }
    for (const c of children) s.addChild(c);
    for (const p of pairings) {
      if (!s.currentPairing.has(String(p.childId))) s.currentPairing.set(String(p.childId), p);
      s.load.set(String(p.teacherId), (s.load.get(String(p.teacherId)) ?? 0) + 1);
    }
    const members = orgMembers ?? (children.length <= BY_ID_MAX
      ? await FamilyMember.find({ orgId, childId: { $in: children.map((c) => c._id) } }).lean<MemberLite[]>()
      : await FamilyMember.find({ orgId }).lean<MemberLite[]>());
    for (const m of members) {
      s.codes.add(m.code);
      s.members.set(`${m.childId}|${m.role}`, m);
    }
    return s;
  }

  addChild(c: ChildLite): void {
    this.childByKey.set(c.identityKey, c);
    if (c.studentNo) {
      const k = numberedKey(c.schoolId, c.classroomId, c.name, c.birthDate);
      this.numbered.set(k, [...(this.numbered.get(k) ?? []), c]);
    }
  }

  /** A binding code no member known here has; the unique index still decides (another import may race). */
  freshCode(generate: () => string): string {
    for (;;) {
      const code = generate();
      if (!this.codes.has(code)) {
        this.codes.add(code);
        return code;
      }
    }
  }

  /** The school's teaching staff member with the most room left (fewest children against their maximum). */
  proposeTeacher(schoolId: Id): StaffLite | undefined {
    let best: StaffLite | undefined;
    let bestRoom = 0;
    for (const st of this.proposable.get(String(schoolId)) ?? []) {
      const room = (st.maxChildren ?? 3) - (this.load.get(String(st._id)) ?? 0);
      if (room > bestRoom) [best, bestRoom] = [st, room];
    }
    return best;
  }
}

export function numberedKey(schoolId: unknown, classroomId: unknown, name: unknown, birthDate: unknown): string {
  return `${String(schoolId)}|${String(classroomId)}|${String(name)}|${String(birthDate)}`;
}
