/**
 * The school reports an incident (`紧急 王小明 课间摔伤`): under the emergency rule the guardian is told (within
 * 30 min), the parents (within 1 h) and the leadership (within 2 h) — here all at once, urgent, past quiet hours;
 * each notice is recorded on the case with its deadline, and its delivery time comes from the outbox.
 */
import type { Audience } from '../bot/notify';
import { currentTeacherId } from '../models/pairing';
import { loadCase, pushCase, recordStep, RequiredNotice, tellFamily, tellLeadership } from './concernCase';
import { addRequiredNotices, openCase } from './concerns';

export interface IncidentReport {
  child: { _id: unknown; schoolId: unknown };
  reporter: { address: string; name: string };
  category: string;
  what: string;
}

/** Opens the incident's case and tells everyone the rule requires; returns the case number and who was required. */
export async function reportIncident(aud: Audience, now: Date, r: IncidentReport): Promise<{ number: number; family: RequiredNotice[]; leaders: RequiredNotice[] }> {
  const concern = await openCase(aud.orgId, {
    childId: r.child._id, schoolId: r.child.schoolId, raisedBy: r.reporter.address, raisedByRole: 'staff', incident: true, urgent: true,
    teacherId: await currentTeacherId(aud.orgId, r.child._id), category: r.category, text: r.what,
  }, now);
  const { number } = concern;
  const view = (await loadCase(aud.orgId, concern))!;
  const family = await tellFamily(aud, now, view, ['guardian', 'father', 'mother'], 'concern.incidentToFamily');
  const { required: leaders } = await tellLeadership(aud, now, view, 'concern.incidentToLeadership');
  if (view.teacher && view.teacher.wecomUserId !== r.reporter.address) {
    await pushCase(aud, now, view, view.teacher.wecomUserId, `concern:${number}:teacher`, 'concern.incidentToTeacher', { urgent: true, extra: { reporter: r.reporter.name } });
  }
  await addRequiredNotices(concern._id, [...family, ...leaders]);
  await recordStep(concern._id, 'incidentNotices', now, [...family, ...leaders].flatMap((n) => (n.to ? [n.to] : [])));
  return { number, family, leaders };
}
