/** domain/concerns and domain/incidents on the database alone: a case's life, and an incident's required notices. */
import { acknowledgeCase, addFamilyMessage, addStaffAnswer, closeCase, isOpen, openCase, openCaseRaisedBy } from '../src/domain/concerns';
import { reportIncident } from '../src/domain/incidents';
import { Concern } from '../src/models/concern';
import { FamilyMember } from '../src/models/familyMember';
import { Outbox } from '../src/models/outbox';
import { seedSmallSchool, useDomainDatabase } from './helpers/domainDb';

useDomainDatabase('domain_concerns');
const orgId = 'default';
const aud = { orgId, orgLang: 'zh-CN' as const, quietHours: '22:00-07:00', timeZone: 'Asia/Shanghai' };
const now = new Date('2026-11-10T10:00:00+08:00');
const DAY = 24 * 3600_000;

it('opens a numbered case, takes follow-ups for 7 days, and is acknowledged, answered and closed once', async () => {
  const s = await seedSmallSchool(orgId);
  const c = await openCase(orgId, {
    childId: s.child._id, schoolId: s.schoolId, raisedBy: 'wx-grandma', raisedByRole: 'guardian', teacherId: s.teacher._id,
    category: 'health', urgent: false, text: '孩子咳嗽',
  }, now);
  expect(c).toMatchObject({ urgency: 'normal', status: 'open', messages: [{ direction: 'family', text: '孩子咳嗽' }] });
  expect(isOpen(c)).toBe(true);
  expect(String((await openCaseRaisedBy(orgId, 'wx-grandma', new Date(now.getTime() + 6 * DAY), s.child._id))?._id)).toBe(String(c._id));
  expect(await openCaseRaisedBy(orgId, 'wx-grandma', new Date(now.getTime() + 8 * DAY))).toBeNull();
  expect(await openCaseRaisedBy(orgId, 'wx-someone-else', now)).toBeNull();

  expect(await addFamilyMessage(c, 'wx-grandma', now, '还发烧')).toBe(1);
  expect(await acknowledgeCase(c, 'teacher', now)).toBe(true);
  const acked = (await Concern.findById(c._id))!;
  expect(acked).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'teacher' });
  expect(await acknowledgeCase(acked, 'teacher', now)).toBe(false);
  expect(await addStaffAnswer(acked, 'teacher', now, '明天带去卫生院')).toBe(2);
  await closeCase(acked, 'teacher', now, '已好转');
  const closed = (await Concern.findById(c._id).lean())!;
  expect(closed).toMatchObject({ status: 'resolved', resolution: '已好转' });
  expect(closed.messages.map((m) => m.direction)).toEqual(['family', 'family', 'staff', 'staff']);
  expect(closed.ladder.filter((l) => l.step === 'acknowledged')).toHaveLength(1);
});

it('an incident is urgent and in hand at once; the bound family and the teacher are told, the unbound recorded as unreachable', async () => {
  const s = await seedSmallSchool(orgId);
  await FamilyMember.updateOne({ _id: s.father._id }, { $set: { boundAddress: 'wx-father' } });
  const r = await reportIncident(aud, now, { child: { _id: s.child._id, schoolId: s.schoolId }, reporter: { address: 'reporter', name: '李主任' }, category: 'safety', what: '课间摔伤' });
  expect(r.family.map((n) => [n.role, n.unreachable ?? false])).toEqual([['guardian', true], ['father', false]]);
  const c = (await Concern.findOne({ orgId, number: r.number }).lean())!;
  expect(c).toMatchObject({ incident: true, urgency: 'urgent', status: 'acknowledged', acknowledgedBy: 'reporter', raisedByRole: 'staff' });
  expect(c.requiredNotices.map((n) => n.role)).toEqual(['guardian', 'father']);
  const sent = await Outbox.find({ orgId, key: { $regex: `^concern:${r.number}:` } }, { to: 1 }).lean();
  expect(new Set(sent.map((o) => o.to))).toEqual(new Set(['wx-father', s.teacher.wecomUserId]));
});
