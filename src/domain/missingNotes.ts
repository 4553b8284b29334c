/** Progress notes not written: the children of current pairings that lack a month's note, with their teachers. */
import { Child } from '../models/child';
import { ProgressNote } from '../models/progressNote';
import { currentPairings } from './pairings';

export interface MissingNote { childId: string; child: string; classroomId: string; teacherId: string }

/**
 * Active children of current pairings (optionally paired before `pairedBefore`) with no submitted or sent note
 * for `period`, by name.
 */
export async function missingNotes(orgId: string, period: string, pairedBefore?: Date): Promise<MissingNote[]> {
  const pairings = (await currentPairings(orgId)).filter((p) => !pairedBefore || p.from < pairedBefore);
  if (!pairings.length) return [];
  const ids = pairings.map((p) => p.childId);
  const [children, notes] = await Promise.all([
    Child.find({ orgId, _id: { $in: ids }, status: 'active' }, { name: 1, classroomId: 1 }).sort({ name: 1 }).lean(),
    ProgressNote.find({ orgId, period, childId: { $in: ids }, status: { $in: ['submitted', 'sent'] } }, { childId: 1 }).lean(),
  ]);
  const written = new Set(notes.map((n) => String(n.childId)));
  return children.filter((c) => !written.has(String(c._id))).map((c) => ({
    childId: String(c._id), child: c.name, classroomId: String(c.classroomId),
    teacherId: String(pairings.find((p) => String(p.childId) === String(c._id))!.teacherId),
  }));
}
