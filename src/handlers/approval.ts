/** The pairing teacher approves or rejects a "lost card" binding request: 同意 3 / 拒绝 3 (number optional when only one waits). */
import { BindRequest } from '../models/bindRequest';
import { claimOnce } from '../models/claim';
import { Child } from '../models/child';
import { FamilyMember } from '../models/familyMember';
import type { BotContext, Middleware } from '../bot/context';
import { childInfo } from '../domain/childInfo';
import { ensureFamilyIdentity } from './registration';

const DECISION = /^(同意|批准|通过|拒绝|不同意|approve|reject)\s*[#＃]?\s*(\d+)?[。.!！]?$/i;

export const approval: Middleware = async (ctx, next) => {
  if (ctx.person.kind !== 'staff') return next();
  const m = DECISION.exec(ctx.msg.text.trim());
  if (!m) return next();
  const approve = /^(同意|批准|通过|approve)$/i.test(m[1]);
  const teacherId = ctx.person.staff._id;

  let number = m[2] ? Number(m[2]) : undefined;
  if (number === undefined) {
    const pending = await BindRequest.find({ orgId: ctx.orgId, teacherId, status: 'pending' }).sort({ number: 1 });
    if (pending.length === 0) return ctx.reply('approval.none');
    if (pending.length > 1) {
      const items = await Promise.all(pending.map(async (r) => {
        const [child, member] = await Promise.all([Child.findById(r.childId).lean(), FamilyMember.findById(r.memberId).lean()]);
        return ctx.t('approval.item', { number: r.number, child: child?.name ?? '', role: ctx.t(`role.${member?.role ?? 'guardian'}`) });
      }));
      return ctx.reply('approval.which', { count: pending.length, list: items.join('；') });
    }
    number = pending[0].number;
  }
  return decide(ctx, number, approve);
};

async function decide(ctx: BotContext, number: number, approve: boolean): Promise<void> {
  if (ctx.person.kind !== 'staff') return;
  const request = await BindRequest.findOne({ orgId: ctx.orgId, number, teacherId: ctx.person.staff._id });
  if (!request) return ctx.reply('approval.notYours', { number });
  // Of two simultaneous answers only one decides (a unique claim, see models/claim.ts).
  if (request.status !== 'pending' || !(await claimOnce(`bindRequest:${request._id}:decision`, ctx.now, ctx.msg.from))) {
    return ctx.reply('approval.alreadyDecided', { number });
  }
  await BindRequest.updateOne({ _id: request._id }, { $set: { status: approve ? 'approved' : 'rejected', decidedAt: ctx.now } });
  const [child, member] = await Promise.all([
    Child.findOne({ orgId: ctx.orgId, _id: request.childId }),
    FamilyMember.findOne({ orgId: ctx.orgId, _id: request.memberId }),
  ]);
  if (!child || !member) return ctx.reply('approval.notYours', { number });
  const role = ctx.t(`role.${member.role}`);

  if (!approve) {
    await ctx.push(request.address, 'lostCard.rejected', {}, { key: `bindRequest:${number}:rejected`, kind: 'bind_request' });
    return ctx.reply('approval.rejected', { number });
  }
  await FamilyMember.updateOne({ _id: member._id }, { $set: { boundAddress: request.address, boundAt: ctx.now, boundVia: 'teacher_approval' } });
  await ensureFamilyIdentity(ctx, 'teacher_approval', request.address, request.displayName ?? undefined);
  const info = await childInfo(ctx.orgId, child);
  const to = await ctx.translatorFor(request.address);
  const params = { child: child.name, school: info.school.name, className: info.className, teacher: info.teacher?.name ?? to.t('register.noTeacherYet') };
  await ctx.pushText(request.address, to.t('lostCard.approved', params), to.style, { key: `bindRequest:${number}:approved`, kind: 'bind_request' });
  await ctx.pushText(request.address, to.t('menu.family'), to.style, { key: `bindRequest:${number}:menu`, kind: 'bind_request' });
  return ctx.reply('approval.approved', { child: child.name, role });
}
