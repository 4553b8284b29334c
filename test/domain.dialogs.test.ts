/** domain/dialogs and domain/roster on the database alone. */
import { endDialog, openDialogOf, saveDialog, updateDialogData } from '../src/domain/dialogs';
import { namesAnotherPupil, pupilNames, pupilsNamed } from '../src/domain/roster';
import { Staff } from '../src/models/staff';
import { seedSmallSchool, useDomainDatabase } from './helpers/domainDb';

useDomainDatabase('domain_dialogs');
const orgId = 'default';
const now = new Date('2026-11-10T10:00:00+08:00');

it('keeps one dialog per address until it expires; a data update keeps kind and expiry', async () => {
  const until = new Date(now.getTime() + 10 * 60_000);
  await saveDialog(orgId, 'wx-a', 'note', { step: 'study' }, until);
  expect(await openDialogOf(orgId, 'wx-a', now)).toEqual({ kind: 'note', data: { step: 'study' }, expiresAt: until });
  await updateDialogData(orgId, 'wx-a', { step: 'life' });
  expect(await openDialogOf(orgId, 'wx-a', now)).toEqual({ kind: 'note', data: { step: 'life' }, expiresAt: until });
  expect(await openDialogOf(orgId, 'wx-a', until)).toBeUndefined();
  expect(await openDialogOf(orgId, 'wx-b', now)).toBeUndefined();
  await endDialog(orgId, 'wx-a');
  expect(await openDialogOf(orgId, 'wx-a', now)).toBeUndefined();
});

it('finds pupils by name: another pupil than one\'s own, and the pupils of a staff member\'s schools', async () => {
  const a = await seedSmallSchool(orgId);
  const b = await seedSmallSchool(orgId);
  expect(await namesAnotherPupil(orgId, [a.child.name, '随便'], [a.child._id])).toBe(false);
  expect(await namesAnotherPupil(orgId, [b.child.name], [a.child._id])).toBe(true);
  const teacherA = (await Staff.findById(a.teacher._id))!;
  expect((await pupilsNamed(orgId, teacherA, a.child.name)).map((c) => c.name)).toEqual([a.child.name]);
  expect(await pupilsNamed(orgId, teacherA, b.child.name)).toEqual([]);
  expect(await pupilNames(orgId, teacherA)).toEqual([a.child.name]);
});
