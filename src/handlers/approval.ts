/** The pairing teacher approves or rejects a "lost card" binding request: 同意 3 / 拒绝 3 (number optional when only one waits). */
import type { BotContext, Middleware } from '../bot/context';
import { decideBindRequest, pendingBindRequests } from '../domain/binding';
import { childInfo } from '../domain/childInfo';

const DECISION = /^(同意|批准|通过|拒绝|不同意|approve|reject)\s*[#＃]?\s*(\d+)?[。.!！]?$/i;

export const approval: Middleware = async (ctx, next) => {
  if (ctx.person.kind !== 'staff') return next();
  const m = DECISION.exec(ctx.msg.text.trim());
  if (!m) return next();
  const approve = /^(同意|批准|通过|approve)$/i.test(m[1]);
  const teacherId = ctx.person.staff._id;

  let number = m[2] ? Number(m[2]) : undefined;
  if (number === undefined) {
    const pending = await pendingBindRequests(ctx.orgId, teacherId);
    if (pending.length === 0) return ctx.reply('approval.none');
    if (pending.length > 1) {
      const items = pending.map((r) => ctx.t('approval.item', { number: r.number, child: r.child, role: ctx.t(`role.${r.role}`) }));
      return ctx.reply('approval.which', { count: pending.length, list: items.join('；') });
    }
    number = pending[0].number;
  }
  return decide(ctx, number, approve);
};

async function decide(ctx: BotContext, number: number, approve: boolean): Promise<void> {
  if (ctx.person.kind !== 'staff') return;
  const decision = await decideBindRequest(ctx.orgId, ctx.person.staff._id, number, approve, ctx.now, ctx.msg.from);
  if ('notYours' in decision) return ctx.reply('approval.notYours', { number });
  if ('alreadyDecided' in decision) return ctx.reply('approval.alreadyDecided', { number });
  if ('rejected' in decision) {
    await ctx.push(decision.rejected.address, 'lostCard.rejected', {}, { key: `bindRequest:${number}:rejected`, kind: 'bind_request' });
    return ctx.reply('approval.rejected', { number });
  }
  const { address, child, member } = decision.approved;
  const info = await childInfo(ctx.orgId, child);
  const to = await ctx.translatorFor(address);
  const params = { child: child.name, school: info.school.name, className: info.className, teacher: info.teacher?.name ?? to.t('register.noTeacherYet') };
  await ctx.pushText(address, to.t('lostCard.approved', params), to.style, { key: `bindRequest:${number}:approved`, kind: 'bind_request' });
  await ctx.pushText(address, to.t('menu.family'), to.style, { key: `bindRequest:${number}:menu`, kind: 'bind_request' });
  return ctx.reply('approval.approved', { child: child.name, role: ctx.t(`role.${member.role}`) });
}
