/** domain/notes' reads and writes around a sent note, on the database alone. */
import { addNoteReply, latestSentNote, notesSentBetween } from '../src/domain/notes';
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
