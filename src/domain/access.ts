/**
 * Need-to-know: which children a caller may see and what they may change. Roles come from the staff list
 * (职务): a teacher sees the children they pair with; a head teacher their class as well; a principal, moral-
 * education director or counselor their whole school; county staff (教育局) and the ADMIN_TOKEN every school.
 * A person with rows in two schools has the union. Computed per request, so a change of the staff list (or a
 * staff member made inactive) takes effect at once.
 */
import type { FilterQuery } from 'mongoose';
import { Types } from 'mongoose';
import { Child } from '../models/child';
import { Classroom } from '../models/classroom';
import { Pairing } from '../models/pairing';
import { Staff, StaffRole } from '../models/staff';

type ChildFilter = FilterQuery<InstanceType<typeof Child>>;

/** Roles that see their whole school. */
const SCHOOL_WIDE: ReadonlySet<string> = new Set<StaffRole>(['principal', 'moral_director', 'counselor']);

export interface Access {
  /** 'admin' for the token; otherwise the staff member's wecom userid. Written into the audit log. */
  actor: string;
  name?: string;
  county: boolean;
  /** Schools they belong to in any role. */
  schools: string[];
  /** Schools whose every child they see. */
  wholeSchools: string[];
  /** Schools whose principal they are: the school's settings and audit log. */
  principalOf: string[];
  /** Classes they are head teacher of. */
  classes: string[];
  /** Their staff record(s): the children they pair with. */
  staffIds: string[];
}

export const TOKEN_ACCESS: Access = Object.freeze({
  actor: 'admin', county: true, schools: [], wholeSchools: [], principalOf: [], classes: [], staffIds: [],
}) as Access;

/** The access of an active staff member; undefined for anyone else (families, strangers, former staff). */
export async function accessOf(orgId: string, wecomUserId: string): Promise<Access | undefined> {
  const staff = await Staff.findOne({ orgId, wecomUserId, active: true }).lean();
  if (!staff) return undefined;
  const posts = [{ schoolId: staff.schoolId, role: staff.role, classroomId: staff.classroomId }, ...(staff.posts ?? [])];
  const led = await Classroom.find({ orgId, headTeacherId: staff._id }, { _id: 1 }).lean();
  const uniq = (xs: unknown[]) => [...new Set(xs.filter(Boolean).map(String))];
  return {
    actor: staff.wecomUserId,
    name: staff.name,
    county: posts.some((p) => p.role === 'county'),
    schools: uniq(posts.filter((p) => p.role !== 'county').map((p) => p.schoolId)),
    wholeSchools: uniq(posts.filter((p) => SCHOOL_WIDE.has(p.role ?? '')).map((p) => p.schoolId)),
    principalOf: uniq(posts.filter((p) => p.role === 'principal').map((p) => p.schoolId)),
    classes: uniq([...led.map((c) => c._id), ...posts.filter((p) => p.role === 'head_teacher').map((p) => p.classroomId)]),
    staffIds: [String(staff._id)],
  };
}

const ids = (xs: string[]) => xs.map((x) => new Types.ObjectId(x));

/** The children a caller may see, as a filter on Child (orgId included). */
export async function childFilter(orgId: string, a: Access): Promise<ChildFilter> {
  if (a.county) return { orgId };
  const paired = a.staffIds.length
    ? await Pairing.distinct('childId', { orgId, teacherId: { $in: ids(a.staffIds) }, until: { $exists: false } })
    : [];
  const or: ChildFilter[] = [];
  if (a.wholeSchools.length) or.push({ schoolId: { $in: ids(a.wholeSchools) } });
  if (a.classes.length) or.push({ classroomId: { $in: ids(a.classes) } });
  if (paired.length) or.push({ _id: { $in: paired } });
  return or.length ? { orgId, $or: or } : { orgId, _id: { $in: [] } };
}

/** Whether a school appears to the caller at all (its name in lists, its summary). */
export function seesSchool(a: Access, schoolId: unknown): boolean {
  return a.county || a.schools.includes(String(schoolId));
}

/** Whether the caller may change a school's settings and read its audit log. */
export function leadsSchool(a: Access, schoolId: unknown): boolean {
  return a.county || a.principalOf.includes(String(schoolId));
}

/** Whether the caller sees every child of the school (imports for it, its contact cards). */
export function seesWholeSchool(a: Access, schoolId: unknown): boolean {
  return a.county || a.wholeSchools.includes(String(schoolId));
}

/** The ids of the children a caller may see; undefined for county scope (all of them, no list needed). */
export async function visibleChildIds(orgId: string, a: Access): Promise<Types.ObjectId[] | undefined> {
  if (a.county) return undefined;
  return Child.distinct('_id', await childFilter(orgId, a));
}

/** One child's id if the caller may see it (and it is a valid id of this org), else undefined. */
export async function visibleChild(orgId: string, a: Access, childId: string): Promise<Types.ObjectId | undefined> {
  if (!Types.ObjectId.isValid(childId)) return undefined;
  const id = new Types.ObjectId(childId);
  const found = await Child.exists({ $and: [await childFilter(orgId, a), { _id: id }] });
  return found ? id : undefined;
}
