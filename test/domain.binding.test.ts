/** domain/binding on the database alone: codes, the lock per address, lost-card requests and the teacher's decision. */
import { Types } from 'mongoose';
import { bindByCode, bindingLockedUntil, countFailure, decideBindRequest, lostCardMatch, openBindRequest, pendingBindRequests } from '../src/domain/binding';
import { FamilyMember } from '../src/models/familyMember';
import { Identity } from '../src/models/identity';
import { seedSmallSchool, useDomainDatabase } from './helpers/domainDb';

useDomainDatabase('domain_binding');
const orgId = 'default';
const now = new Date('2026-11-10T10:00:00+08:00');

it('binds an address by code once; the same code from another address is wrong, from the same one "already"', async () => {
  const s = await seedSmallSchool(orgId);
  const first = await bindByCode(orgId, 'wx-father', s.father.code, now);
  expect('bound' in first && first.bound.boundAddress).toBe('wx-father');
  expect(await bindByCode(orgId, 'wx-father', s.father.code, now)).toHaveProperty('already');
  expect(await bindByCode(orgId, 'wx-stranger', s.father.code, now)).toEqual({ wrong: true });
  expect(await bindByCode(orgId, 'wx-stranger', 'ZZZZ99', now)).toEqual({ wrong: true });
});

it('locks an address after the allowed number of failures and says how many are left before', async () => {
  const limits = { maxFailures: 3, lockMinutes: 30 };
  expect(await countFailure(orgId, 'wx-guess', now, limits)).toEqual({ left: 2 });
  expect(await countFailure(orgId, 'wx-guess', now, limits)).toEqual({ left: 1 });
  const third = await countFailure(orgId, 'wx-guess', now, limits);
  expect(third).toEqual({ lockedUntil: new Date(now.getTime() + 30 * 60_000) });
  expect(await bindingLockedUntil(orgId, 'wx-guess', now)).toEqual(new Date(now.getTime() + 30 * 60_000));
  expect(await bindingLockedUntil(orgId, 'wx-guess', new Date(now.getTime() + 31 * 60_000))).toBeUndefined();
});

it('matches a lost card only by child name, birth date and the member\'s own phone; the teacher approves it once', async () => {
  const s = await seedSmallSchool(orgId);
  expect(await lostCardMatch(orgId, s.child.name, '2016-03-05', '13900000000')).toBeUndefined();
  expect(await lostCardMatch(orgId, s.child.name, '2016-03-06', '13800000002')).toBeUndefined();
  const match = (await lostCardMatch(orgId, s.child.name, '2016-03-05', '13800000002'))!;
  expect(String(match.member._id)).toBe(String(s.grandmother._id));

  const request = { address: 'wx-grandma', displayName: '李奶奶', childId: s.child._id, memberId: match.member._id, teacherId: s.teacher._id };
  const opened = await openBindRequest(orgId, request, now);
  expect(opened).toHaveProperty('number');
  expect(await openBindRequest(orgId, request, now)).toEqual({ pending: true });
  const number = (opened as { number: number }).number;
  expect(await pendingBindRequests(orgId, s.teacher._id)).toEqual([{ number, child: s.child.name, role: 'guardian' }]);

  expect(await decideBindRequest(orgId, new Types.ObjectId(), number, true, now, 'other')).toEqual({ notYours: true });
  const decision = await decideBindRequest(orgId, s.teacher._id, number, true, now, s.teacher.wecomUserId);
  expect('approved' in decision && decision.approved.address).toBe('wx-grandma');
  expect(await decideBindRequest(orgId, s.teacher._id, number, false, now, s.teacher.wecomUserId)).toEqual({ alreadyDecided: true });
  expect((await FamilyMember.findById(s.grandmother._id).lean())?.boundVia).toBe('teacher_approval');
  expect(await Identity.findOne({ orgId, address: 'wx-grandma' }).lean()).toMatchObject({ kind: 'family', verifiedVia: 'teacher_approval', displayName: '李奶奶' });
  expect(await pendingBindRequests(orgId, s.teacher._id)).toEqual([]);
});
