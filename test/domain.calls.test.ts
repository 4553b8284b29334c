/** domain/calls' families with a call slot and domain/callChecks (the after-call question) on the database alone. */
import { markWeekAsked, offerCallCheck, settleUnanswered, weekAsked } from '../src/domain/callChecks';
import { CALL_CHECK, CallCheck, callFamilies } from '../src/domain/calls';
import { openDialogOf, saveDialog } from '../src/domain/dialogs';
import { Child } from '../src/models/child';
import { ContactEvent } from '../src/models/contactEvent';
import { FamilyMember } from '../src/models/familyMember';
import { School } from '../src/models/school';
import { seedSmallSchool, useDomainDatabase } from './helpers/domainDb';

useDomainDatabase('domain_calls');
const now = new Date('2026-11-14T20:00:00+08:00');
const DAY = 24 * 3600_000;
const audOf = (orgId: string) => ({ orgId, orgLang: 'zh-CN' as const, quietHours: '22:00-07:00', timeZone: 'Asia/Shanghai' });

it('lists the active children with a slot (own, else the school\'s), by name, with their bound family', async () => {
  const orgId = 'calls_families';
  const s = await seedSmallSchool(orgId);
  expect(await callFamilies(orgId)).toEqual([]);

  await School.updateOne({ _id: s.schoolId }, { $set: { familyCall: { weekday: 6, time: '19:00' } } });
  expect(await callFamilies(orgId)).toEqual([{ childId: String(s.child._id), child: s.child.name, slot: { weekday: 6, time: '19:00' }, members: [] }]);

  await FamilyMember.updateOne({ _id: s.father._id }, { $set: { boundAddress: 'wx-f' } });
  await FamilyMember.updateOne({ _id: s.grandmother._id }, { $set: { boundAddress: 'wx-g' } });
  await Child.updateOne({ _id: s.child._id }, { $set: { familyCall: { weekday: 0, time: '10:00' } } });
  const [family] = await callFamilies(orgId);
  expect(family.slot).toEqual({ weekday: 0, time: '10:00' });
  expect(family.members.map((m) => [m.role, m.address, m.memberId]).sort()).toEqual([
    ['father', 'wx-f', String(s.father._id)], ['guardian', 'wx-g', String(s.grandmother._id)],
  ]);

  // A second child, named earlier, comes first; a child who left is not called about.
  const other = await seedSmallSchool(orgId);
  await Child.updateOne({ _id: other.child._id }, { $set: { name: '丁丁', schoolId: s.schoolId } });
  expect((await callFamilies(orgId)).map((f) => f.child)).toEqual(['丁丁', s.child.name]);
  await Child.updateOne({ _id: s.child._id }, { $set: { status: 'returned' } });
  expect((await callFamilies(orgId)).map((f) => f.child)).toEqual(['丁丁']);
});

it('offers a check in the parent\'s dialog once, queues a second child behind the first and waits while the parent is busy', async () => {
  const orgId = 'calls_offer';
  const check = (childId: string, child: string): CallCheck => ({ childId, child, memberId: 'm1', date: '2026-11-14', at: '2026-11-14T11:00:00.000Z', weekday: 6, time: '19:00' });
  const first = check('c1', '王小明');
  const readAt = new Date('2026-11-15T07:00:00+08:00');

  expect(await offerCallCheck(orgId, 'wx-f', first, now, readAt)).toEqual({ head: first });
  expect(await openDialogOf(orgId, 'wx-f', now)).toEqual({ kind: CALL_CHECK, data: { checks: [first] }, expiresAt: new Date(readAt.getTime() + DAY) });
  expect(await offerCallCheck(orgId, 'wx-f', first, now, readAt)).toEqual({ had: true });

  const second = check('c2', '王小红');
  expect(await offerCallCheck(orgId, 'wx-f', second, now, readAt)).toEqual({ head: first });
  expect((await openDialogOf(orgId, 'wx-f', now))?.data).toEqual({ checks: [first, second] });

  await saveDialog(orgId, 'wx-m', 'note', {}, new Date(now.getTime() + 10 * 60_000));
  expect(await offerCallCheck(orgId, 'wx-m', { ...first, memberId: 'm2' }, now, readAt)).toEqual({ busy: true });
  expect((await openDialogOf(orgId, 'wx-m', now))?.kind).toBe('note');
});

it('marks a week asked once, and settles last week\'s unanswered question as missed (an answered one is left)', async () => {
  const orgId = 'calls_settle';
  const s = await seedSmallSchool(orgId);
  const other = await seedSmallSchool(orgId);
  const childId = String(s.child._id);
  const lastWeek = new Date('2026-11-07T19:00:00+08:00');
  const thisWeek = new Date('2026-11-14T19:00:00+08:00');

  expect(await weekAsked(orgId, childId, '2026-11-07')).toBe(false);
  expect(await markWeekAsked(orgId, childId, '2026-11-07', lastWeek, lastWeek)).toBe(true);
  expect(await markWeekAsked(orgId, childId, '2026-11-07', lastWeek, lastWeek)).toBe(false);
  expect(await weekAsked(orgId, childId, '2026-11-07')).toBe(true);

  await settleUnanswered(audOf(orgId), now, childId, thisWeek, 3);
  const events = await ContactEvent.find({ orgId, childId: s.child._id }).lean();
  expect(events).toMatchObject([{ kind: 'family_call', key: `familyCall:${childId}:2026-11-07`, outcome: 'missed', answered: false, at: lastWeek }]);

  // The other child's father answered: nothing to settle.
  const otherId = String(other.child._id);
  await markWeekAsked(orgId, otherId, '2026-11-07', lastWeek, lastWeek);
  await ContactEvent.create({ orgId, childId: other.child._id, kind: 'family_call', at: lastWeek, outcome: 'done', answered: true, key: `familyCall:${otherId}:2026-11-07` });
  await settleUnanswered(audOf(orgId), now, otherId, thisWeek, 3);
  expect(await ContactEvent.find({ orgId, childId: other.child._id }).lean()).toMatchObject([{ outcome: 'done' }]);
});
