/** domain/pairings, family, roster's active pupils, contactLog and the family-call slot on the database alone. */
import { setFamilyCallSlot } from '../src/domain/calls';
import { logContact } from '../src/domain/contactLog';
import { boundMemberCount, boundMembers, isParent } from '../src/domain/family';
import { activeTeacherOf, pairedChildren, pairedChildrenByTeacher } from '../src/domain/pairings';
import { activePupils } from '../src/domain/roster';
import { AuditLog } from '../src/models/auditLog';
import { Child } from '../src/models/child';
import { ContactEvent } from '../src/models/contactEvent';
import { FamilyMember } from '../src/models/familyMember';
import { Pairing } from '../src/models/pairing';
import { Staff } from '../src/models/staff';
import { seedSmallSchool, useDomainDatabase } from './helpers/domainDb';

useDomainDatabase('domain_pairings');
const orgId = 'default';
const now = new Date('2026-11-10T10:00:00+08:00');

it('lists a teacher\'s current, active children and finds a child\'s active teacher', async () => {
  const s = await seedSmallSchool(orgId);
  const paired = await pairedChildren(orgId, s.teacher._id);
  expect(paired.map((p) => p.child.name)).toEqual([s.child.name]);
  expect(String((await activeTeacherOf(orgId, s.child._id))?._id)).toBe(String(s.teacher._id));

  await Child.updateOne({ _id: s.child._id }, { $set: { status: 'returned' } });
  expect(await pairedChildren(orgId, s.teacher._id)).toEqual([]);
  // The pairing ended: the note's own teacher is the fallback, and only while active.
  await Pairing.updateMany({ childId: s.child._id }, { $set: { until: now } });
  expect(String((await activeTeacherOf(orgId, s.child._id, s.teacher._id))?._id)).toBe(String(s.teacher._id));
  await Staff.updateOne({ _id: s.teacher._id }, { $set: { active: false } });
  expect(await activeTeacherOf(orgId, s.child._id, s.teacher._id)).toBeUndefined();
});

it('counts the bound family members of a child', async () => {
  const s = await seedSmallSchool(orgId);
  expect(await boundMemberCount(orgId, s.child._id)).toBe(0);
  await FamilyMember.updateOne({ _id: s.father._id }, { $set: { boundAddress: 'wx-f' } });
  expect(await boundMemberCount(orgId, s.child._id)).toBe(1);
});

it('logs a contact once per key, with whom by its kind', async () => {
  const s = await seedSmallSchool(orgId);
  const contact = { key: 'msg:sim:1', childId: s.child._id, staffId: s.teacher._id, kind: 'home_visit' as const, at: now, note: '见了奶奶' };
  await logContact(orgId, contact);
  await logContact(orgId, { ...contact, note: 'again' });
  const events = await ContactEvent.find({ orgId, key: 'msg:sim:1' }).lean();
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ kind: 'home_visit', withWhom: 'family', note: '见了奶奶' });
});

it('sets a child\'s own call slot with its history and an audit entry', async () => {
  const s = await seedSmallSchool(orgId);
  await setFamilyCallSlot(orgId, s.child._id, { weekday: 6, time: '19:00' }, now, 'wx-f');
  const child = await Child.findById(s.child._id).lean();
  expect(child?.familyCall).toEqual({ weekday: 6, time: '19:00' });
  expect(child?.history.at(-1)).toMatchObject({ source: 'family', changed: ['familyCall'] });
  expect(await AuditLog.findOne({ orgId, action: 'child.familyCall', target: String(s.child._id) }).lean()).toMatchObject({ actor: 'wx-f' });
});

it('maps every teacher to their current, active children by name, and lists the active pupils with birth dates', async () => {
  const org = 'pairings_all';
  const a = await seedSmallSchool(org);
  const b = await seedSmallSchool(org);
  // b's child moves to a's teacher: the later pairing wins.
  await Pairing.create({ orgId: org, childId: b.child._id, teacherId: a.teacher._id, from: new Date('2026-10-01T00:00:00+08:00') });
  await Child.updateOne({ _id: b.child._id }, { $set: { name: '丁丁' } });
  const ids = (x: typeof a) => ({ id: String(x.child._id), name: x.child.name });
  expect(await pairedChildrenByTeacher(org)).toEqual(new Map([[String(a.teacher._id), [{ id: String(b.child._id), name: '丁丁' }, ids(a)]]]));

  expect((await activePupils(org)).sort((x, y) => x.name.localeCompare(y.name))).toEqual(
    [{ id: String(b.child._id), name: '丁丁', birthDate: '2016-03-05' }, { ...ids(a), birthDate: '2016-03-05' }].sort((x, y) => x.name.localeCompare(y.name)));
  await Child.updateOne({ _id: a.child._id }, { $set: { status: 'returned' } });
  expect((await activePupils(org)).map((c) => c.name)).toEqual(['丁丁']);
  expect(await pairedChildrenByTeacher(org)).toEqual(new Map([[String(a.teacher._id), [{ id: String(b.child._id), name: '丁丁' }]]]));
});

it('lists the bound family members, or only the bound parents', async () => {
  const org = 'family_bound';
  const s = await seedSmallSchool(org);
  expect(await boundMembers(org)).toEqual([]);
  await FamilyMember.updateOne({ _id: s.father._id }, { $set: { boundAddress: 'wx-f' } });
  await FamilyMember.updateOne({ _id: s.grandmother._id }, { $set: { boundAddress: 'wx-g' } });
  const father = { childId: String(s.child._id), memberId: String(s.father._id), address: 'wx-f', role: 'father' };
  expect(await boundMembers(org, { parents: true })).toEqual([father]);
  const all = await boundMembers(org);
  expect(all).toHaveLength(2);
  expect(all.filter(isParent)).toEqual([father]);
});
