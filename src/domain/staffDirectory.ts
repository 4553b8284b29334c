/** Who the staff are, for the jobs that tell them something: active staff by id, classes' head teachers, the 通报's readers. */
import { Types } from 'mongoose';
import { Classroom } from '../models/classroom';
import { Staff } from '../models/staff';

export interface StaffContact { name: string; wecomUserId: string }

/** The active staff among `ids`, by id (inactive and unknown ones are left out). */
export async function activeStaff(orgId: string, ids: string[]): Promise<Map<string, StaffContact>> {
  const rows = await Staff.find({ orgId, _id: { $in: ids.map((id) => new Types.ObjectId(id)) }, active: true }, { name: 1, wecomUserId: 1 }).lean();
  return new Map(rows.map((s) => [String(s._id), { name: s.name, wecomUserId: s.wecomUserId }]));
}

export interface ClassHead { classroomId: string; name: string; headTeacherId?: string }

/** The classes among `ids` with their head teacher's staff id (none when the class has none), in the database's order. */
export async function classHeads(orgId: string, ids: string[]): Promise<ClassHead[]> {
  const rows = await Classroom.find({ orgId, _id: { $in: ids.map((id) => new Types.ObjectId(id)) } }, { name: 1, headTeacherId: 1 }).lean();
  return rows.map((c) => ({ classroomId: String(c._id), name: c.name, headTeacherId: c.headTeacherId ? String(c.headTeacherId) : undefined }));
}

export interface BulletinReader { address: string; county: boolean; schoolIds: string[] }

/** Active county staff and principals (of the schools listed), from the staff list's rows (a person's further posts included). */
export async function countyAndPrincipals(orgId: string): Promise<BulletinReader[]> {
  const staff = await Staff.find({ orgId, active: true }, { wecomUserId: 1, schoolId: 1, role: 1, posts: 1 }).lean();
  return staff.flatMap((s) => {
    const posts = [{ schoolId: s.schoolId, role: s.role }, ...(s.posts ?? [])];
    const county = posts.some((p) => p.role === 'county');
    const schoolIds = [...new Set(posts.filter((p) => p.role === 'principal').map((p) => String(p.schoolId)))];
    return county || schoolIds.length ? [{ address: s.wecomUserId, county, schoolIds }] : [];
  });
}
