/** domain/staffDirectory (who the jobs tell) and domain/doneMarkers (a period's run done) on the database alone. */
import { isDone, markDone } from '../src/domain/doneMarkers';
import { activeStaff, classHeads, countyAndPrincipals } from '../src/domain/staffDirectory';
import { Classroom } from '../src/models/classroom';
import { Staff } from '../src/models/staff';
import { seedSmallSchool, useDomainDatabase } from './helpers/domainDb';

useDomainDatabase('domain_staff');
const now = new Date('2026-11-10T10:00:00+08:00');

it('finds active staff by id and the head teacher of classes', async () => {
  const orgId = 'staff_ids';
  const s = await seedSmallSchool(orgId);
  const teacherId = String(s.teacher._id);
  expect(await activeStaff(orgId, [teacherId])).toEqual(new Map([[teacherId, { name: s.teacher.name, wecomUserId: s.teacher.wecomUserId }]]));
  expect(await classHeads(orgId, [String(s.classroomId)])).toEqual([{ classroomId: String(s.classroomId), name: '三年级一班', headTeacherId: undefined }]);

  await Classroom.updateOne({ _id: s.classroomId }, { $set: { headTeacherId: s.teacher._id } });
  expect(await classHeads(orgId, [String(s.classroomId)])).toMatchObject([{ headTeacherId: teacherId }]);
  await Staff.updateOne({ _id: s.teacher._id }, { $set: { active: false } });
  expect((await activeStaff(orgId, [teacherId])).size).toBe(0);
  expect(await activeStaff('another_org', [teacherId])).toEqual(new Map());
});

it('lists the 通报\'s readers: county staff and principals (a further post counts), active ones only', async () => {
  const orgId = 'staff_bulletin';
  const s = await seedSmallSchool(orgId);
  await Staff.create({ orgId, name: '局长', wecomUserId: 'county1', role: 'county', active: true });
  await Staff.create({ orgId, schoolId: s.schoolId, name: '校长', wecomUserId: 'head1', role: 'principal', active: true });
  await Staff.create({ orgId, schoolId: s.schoolId, name: '老校长', wecomUserId: 'head0', role: 'principal', active: false });
  await Staff.updateOne({ _id: s.teacher._id }, { $set: { posts: [{ schoolId: s.schoolId, role: 'principal' }] } });
  const readers = await countyAndPrincipals(orgId);
  expect(readers.sort((a, b) => a.address.localeCompare(b.address))).toEqual([
    { address: 'county1', county: true, schoolIds: [] },
    { address: 'head1', county: false, schoolIds: [String(s.schoolId)] },
    { address: s.teacher.wecomUserId, county: false, schoolIds: [String(s.schoolId)] },
  ]);
});

it('marks a run done once', async () => {
  expect(await isDone('cadenceDigest:o:2026-W46')).toBe(false);
  await markDone('cadenceDigest:o:2026-W46', now);
  await markDone('cadenceDigest:o:2026-W46', now);
  expect(await isDone('cadenceDigest:o:2026-W46')).toBe(true);
  expect(await isDone('cadenceDigest:o:2026-W47')).toBe(false);
});
