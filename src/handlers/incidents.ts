/**
 * The school reports an incident: `紧急 王小明 课间摔伤，已送卫生院`. Under the emergency rule the guardian is told
 * (within 30 min), the parents (within 1 h) and the leadership (within 2 h) — here all at once, urgent, past
 * quiet hours; each notice is recorded with its deadline and its delivery time comes from the outbox.
 */
import type { BotContext, Middleware } from '../bot/context';
import { pupilNames, pupilsNamed } from '../domain/roster';
import { Concern } from '../models/concern';
import { nextNumber } from '../models/counter';
import { currentTeacherId } from '../models/pairing';
import { staffSchoolIds } from '../models/staff';
import { settingsOf } from './settings';
import { classifyConcern } from './concernClassify';
import { loadCase, pushCase, recordStep, tellFamily, tellLeadership } from '../domain/concernCase';

const INCIDENT = /^(紧急|突发|emergency)(?:\s+|[:：])\s*([\s\S]+)$/i;
const BARE = /^(紧急|突发|emergency)\s*[:：]?\s*$/i;
const SEP = /^[\s:：，,、]+/;

export const incidents: Middleware = async (ctx, next) => {
  if (ctx.person.kind !== 'staff') return next();
  const text = ctx.msg.text.trim();
  if (BARE.test(text)) return ctx.reply('concern.incidentUsage');
  const m = INCIDENT.exec(text);
  if (!m) return next();
  const rest = m[2].trim();
  const staff = ctx.person.staff;
  // The children of every school they hold a post in; county staff (no school) find none: a school reports.
  const ids = staffSchoolIds(staff);
  const token = /^[^\s:：，,、]+/.exec(rest)![0];
  let name = token;
  let candidates = await pupilsNamed(ctx.orgId, ids, name);
  if (candidates.length === 0) {
    // "紧急 王小明课间摔伤": the name ran into the words; the longest pupil name that starts them is meant.
    const all = await pupilNames(ctx.orgId, ids);
    const longest = Math.max(0, ...all.filter((n) => token.startsWith(n)).map((n) => n.length));
    if (longest) {
      name = token.slice(0, longest);
      candidates = await pupilsNamed(ctx.orgId, ids, name);
    }
  }
  if (candidates.length === 0) return ctx.reply('concern.incidentNoChild', { name: token });
  if (candidates.length > 1) return ctx.reply('concern.incidentAmbiguous', { name });
  const child = candidates[0];
  const what = rest.slice(name.length).replace(SEP, '').trim();
  if (!what) return ctx.reply('concern.incidentUsage');

  const { category } = classifyConcern(what, (await settingsOf(ctx)).schedule.concerns);
  const number = await nextNumber(ctx.orgId, 'concern', ctx.now);
  const teacherId = await currentTeacherId(ctx.orgId, child._id);
  const concern = await Concern.create({
    orgId: ctx.orgId, number, childId: child._id, schoolId: child.schoolId, raisedBy: ctx.msg.from, raisedByRole: 'staff',
    teacherId, category, urgency: 'urgent', incident: true, openedAt: ctx.now,
    // Whoever reports it has it in hand: the ladder's "nobody acknowledged" steps do not apply.
    status: 'acknowledged', acknowledgedAt: ctx.now, acknowledgedBy: ctx.msg.from,
    messages: [{ at: ctx.now, from: ctx.msg.from, direction: 'staff', text: what.trim() }],
  });
  const view = (await loadCase(ctx.orgId, concern))!;
  const family = await tellFamily(ctx.services, ctx.now, view, ['guardian', 'father', 'mother'], 'concern.incidentToFamily');
  const { required: leaders } = await tellLeadership(ctx.services, ctx.now, view, 'concern.incidentToLeadership');
  if (view.teacher && view.teacher.wecomUserId !== ctx.msg.from) {
    await pushCase(ctx.services, ctx.now, view, view.teacher.wecomUserId, `concern:${number}:teacher`, 'concern.incidentToTeacher', { urgent: true, extra: { reporter: staff.name } });
  }
  await Concern.updateOne({ _id: concern._id }, { $push: { requiredNotices: { $each: [...family, ...leaders] } } });
  await recordStep(concern._id, 'incidentNotices', ctx.now, [...family, ...leaders].flatMap((n) => (n.to ? [n.to] : [])));
  return reportBack(ctx, number, family.filter((n) => !n.unreachable).map((n) => n.name ?? ''), family.filter((n) => n.unreachable).map((n) => n.name ?? ''), leaders.length);
};

async function reportBack(ctx: BotContext, number: number, told: string[], unreachable: string[], leaders: number): Promise<void> {
  const sep = ctx.t('concern.listSeparator');
  await ctx.reply('concern.incidentReported', { number, told: told.join(sep) || ctx.t('concern.nobody'), leaders });
  if (unreachable.length) await ctx.reply('concern.incidentUnreachable', { names: unreachable.join(sep) });
}
