/** domain/concerns and domain/incidents on the database alone: a case's life, the ladder's cases, and an incident's required notices. */
import {
  acknowledgeCase, addFamilyMessage, addRequiredNotices, addStaffAnswer, casesOnTheLadder, closeCase, isOpen, markEscalated, openCase,
  openCaseRaisedBy,
} from '../src/domain/concerns';
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

it('gives the ladder the cases of the last two weeks not opened after now (resolved ones too), escalates only an unresolved one', async () => {
  const org = 'concerns_ladder';
  const s = await seedSmallSchool(org);
  const open = (at: Date, text: string) => openCase(org, {
    childId: s.child._id, schoolId: s.schoolId, raisedBy: 'wx-grandma', raisedByRole: 'guardian', teacherId: s.teacher._id,
    category: 'health', urgent: true, text,
  }, at);
  const fresh = await open(now, '今天');
  const resolved = await open(new Date(now.getTime() - 3 * DAY), '三天前');
  await closeCase(resolved, 'teacher', now, '好了');
  await open(new Date(now.getTime() - 15 * DAY), '半月前');
  await open(new Date(now.getTime() + 60_000), '以后');
  const texts = (await casesOnTheLadder(org, now)).map((c) => c.messages[0].text).sort();
  expect(texts).toEqual(['三天前', '今天'].sort());

  await markEscalated(fresh._id);
  await markEscalated(resolved._id);
  expect((await Concern.findById(fresh._id).lean())?.status).toBe('escalated');
  expect((await Concern.findById(resolved._id).lean())?.status).toBe('resolved');

  const deadline = new Date(now.getTime() + 2 * 3600_000);
  await addRequiredNotices(fresh._id, [{ role: 'principal', name: '校长', to: 'head1', key: 'k1', deadline }]);
  expect((await Concern.findById(fresh._id).lean())?.requiredNotices).toMatchObject([{ role: 'principal', to: 'head1', key: 'k1', deadline }]);
});
