/** The cycle and status math of teacher cadences (五个一), in Asia/Shanghai local time; and the name matching. */
import { matchChild } from '../src/handlers/contactLog';
import { childStatuses, cycleSpan, isoWeek, kindStatus, lookbackStart, previousSpan, tally } from '../src/domain/cadences';
import { scheduleSettings } from '../src/domain/settings';

const TZ = 'Asia/Shanghai';
const at = (iso: string) => new Date(iso);
const span = (cycle: Parameters<typeof cycleSpan>[0], iso: string) => {
  const s = cycleSpan(cycle, at(iso), TZ);
  return { label: s.label, start: s.start.toISOString(), end: s.end.toISOString() };
};

describe('cycles', () => {
  it('a week runs Monday 00:00 to Monday 00:00 local time, not UTC', () => {
    // 2026-11-23 is a Monday. Sunday 23:59 local (15:59 UTC) is still the previous week.
    expect(span('week', '2026-11-22T23:59:00+08:00')).toEqual({ label: '2026-W47', start: '2026-11-15T16:00:00.000Z', end: '2026-11-22T16:00:00.000Z' });
    expect(span('week', '2026-11-23T00:00:00+08:00')).toEqual({ label: '2026-W48', start: '2026-11-22T16:00:00.000Z', end: '2026-11-29T16:00:00.000Z' });
    // Monday 07:00 local is Sunday 23:00 UTC: by UTC it would be the old week.
    expect(span('week', '2026-11-22T23:00:00Z').label).toBe('2026-W48');
    expect(span('week', '2026-11-29T23:59:59+08:00').label).toBe('2026-W48');
  });

  it('ISO weeks across New Year belong to the year of their Thursday', () => {
    expect(isoWeek(2026, 12, 31).label).toBe('2026-W53');
    expect(isoWeek(2027, 1, 3).label).toBe('2026-W53');
    expect(isoWeek(2027, 1, 4).label).toBe('2027-W01');
    expect(isoWeek(2024, 12, 30).label).toBe('2025-W01');
    expect(span('week', '2027-01-01T12:00:00+08:00')).toEqual({ label: '2026-W53', start: '2026-12-27T16:00:00.000Z', end: '2027-01-03T16:00:00.000Z' });
  });

  it('months and quarters end at local midnight', () => {
    expect(span('month', '2026-02-28T23:59:00+08:00')).toEqual({ label: '2026-02', start: '2026-01-31T16:00:00.000Z', end: '2026-02-28T16:00:00.000Z' });
    expect(span('quarter', '2026-03-31T23:59:00+08:00')).toEqual({ label: '2026-Q1', start: '2025-12-31T16:00:00.000Z', end: '2026-03-31T16:00:00.000Z' });
    expect(span('quarter', '2026-04-01T00:00:00+08:00').label).toBe('2026-Q2');
    expect(span('quarter', '2026-12-31T23:00:00+08:00')).toEqual({ label: '2026-Q4', start: '2026-09-30T16:00:00.000Z', end: '2026-12-31T16:00:00.000Z' });
    // 2026-12-31T20:00Z is already 2027 in Shanghai.
    expect(span('quarter', '2026-12-31T20:00:00Z').label).toBe('2027-Q1');
  });

  it('terms: spring March–August, autumn September–February across New Year', () => {
    expect(span('term', '2026-09-01T00:00:00+08:00')).toEqual({ label: '2026-autumn', start: '2026-08-31T16:00:00.000Z', end: '2027-02-28T16:00:00.000Z' });
    expect(span('term', '2027-01-15T10:00:00+08:00').label).toBe('2026-autumn');
    expect(span('term', '2027-02-28T23:59:00+08:00').label).toBe('2026-autumn');
    expect(span('term', '2027-03-01T00:00:00+08:00')).toEqual({ label: '2027-spring', start: '2027-02-28T16:00:00.000Z', end: '2027-08-31T16:00:00.000Z' });
    expect(span('term', '2026-08-31T23:59:00+08:00').label).toBe('2026-spring');
    // Leap year: the autumn term ends with 29 February.
    expect(span('term', '2028-02-29T12:00:00+08:00')).toEqual({ label: '2027-autumn', start: '2027-08-31T16:00:00.000Z', end: '2028-02-29T16:00:00.000Z' });
  });

  it('years and previous cycles', () => {
    expect(span('year', '2027-01-01T00:30:00+08:00')).toEqual({ label: '2027', start: '2026-12-31T16:00:00.000Z', end: '2027-12-31T16:00:00.000Z' });
    const prev = (cycle: Parameters<typeof cycleSpan>[0], iso: string) => previousSpan(cycleSpan(cycle, at(iso), TZ), TZ).label;
    expect(prev('week', '2027-01-05T09:00:00+08:00')).toBe('2026-W53');
    expect(prev('month', '2027-01-05T09:00:00+08:00')).toBe('2026-12');
    expect(prev('quarter', '2027-01-05T09:00:00+08:00')).toBe('2026-Q4');
    expect(prev('term', '2027-01-05T09:00:00+08:00')).toBe('2026-spring');
    expect(prev('term', '2027-03-05T09:00:00+08:00')).toBe('2026-autumn');
    expect(prev('year', '2027-01-05T09:00:00+08:00')).toBe('2026');
  });
});

describe('status of one cadence', () => {
  const pairedLongAgo = at('2025-01-01T00:00:00+08:00');
  const monday = at('2026-11-23T08:00:00+08:00');

  it('done in the current cycle, due when only last cycle had one, overdue when neither did', () => {
    expect(kindStatus('talk', 'week', monday, TZ, pairedLongAgo, [at('2026-11-23T07:00:00+08:00')]).status).toBe('done');
    expect(kindStatus('talk', 'week', monday, TZ, pairedLongAgo, [at('2026-11-22T23:00:00+08:00')]).status).toBe('due');
    expect(kindStatus('talk', 'week', monday, TZ, pairedLongAgo, [at('2026-11-15T23:00:00+08:00')]).status).toBe('overdue');
    expect(kindStatus('talk', 'week', monday, TZ, pairedLongAgo, []).status).toBe('overdue');
  });

  it('ignores contacts after the moment asked about', () => {
    const s = kindStatus('talk', 'week', monday, TZ, pairedLongAgo, [at('2026-11-24T10:00:00+08:00')]);
    expect(s.status).toBe('overdue');
    expect(s.lastAt).toBeUndefined();
  });

  it('cycles before the pairing began do not count against it', () => {
    // Paired last Wednesday: last week was not a whole week of pairing, so no talk yet is only "due".
    expect(kindStatus('talk', 'week', monday, TZ, at('2026-11-18T10:00:00+08:00'), []).status).toBe('due');
    // Paired exactly at the start of last week: that week counts.
    expect(kindStatus('talk', 'week', monday, TZ, at('2026-11-16T00:00:00+08:00'), []).status).toBe('overdue');
    // A yearly meeting for a child paired in 2026 can be overdue only from 2028 on.
    expect(kindStatus('meeting', 'year', at('2027-06-01T09:00:00+08:00'), TZ, at('2026-11-01T00:00:00+08:00'), []).status).toBe('due');
    expect(kindStatus('meeting', 'year', at('2028-01-02T09:00:00+08:00'), TZ, at('2026-11-01T00:00:00+08:00'), []).status).toBe('overdue');
  });

  it('a term visit in December counts for the autumn term through February', () => {
    const visit = [at('2026-12-10T15:00:00+08:00')];
    expect(kindStatus('consolation', 'term', at('2027-02-27T09:00:00+08:00'), TZ, pairedLongAgo, visit).status).toBe('done');
    expect(kindStatus('consolation', 'term', at('2027-03-01T09:00:00+08:00'), TZ, pairedLongAgo, visit).status).toBe('due');
    expect(kindStatus('consolation', 'term', at('2027-09-01T09:00:00+08:00'), TZ, pairedLongAgo, visit).status).toBe('overdue');
  });

  it('the settings decide the cycle', () => {
    const talks = [at('2026-11-03T10:00:00+08:00')];
    const weekly = childStatuses(monday, TZ, scheduleSettings({}).cadences, pairedLongAgo, { talk: talks });
    const monthly = childStatuses(monday, TZ, scheduleSettings({ cadences: { talk: 'month' } }).cadences, pairedLongAgo, { talk: talks });
    expect(weekly.find((s) => s.kind === 'talk')).toMatchObject({ cycle: 'week', status: 'overdue' });
    expect(monthly.find((s) => s.kind === 'talk')).toMatchObject({ cycle: 'month', status: 'done' });
    expect(weekly.map((s) => s.kind)).toEqual(['talk', 'teacher_call', 'home_visit', 'consolation', 'meeting']);
  });

  it('looks back to the start of the previous cycle of the longest cadence', () => {
    expect(lookbackStart(monday, TZ, scheduleSettings({}).cadences).toISOString()).toBe('2024-12-31T16:00:00.000Z');
    const short = scheduleSettings({ cadences: { talk: 'week', teacher_call: 'week', home_visit: 'month', consolation: 'month', meeting: 'month' } }).cadences;
    expect(lookbackStart(monday, TZ, short).toISOString()).toBe('2026-09-30T16:00:00.000Z');
  });

  it('tallies done + due + overdue per group', () => {
    const rows = [
      { t: 'a', statuses: [{ kind: 'talk' as const, status: 'done' as const }] },
      { t: 'a', statuses: [{ kind: 'talk' as const, status: 'overdue' as const }] },
      { t: 'b', statuses: [{ kind: 'talk' as const, status: 'due' as const }] },
    ];
    const g = tally(rows, (r) => r.t);
    expect(g.get('a')).toMatchObject({ children: 2, kinds: { talk: { done: 1, due: 0, overdue: 1, children: 2 } } });
    expect(g.get('b')!.kinds.talk).toEqual({ done: 0, due: 1, overdue: 0, children: 1 });
  });
});

describe('which child a message names', () => {
  const kids = [{ _id: 1, name: '王小明' }, { _id: 2, name: '王小华' }, { _id: 3, name: '欧阳小明' }, { _id: 4, name: '李红' }];

  it('full names, with or without a separator after them', () => {
    expect(matchChild('王小明 聊了期中考试', kids)).toEqual({ child: kids[0], rest: '聊了期中考试' });
    expect(matchChild('王小明：聊了', kids)).toEqual({ child: kids[0], rest: '聊了' });
    expect(matchChild('欧阳小明:和妈妈通了电话', kids)).toEqual({ child: kids[2], rest: '和妈妈通了电话' });
    expect(matchChild('李红', kids)).toEqual({ child: kids[3], rest: '' });
  });

  it('the given name alone when only one child has it', () => {
    expect(matchChild('小华 聊了', kids)).toEqual({ child: kids[1], rest: '聊了' });
    expect(matchChild('小明 聊了', kids)).toMatchObject({ ambiguous: [kids[0], kids[2]] });
    expect(matchChild('阿强 聊了', kids)).toBeUndefined();
    // A one-character given name is too short to guess from.
    expect(matchChild('红 聊了', kids)).toBeUndefined();
  });
});
