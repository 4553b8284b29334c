/**
 * For the domain's unit tests: a fresh database of the test server per file (no HTTP, no channels), and a small
 * school to act on — one class, one pairing teacher, one child with a father and a grandmother.
 */
import crypto from 'node:crypto';
import mongoose, { Types } from 'mongoose';
import '../../src/models';
import { Child } from '../../src/models/child';
import { Classroom } from '../../src/models/classroom';
import { connectDatabase, disconnectDatabase } from '../../src/models/connect';
import { FamilyMember } from '../../src/models/familyMember';
import { withDatabase } from '../../src/models/mongoServer';
import { Pairing } from '../../src/models/pairing';
import { School } from '../../src/models/school';
import { Staff } from '../../src/models/staff';

/** Connects before the file's tests and drops the database after them. */
export function useDomainDatabase(name: string): void {
  beforeAll(async () => {
    await connectDatabase(withDatabase(process.env.MONGODB_URI!, `t_${name}_${crypto.randomBytes(3).toString('hex')}`));
  });
  afterAll(async () => {
    await mongoose.connection.db?.dropDatabase();
    await disconnectDatabase();
  });
}

export interface SmallSchool {
  orgId: string;
  schoolId: Types.ObjectId;
  classroomId: Types.ObjectId;
  teacher: { _id: Types.ObjectId; wecomUserId: string; name: string };
  child: { _id: Types.ObjectId; name: string };
  father: { _id: Types.ObjectId; code: string };
  grandmother: { _id: Types.ObjectId; code: string };
}

let seq = 0;

/** A school with one class, a teacher paired (since `pairedFrom`) with one child, the child's father and grandmother. */
export async function seedSmallSchool(orgId: string, pairedFrom = new Date('2026-09-01T00:00:00+08:00')): Promise<SmallSchool> {
  const n = ++seq;
  const school = await School.create({ orgId, name: `第${n}小学` });
  const classroom = await Classroom.create({ orgId, schoolId: school._id, name: '三年级一班' });
  const teacher = await Staff.create({ orgId, schoolId: school._id, name: `张老师${n}`, wecomUserId: `teacher${n}`, role: 'teacher', active: true });
  const child = await Child.create({ orgId, schoolId: school._id, classroomId: classroom._id, identityKey: `k${n}`, name: `王小明${n}`, birthDate: '2016-03-05' });
  await Pairing.create({ orgId, childId: child._id, teacherId: teacher._id, from: pairedFrom });
  const father = await FamilyMember.create({ orgId, childId: child._id, role: 'father', name: '王大军', phone: '13800000001', code: `F${n}AB2C`.slice(0, 6) });
  const grandmother = await FamilyMember.create({ orgId, childId: child._id, role: 'guardian', relation: '祖母', name: '李秀英', phone: '13800000002', code: `G${n}CD3E`.slice(0, 6) });
  return {
    orgId, schoolId: school._id, classroomId: classroom._id,
    teacher: { _id: teacher._id, wecomUserId: teacher.wecomUserId, name: teacher.name },
    child: { _id: child._id, name: child.name },
    father: { _id: father._id, code: father.code }, grandmother: { _id: grandmother._id, code: grandmother.code },
  };
}
