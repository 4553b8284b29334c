/**
 * A family raises a concern (menu 4, free words, or a voice message): it becomes a numbered case, posted to the
 * school's teachers' group and to the pairing teacher; an urgent one starts the emergency ladder at once. While a
 * case is open, the family's further messages go to the same case.
 */
import type { BotContext, Middleware } from '../bot/context';
import { memberFor } from '../bot/sender';
import { ChildDoc } from '../models/child';
import { Concern, OPEN_STATUSES } from '../models/concern';
import { nextNumber } from '../models/counter';
import { Org } from '../models/org';
import { scheduleSettings } from '../scheduler/settings';
import { childInfo } from './childInfo';
import { classifyConcern } from './concernClassify';
import { announceCase, loadCase, pushCase, recordStep, tellFamily } from './concernCase';
import { setDialog } from './dialog';

/** Follow-ups reach an open case for this long after it was opened. */
const FOLLOW_UP_DAYS = 7;

export async function raiseConcern(ctx: BotContext, child: ChildDoc, text: string, voiceMediaId?: string): Promise<void> {
  if (ctx.person.kind !== 'family') return;
  const open = await openCaseOf(ctx, child._id);
  if (open) return followUp(ctx, open, text, voiceMediaId);

  const member = memberFor(ctx.person, child._id);
  const role = member?.role ?? 'guardian';
  const info = await childInfo(ctx.orgId, child);
  const org = await Org.findById(ctx.orgId).lean();
  const { category, urgent } = classifyConcern(text, scheduleSettings(org?.schedule).concerns);
  const number = await nextNumber(ctx.orgId, 'concern', ctx.now);
  const concern = await Concern.create({
    orgId: ctx.orgId, number, childId: child._id, schoolId: child.schoolId, raisedBy: ctx.msg.from, raisedByRole: role,
    teacherId: info.teacher?._id, category, urgency: urgent ? 'urgent' : 'normal', openedAt: ctx.now,
    messages: [{ at: ctx.now, from: ctx.msg.from, direction: 'family', text, voiceMediaId }],
  });
  const view = (await loadCase(ctx.orgId, concern))!;
  await announceCase(ctx.services, ctx.now, view);
  await recordStep(concern._id, 'announced', ctx.now, [view.room, ...(view.teacher ? [view.teacher.wecomUserId] : [])]);

  if (urgent) {
    // The emergency rule: parents within 1 hour when the guardian raised it, the guardian within 30 minutes when a parent did.
    const roles = role === 'guardian' ? (['father', 'mother'] as const) : (['guardian'] as const);
    const required = await tellFamily(ctx.services, ctx.now, view, [...roles], 'concern.toOtherFamily');
    await Concern.updateOne({ _id: concern._id }, { $push: { requiredNotices: { $each: required } } });
    await recordStep(concern._id, 'family', ctx.now, required.flatMap((r) => (r.to ? [r.to] : [])));
    return ctx.reply('concern.receivedUrgent', { number, teacher: info.teacher?.name ?? '' });
  }
  if (info.teacher) return ctx.reply('concern.received', { number, teacher: info.teacher.name });
  return ctx.reply('concern.receivedNoTeacher', { number });
}

async function openCaseOf(ctx: BotContext, childId?: unknown) {
  const since = new Date(ctx.now.getTime() - FOLLOW_UP_DAYS * 24 * 3600_000);
  const q: Record<string, unknown> = { orgId: ctx.orgId, raisedBy: ctx.msg.from, status: { $in: OPEN_STATUSES }, openedAt: { $gte: since } };
  if (childId) q.childId = childId;
  return Concern.findOne(q).sort({ openedAt: -1 });
}

async function followUp(ctx: BotContext, concern: NonNullable<Awaited<ReturnType<typeof openCaseOf>>>, text: string, voiceMediaId?: string): Promise<void> {
  const seq = concern.messages.length;
  await Concern.updateOne({ _id: concern._id }, { $push: { messages: { at: ctx.now, from: ctx.msg.from, direction: 'family', text, voiceMediaId } } });
  const view = await loadCase(ctx.orgId, concern);
  if (view?.teacher) {
    await pushCase(ctx.services, ctx.now, view, view.teacher.wecomUserId, `concern:${concern.number}:followUp:${seq}`, 'concern.followUpToTeacher',
      { urgent: concern.urgency === 'urgent', extra: { text: text || ctx.t('concern.voiceOnly') } });
    if (voiceMediaId) {
      await ctx.pushText(view.teacher.wecomUserId, '', 'text', { key: `concern:${concern.number}:followUpVoice:${seq}`, kind: 'concern' }).catch(() => undefined);
    }
  }
  return ctx.reply('concern.followUp', { number: concern.number });
}

/**
 * A family member's voice message is a concern (or adds to the open one); so is, while a case is open, anything
 * else they say that nothing before understood.
 */
export const concernVoice: Middleware = async (ctx, next) => {
  if (ctx.person.kind !== 'family' || !ctx.msg.voice?.mediaId) return next();
  const children = ctx.person.children;
  const open = await openCaseOf(ctx);
  if (open) return followUp(ctx, open, ctx.msg.text.trim(), ctx.msg.voice.mediaId);
  if (children.length === 1) return raiseConcern(ctx, children[0], ctx.msg.text.trim(), ctx.msg.voice.mediaId);
  await setDialog(ctx, 'chooseChild', { intent: 'concern', original: ctx.msg.text.trim(), voice: ctx.msg.voice.mediaId }, 10);
  const list = children.map((c, i) => ctx.t('choose.item', { n: i + 1, child: c.name }));
  return ctx.reply('choose.child', { count: children.length, list: list.join(ctx.person.style === 'voice' ? '，' : '\n') });
};

export const concernFollowUp: Middleware = async (ctx, next) => {
  if (ctx.person.kind !== 'family') return next();
  const open = await openCaseOf(ctx);
  if (!open) return next();
  return followUp(ctx, open, ctx.msg.text.trim());
};
