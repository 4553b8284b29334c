/** The binding codes printed on each child's contact card (联系卡). */
import { Child } from '../models/child';
import { Classroom } from '../models/classroom';
import { FamilyMember } from '../models/familyMember';
import { School } from '../models/school';

export interface ContactCard {
  childId: string;
  child: string;
  school: string;
  class: string;
  codes: Array<{ for: 'father' | 'mother' | 'guardian'; name: string; code: string }>;
}

const ROLE_ORDER = { father: 0, mother: 1, guardian: 2 } as const;

export async function contactCards(orgId: string, filter: { schoolId?: string; childIds?: unknown[] } = {}): Promise<ContactCard[]> {
  const childQuery: Record<string, unknown> = { orgId, status: 'active' };
  if (filter.schoolId) childQuery.schoolId = filter.schoolId;
  if (filter.childIds) childQuery._id = { $in: filter.childIds };
  const [children, schools, classrooms] = await Promise.all([
    Child.find(childQuery).lean(),
    School.find({ orgId }).lean(),
    Classroom.find({ orgId }).lean(),
  ]);
  const members = await FamilyMember.find({ orgId, childId: { $in: children.map((c) => c._id) } }).lean();
  const schoolName = new Map(schools.map((s) => [String(s._id), s.name]));
  const className = new Map(classrooms.map((c) => [String(c._id), c.name]));
  const byChild = new Map<string, typeof members>();
  for (const m of members) byChild.set(String(m.childId), [...(byChild.get(String(m.childId)) ?? []), m]);

  return children
    .map((c) => ({
      childId: String(c._id),
      child: c.name,
      school: schoolName.get(String(c.schoolId)) ?? '',
      class: className.get(String(c.classroomId)) ?? '',
      codes: (byChild.get(String(c._id)) ?? [])
        .sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role])
        .map((m) => ({ for: m.role, name: m.name, code: m.code })),
    }))
    .sort((a, b) => a.school.localeCompare(b.school, 'zh-CN') || a.class.localeCompare(b.class, 'zh-CN') || a.child.localeCompare(b.child, 'zh-CN'));
}
