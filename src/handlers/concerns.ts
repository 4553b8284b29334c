/**
 * Concerns, first version: a family's concern becomes a numbered case sent to the pairing teacher, who answers
 * with "#27 …" and the answer is relayed. The group post, acknowledgement, closing and the ladder come with issue 4.
 */
import { Child, ChildDoc } from '../models/child';
import { Concern } from '../models/concern';
import { nextNumber } from '../models/counter';
import { memberFor } from '../bot/sender';
import type { BotContext, Middleware } from '../bot/context';
import { childInfo } from './childInfo';

export async function raiseConcern(ctx: BotContext, child: ChildDoc, text: string): Promise<void> {
  if (ctx.person.kind !== 'family') return;
  const member = memberFor(ctx.person, child._id);
  const info = await childInfo(ctx.orgId, child);
  const number = await nextNumber(ctx.orgId, 'concern');
  await Concern.create({
    orgId: ctx.orgId, number, childId: child._id, raisedBy: ctx.msg.from, raisedByRole: member?.role ?? 'guardian',
    teacherId: info.teacher?._id, openedAt: ctx.now,
    messages: [{ at: ctx.now, from: ctx.msg.from, direction: 'family', text }],
  });
  if (info.teacher) {
    const to = await ctx.translatorFor(info.teacher.wecomUserId);
    // "祖母" says more than "监护人" when the roster has it.
    const role = (member?.role === 'guardian' && member.relation) || to.t(`role.${member?.role ?? 'guardian'}`);
    await ctx.pushText(info.teacher.wecomUserId, to.t('concern.toTeacher', { number, child: child.name, className: info.className, role, text }), to.style,
      { key: `concern:${number}:teacher`, kind: 'concern' });
    return ctx.reply('concern.received', { number, teacher: info.teacher.name });
  }
  return ctx.reply('concern.receivedNoTeacher', { number });
}

const ANSWER = /^[#＃](\d+)\s*([\s\S]+)$/;

/** A teacher's "#27 answer": relayed to whoever raised case 27, if the teacher is staff of that child's school. */
export const concernAnswer: Middleware = async (ctx, next) => {
  if (ctx.person.kind !== 'staff') return next();
  const m = ANSWER.exec(ctx.msg.text.trim());
  if (!m) return next();
  const number = Number(m[1]);
  const text = m[2].trim();
  const concern = await Concern.findOne({ orgId: ctx.orgId, number });
  if (!concern) return ctx.reply('concern.notFound', { number });
  const child = await Child.findOne({ orgId: ctx.orgId, _id: concern.childId });
  if (!child || String(child.schoolId) !== String(ctx.person.staff.schoolId)) return ctx.reply('concern.notAllowed', { number });
  const seq = concern.messages.length;
  await Concern.updateOne({ _id: concern._id }, { $push: { messages: { at: ctx.now, from: ctx.msg.from, direction: 'staff', text } } });
  await ctx.push(concern.raisedBy, 'concern.answer', { teacher: ctx.person.staff.name, number, text },
    { key: `concern:${number}:answer:${ctx.msg.platformId}:${seq}`, kind: 'concern' });
  return ctx.reply('concern.answerSent', { child: child.name, role: ctx.t(`role.${concern.raisedByRole}`) });
};
