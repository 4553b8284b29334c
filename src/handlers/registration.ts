/**
 * Binding a parent or guardian to a child: by the code on the contact card, or — card lost — by the child's
 * name, birth date and their own phone, approved by the pairing teacher. Wrong tries are rate-limited per address,
 * and wrong codes also across the whole org (models/bindAttempt.ts): someone rotating addresses to guess codes
 * trips an org-wide pause during which a code from a new address is not even looked up — it gets a neutral
 * "try later, or reply 卡丢了 for the teacher" — while families already bound keep binding further children.
 * The principals are alerted once per pause. The lost-card path stays open: a teacher approves every such binding.
 */
import { parseCodeAttempt } from './codeAttempt';
import {
  bindByCode as bind, bindingLockedUntil, childOfMember, codesPausedUntil, countFailure, countWrongCode, ensureFamilyIdentity,
  lostCardMatch, openBindRequest,
} from '../domain/binding';
import type { FamilyMemberDoc } from '../models/familyMember';
import type { BotContext, Middleware } from '../bot/context';
import { childInfo } from '../domain/childInfo';
import { clearDialog, setDialog } from './dialog';
import { formatLocalTime, maskPhone } from '../domain/format';
import { parseDate, parsePhone } from '../humanInput';

const LOST_CARD = /卡丢了|丢了卡|联系卡丢|卡不见|没有绑定码|没有码|忘了绑定码|忘记绑定码|找不到绑定码|找不到卡|lost (the |my )?card|no code/i;

export const registration: Middleware = async (ctx, next) => {
  if (ctx.person.kind === 'staff') return next();
  const text = ctx.msg.text.trim();

  if (ctx.dialog?.kind === 'lostCard') return lostCardStep(ctx, text);

  const code = parseCodeAttempt(text);
  if (code) return bindByCode(ctx, code);

  if (LOST_CARD.test(text) || (ctx.person.kind === 'unknown' && text === '9')) {
    if (await refuseIfLocked(ctx)) return;
    await setDialog(ctx, 'lostCard', { step: 'child' });
    return ctx.reply('lostCard.askChild');
  }
  if (ctx.person.kind === 'unknown') {
    // Someone not bound learns only how to register, never anything about a child.
    return ctx.reply('register.help', { org: ctx.services.orgName });
  }
  return next();
};

async function refuseIfLocked(ctx: BotContext): Promise<boolean> {
  const until = await bindingLockedUntil(ctx.orgId, ctx.msg.from, ctx.now);
  if (!until) return false;
  await ctx.reply('register.locked', { until: formatLocalTime(until, ctx.services.timeZone) });
  return true;
}

/**
 * Counts a failed try (a wrong code also org-wide: `orgWide`); answers "locked" when it reached the limit,
 * otherwise with the given message.
 */
async function fail(ctx: BotContext, key: string, orgWide = false): Promise<void> {
  const c = ctx.services.config;
  if (orgWide) {
    await countWrongCode(ctx.services, ctx.now, {
      maxFailures: c.BIND_ORG_MAX_FAILURES, windowMinutes: c.BIND_ORG_WINDOW_MINUTES, pauseMinutes: c.BIND_ORG_PAUSE_MINUTES,
    });
  }
  const counted = await countFailure(ctx.orgId, ctx.msg.from, ctx.now, { maxFailures: c.BIND_MAX_FAILURES, lockMinutes: c.BIND_LOCK_MINUTES });
  if ('lockedUntil' in counted) return ctx.reply('register.locked', { until: formatLocalTime(counted.lockedUntil, ctx.services.timeZone) });
  return ctx.reply(key, { left: counted.left });
}

async function bindByCode(ctx: BotContext, code: string): Promise<void> {
  if (await refuseIfLocked(ctx)) return;
  // During an org-wide pause a new address learns nothing about its code, right or wrong.
  if (ctx.person.kind !== 'family' && await codesPausedUntil(ctx.orgId, ctx.now)) return ctx.reply('register.paused');
  const res = await bind(ctx.orgId, ctx.msg.from, code, ctx.now);
  if ('wrong' in res) return fail(ctx, 'register.wrong', true);
  if ('already' in res) {
    const child = await childOfMember(ctx.orgId, res.already);
    return ctx.reply('register.already', { child: child?.name ?? '' });
  }
  await ensureFamilyIdentity(ctx.orgId, ctx.msg.from, 'code', ctx.now, ctx.msg.displayName);
  await ctx.refreshPerson();
  await confirmBinding(ctx, res.bound, 'register.success');
}

async function confirmBinding(ctx: BotContext, member: FamilyMemberDoc, key: string): Promise<void> {
  const child = await childOfMember(ctx.orgId, member);
  if (!child) return;
  const info = await childInfo(ctx.orgId, child);
  await ctx.reply(key, {
    child: child.name,
    school: info.school.name,
    className: info.className,
    teacher: info.teacher?.name ?? ctx.t('register.noTeacherYet'),
  });
  await ctx.reply('menu.family');
}

async function lostCardStep(ctx: BotContext, text: string): Promise<void> {
  const data = ctx.dialog!.data as { step: string; childName?: string; birthDate?: string };
  if (data.step === 'child') {
    if (!text) return ctx.reply('lostCard.askChild');
    await setDialog(ctx, 'lostCard', { step: 'birth', childName: text.replace(/\s+/g, '') });
    return ctx.reply('lostCard.askBirth');
  }
  if (data.step === 'birth') {
    const birthDate = parseDate(text);
    if (!birthDate) return ctx.reply('lostCard.badBirth');
    await setDialog(ctx, 'lostCard', { ...data, step: 'phone', birthDate });
    return ctx.reply('lostCard.askPhone');
  }
  await clearDialog(ctx);
  if (await refuseIfLocked(ctx)) return;
  const phone = parsePhone(text);
  const match = await lostCardMatch(ctx.orgId, data.childName ?? '', data.birthDate ?? '', phone);
  // Which of the three did not match is never said: that would help someone guess.
  if (!match) return fail(ctx, 'lostCard.noMatch');
  const { member, child } = match;
  if (member.boundAddress === ctx.msg.from) {
    return ctx.reply('register.already', { child: data.childName });
  }
  const info = await childInfo(ctx.orgId, child);
  if (!info.teacher) return ctx.reply('lostCard.noTeacher');
  const opened = await openBindRequest(ctx.orgId, {
    address: ctx.msg.from, displayName: ctx.msg.displayName, childId: child._id, memberId: member._id, teacherId: info.teacher._id,
  }, ctx.now);
  if ('pending' in opened) return ctx.reply('lostCard.pending');
  const { number } = opened;
  const to = await ctx.translatorFor(info.teacher.wecomUserId);
  const tt = to.t;
  let text2 = tt('lostCard.toTeacher', {
    number, name: ctx.msg.displayName || member.name, child: child.name, className: info.className,
    role: tt(`role.${member.role}`), phone: maskPhone(phone),
  });
  if (member.boundAddress) text2 += `\n${tt('lostCard.movedNote')}`;
  await ctx.pushText(info.teacher.wecomUserId, text2, to.style, { key: `bindRequest:${number}:teacher`, kind: 'bind_request' });
  // The teacher is named only once they approve (lostCard.approved): until then the sender is unverified.
  return ctx.reply('lostCard.sent');
}
