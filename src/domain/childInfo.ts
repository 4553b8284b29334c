/** Reads around one child that several handlers need: school, class, current teacher. */
import { Classroom } from '../models/classroom';
import { currentTeacherId } from '../models/pairing';
import { defaultTeacherRoom, School } from '../models/school';
import { Staff, StaffDoc } from '../models/staff';

export interface ChildInfo {
  school: { name: string; showTeacherPhone: boolean; teacherRoom: string; familyCall?: { weekday?: number | null; time?: string | null } | null };
  className: string;
  teacher?: StaffDoc;
}

export async function childInfo(orgId: string, child: { _id: unknown; schoolId: unknown; classroomId: unknown }): Promise<ChildInfo> {
  const [school, classroom, teacherId] = await Promise.all([
    School.findOne({ orgId, _id: child.schoolId }).lean(),
    Classroom.findOne({ orgId, _id: child.classroomId }).lean(),
    currentTeacherId(orgId, child._id),
  ]);
  const teacher = teacherId ? await Staff.findOne({ orgId, _id: teacherId }) : null;
  return {
    school: {
      name: school?.name ?? '',
      showTeacherPhone: school?.showTeacherPhone ?? false,
      teacherRoom: school?.teacherRoom ?? defaultTeacherRoom(child.schoolId),
      familyCall: school?.familyCall,
    },
    className: classroom?.name ?? '',
    teacher: teacher ?? undefined,
  };
}
