/**
 * A family raises a concern (menu 4, free words, or a voice message): it becomes a numbered case, posted to the
 * school's teachers' group and to the pairing teacher; an urgent one starts the emergency ladder at once. While a
 * case is open, the family's further messages go to the same case.
 */
import type { BotContext, Middleware } from '../bot/context';
import { notify } from '../bot/notify';
import { memberFor } from '../bot/sender';
import type { ChildDoc } from '../models/child';
import type { ConcernDoc } from '../models/concern';
import { addFamilyMessage, addRequiredNotices, openCase, openCaseRaisedBy } from '../domain/concerns';
import { settingsOf } from './settings';
import { childInfo } from '../domain/childInfo';
import { classifyConcern } from './concernClassify';
import { announceCase, caseParams, loadCase, messageText, recordStep, tellFamily, tellUnreachable } from '../domain/concernCase';
import { clearDialog, setDialog } from './dialog';
import { childNamedIn, concernHasContent, detectIntent } from './intent';
import { namesOtherChild, refuseOtherChild } from './otherChild';

async function classify(ctx: BotContext, text: string) {
  return classifyConcern(text, (await settingsOf(ctx)).schedule.concerns);
}

export async function raiseConcern(ctx: BotContext, child: ChildDoc, text: string, voiceMediaId?: string): Promise<void> {
  if (ctx.person.kind !== 'family') return;
  const { category, urgent } = await classify(ctx, text);
  const open = await openCaseOf(ctx, child._id);
  // An emergency added to an ordinary case would never climb the urgent ladder (its clock started days ago and
  // its urgency is "normal"): it becomes a case of its own.
  if (open && !(urgent && open.urgency !== 'urgent')) return followUp(ctx, open, text, voiceMediaId);

  const member = memberFor(ctx.person, child._id);
  const role = member?.role ?? 'guardian';
  const info = await childInfo(ctx.orgId, child);
  const concern = await openCase(ctx.orgId, {
    childId: child._id, schoolId: child.schoolId, raisedBy: ctx.msg.from, raisedByRole: role,
    teacherId: info.teacher?._id, category, urgent, text, voiceMediaId,
  }, ctx.now);
  const { number } = concern;
  const view = (await loadCase(ctx.orgId, concern))!;
  await announceCase(ctx.services, ctx.now, view);
  await recordStep(concern._id, 'announced', ctx.now, [view.room, ...(view.teacher ? [view.teacher.wecomUserId] : [])]);

  if (urgent) {
    // The emergency rule: parents within 1 hour when the guardian raised it, the guardian within 30 minutes when a parent did.
    const roles = role === 'guardian' ? (['father', 'mother'] as const) : (['guardian'] as const);
    const required = await tellFamily(ctx.services, ctx.now, view, [...roles], 'concern.toOtherFamily');
    await addRequiredNotices(concern._id, required);
    await recordStep(concern._id, 'family', ctx.now, required.flatMap((r) => (r.to ? [r.to] : [])));
    const told = await tellUnreachable(ctx.services, ctx.now, view, required);
    if (told) await recordStep(concern._id, 'unreachable', ctx.now, [told]);
    return ctx.reply('concern.receivedUrgent', { number, teacher: info.teacher?.name ?? '' });
  }
  if (info.teacher) return ctx.reply('concern.received', { number, teacher: info.teacher.name });
  return ctx.reply('concern.receivedNoTeacher', { number });
}

/** The sender's case still open for follow-ups (of one child, if given). */
function openCaseOf(ctx: BotContext, childId?: unknown) {
  return openCaseRaisedBy(ctx.orgId, ctx.msg.from, ctx.now, childId);
}

async function followUp(ctx: BotContext, concern: ConcernDoc, text: string, voiceMediaId?: string): Promise<void> {
  const seq = await addFamilyMessage(concern, ctx.msg.from, ctx.now, text, voiceMediaId);
  const view = await loadCase(ctx.orgId, concern);
  if (view) {
    // To the pairing teacher, with the recording if there is one; a child without a teacher: to the school's group.
    const inRoom = !view.teacher;
    await notify(ctx.services, ctx.now, {
      to: view.teacher?.wecomUserId ?? view.room, key: `concern:${concern.number}:followUp:${seq}`, kind: 'concern',
      urgent: concern.urgency === 'urgent', voiceMediaId,
      ...(inRoom ? { room: view.room, style: 'text' as const } : {}),
      render: (t) => t('concern.followUpToTeacher', caseParams(view, t, { text: messageText({ text, voiceMediaId }, t) }, { room: inRoom })),
    });
  }
  return ctx.reply('concern.followUp', { number: concern.number });
}

/**
 * Before the menu and free-word questions: a family member's voice message is a concern (or adds to the open
 * one), and so are words on the org's urgent list that the question parser would take for something else
 * ("孩子最近没回家" is not a question about how the child is doing).
 */
export const concernVoice: Middleware = async (ctx, next) => {
  if (ctx.person.kind !== 'family') return next();
  const voice = ctx.msg.voice?.mediaId;
  const text = ctx.msg.text.trim();
  if (!voice) {
    // Dialog answers and what the parser already files as a concern go their usual way.
    if (!text || ctx.dialog || detectIntent(text) === 'concern' || !(await classify(ctx, text)).urgent) return next();
  } else if (ctx.msg.voice?.transcript && answeredLikeText(ctx, text)) {
    // Understood: answered as the same words typed. What reports something, or was not understood, goes on below.
    return next();
  }
  const children = ctx.person.children;
  let child: ChildDoc | undefined;
  if (ctx.dialog?.kind === 'concernText') {
    // "4" asked what happened; the recording is the answer.
    child = children.find((c) => String(c._id) === ctx.dialog!.data.childId);
    await clearDialog(ctx);
  } else if (ctx.dialog?.kind === 'chooseChild') {
    await clearDialog(ctx);
  }
  // Urgent words about another pupil must not start their own child's emergency ladder.
  if (await namesOtherChild(ctx, text, children)) return refuseOtherChild(ctx, children, { intent: 'concern', original: text, ...(voice ? { voice } : {}) });
  child ??= children.length === 1 ? children[0] : childNamedIn(text, children);
  if (child) return raiseConcern(ctx, child, text, voice);
  const open = await openCaseOf(ctx);
  // Which child is unclear: a recording goes to the open case; urgent words only to an urgent one (else a new case).
  if (open && (voice || open.urgency === 'urgent')) return followUp(ctx, open, text, voice);
  await setDialog(ctx, 'chooseChild', { intent: 'concern', original: text, ...(voice ? { voice } : {}) }, 10);
  const list = children.map((c, i) => ctx.t('choose.item', { n: i + 1, child: c.name }));
  return ctx.reply('choose.child', { count: children.length, list: list.join(ctx.person.style === 'voice' ? '，' : '\n') });
};

/** A recognised recording that answers the open question, picks from the menu or asks something (not a report). */
function answeredLikeText(ctx: BotContext, text: string): boolean {
  if (ctx.dialog) return ctx.dialog.kind !== 'concernText';
  const intent = detectIntent(text);
  return intent !== undefined && (intent !== 'concern' || !concernHasContent(text));
}

export const concernFollowUp: Middleware = async (ctx, next) => {
  if (ctx.person.kind !== 'family') return next();
  const open = await openCaseOf(ctx);
  if (!open) return next();
  return followUp(ctx, open, ctx.msg.text.trim());
};
