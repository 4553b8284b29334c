/** domain/notes' reads and writes around a sent note, and domain/missingNotes, on the database alone. */
import { missingNotes } from '../src/domain/missingNotes';
import { addNoteReply, latestSentNote, notesSentBetween } from '../src/domain/notes';
import { Child } from '../src/models/child';
import { ProgressNote } from '../src/models/progressNote';
import { seedSmallSchool, useDomainDatabase } from './helpers/domainDb';

useDomainDatabase('domain_notes');
const orgId = 'default';

it('finds the latest sent note with its teacher, the notes sent in a window, and keeps a reply on the note', async () => {
  const s = await seedSmallSchool(orgId);
  expect(await latestSentNote(orgId, s.child._id)).toBeUndefined();
  const base = { orgId, childId: s.child._id, teacherId: s.teacher._id, status: 'sent' as const };
  await ProgressNote.create({ ...base, period: '2026-09', study: '九月', sentAt: new Date('2026-10-01T11:00:00Z') });
  await ProgressNote.create({ ...base, period: '2026-10', study: '十月', sentAt: new Date('2026-11-01T11:00:00Z') });
  await ProgressNote.create({ ...base, period: '2026-11', study: '草稿', status: 'submitted' });

  const latest = (await latestSentNote(orgId, s.child._id))!;
  expect(latest.note.period).toBe('2026-10');
  expect(latest.teacherName).toBe(s.teacher.name);

  const between = await notesSentBetween(orgId, [s.child._id], new Date('2026-09-15T00:00:00Z'), new Date('2026-11-05T00:00:00Z'));
  expect(between.map((n) => n.period)).toEqual(['2026-10', '2026-09']);
  expect(await notesSentBetween(orgId, [s.child._id], new Date('2026-10-15T00:00:00Z'), new Date('2026-10-20T00:00:00Z'))).toEqual([]);

  const at = new Date('2026-11-02T10:00:00Z');
  await addNoteReply(latest.note._id, { at, from: 'wx-f', memberId: s.father._id, role: 'father', text: '谢谢老师', platformId: 'p1' });
  expect((await ProgressNote.findById(latest.note._id).lean())?.replies).toMatchObject([{ from: 'wx-f', role: 'father', text: '谢谢老师' }]);
});

it('lists the active children of current pairings without a submitted or sent note, with their teacher and class', async () => {
  const org = 'notes_missing';
  const s = await seedSmallSchool(org, new Date('2026-10-15T00:00:00+08:00'));
  const other = await seedSmallSchool(org);
  const row = (x: typeof s) => ({ childId: String(x.child._id), child: x.child.name, classroomId: String(x.classroomId), teacherId: String(x.teacher._id) });
  expect(await missingNotes(org, '2026-11')).toEqual([row(s), row(other)]);

  // A draft does not count; a submitted note does. Paired only since October: not missing a September note.
  await ProgressNote.create({ orgId: org, childId: s.child._id, teacherId: s.teacher._id, period: '2026-11', study: '草稿', status: 'draft' });
  await ProgressNote.create({ orgId: org, childId: other.child._id, teacherId: other.teacher._id, period: '2026-11', study: '十一月', status: 'submitted' });
  expect(await missingNotes(org, '2026-11')).toEqual([row(s)]);
  expect(await missingNotes(org, '2026-09', new Date('2026-10-01T00:00:00+08:00'))).toEqual([row(other)]);

  await Child.updateOne({ _id: s.child._id }, { $set: { status: 'returned' } });
  expect(await missingNotes(org, '2026-11')).toEqual([]);
  expect(await missingNotes('nobody', '2026-11')).toEqual([]);
});
