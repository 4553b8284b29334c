/**
 * Binding a parent or guardian to a child: by the code on the contact card, or — card lost — by the child's
 * name, birth date and their own phone, approved by the pairing teacher. Wrong tries are rate-limited per address,
 * and wrong codes also across the whole org (models/bindAttempt.ts): someone rotating addresses to guess codes
 * trips an org-wide pause during which a code from a new address is not even looked up — it gets a neutral
 * "try later, or reply 卡丢了 for the teacher" — while families already bound keep binding further children.
 * The principals are alerted once per pause. The lost-card path stays open: a teacher approves every such binding.
 */
import { Child } from '../models/child';
import { parseCodeAttempt } from '../models/bindingCode';
import { BindAttempt, lockedUntil, OrgPause, orgPausedUntil, recordFailure, recordOrgFailure } from '../models/bindAttempt';
import { BindRequest } from '../models/bindRequest';
import { claimOnce } from '../models/claim';
import { nextNumber } from '../models/counter';
import { FamilyMember, FamilyMemberDoc } from '../models/familyMember';
import { Identity } from '../models/identity';
import { Staff } from '../models/staff';
import { notify } from '../bot/notify';
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
  const until = await lockedUntil(ctx.orgId, ctx.msg.from, ctx.now);
  if (!until) return false;
  await ctx.reply('register.locked', { until: formatLocalTime(until, ctx.services.timeZone) });
  return true;
}

/**
 * Counts a failed try (a wrong code also org-wide: `orgWide`); answers "locked" when it reached the limit,
 * otherwise with the given message.
 */
async function fail(ctx: BotContext, key: string, orgWide = false): Promise<void> {
  const { BIND_MAX_FAILURES, BIND_LOCK_MINUTES } = ctx.services.config;
  if (orgWide) await recordWrongCode(ctx);
  const until = await recordFailure(ctx.orgId, ctx.msg.from, ctx.now, { maxFailures: BIND_MAX_FAILURES, lockMinutes: BIND_LOCK_MINUTES });
  if (until) return ctx.reply('register.locked', { until: formatLocalTime(until, ctx.services.timeZone) });
  const used = await BindAttempt.countDocuments({ orgId: ctx.orgId, address: ctx.msg.from, at: { $gt: new Date(ctx.now.getTime() - 3600_000) } });
  return ctx.reply(key, { left: Math.max(0, BIND_MAX_FAILURES - used) });
}

/** Counts a wrong code org-wide; the instance whose try started a pause alerts the principals. */
async function recordWrongCode(ctx: BotContext): Promise<void> {
  const c = ctx.services.config;
  const { started } = await recordOrgFailure(ctx.orgId, ctx.now, {
    maxFailures: c.BIND_ORG_MAX_FAILURES, windowMinutes: c.BIND_ORG_WINDOW_MINUTES, pauseMinutes: c.BIND_ORG_PAUSE_MINUTES,
  });
  if (started) await alertPause(ctx, started);
}

/** One notice per principal per pause (the outbox key), so a retried message never alerts twice. */
async function alertPause(ctx: BotContext, pause: OrgPause): Promise<void> {
  const { BIND_ORG_WINDOW_MINUTES } = ctx.services.config;
  const until = formatLocalTime(pause.until, ctx.services.timeZone);
  ctx.services.log.warn({ orgId: ctx.orgId, failures: pause.failures, until: pause.until }, 'too many wrong binding codes across the org: binding by code paused for new addresses');
  // A principal's post may be a further one (a person in two schools).
  const principals = await Staff.find({ orgId: ctx.orgId, active: true, $or: [{ role: 'principal' }, { 'posts.role': 'principal' }] }).lean();
  for (const p of principals) {
    await notify(ctx.services, ctx.now, {
      to: p.wecomUserId, key: `bindPause:${pause.id}:${p.wecomUserId}`, kind: 'security_alert',
      render: (t) => t('register.orgPausedAlert', { count: pause.failures, minutes: BIND_ORG_WINDOW_MINUTES, until }),
    });
  }
}

async function bindByCode(ctx: BotContext, code: string): Promise<void> {
  if (await refuseIfLocked(ctx)) return;
  // During an org-wide pause a new address learns nothing about its code, right or wrong.
  if (ctx.person.kind !== 'family' && await orgPausedUntil(ctx.orgId, ctx.now)) return ctx.reply('register.paused');
  const member = await FamilyMember.findOne({ orgId: ctx.orgId, code });
  if (!member) return fail(ctx, 'register.wrong', true);
  if (member.boundAddress === ctx.msg.from) {
    const child = await Child.findOne({ orgId: ctx.orgId, _id: member.childId });
    return ctx.reply('register.already', { child: child?.name ?? '' });
  }
  // Taken by another address: refused and counted like a wrong code, with the same words, so a stranger cannot
  // tell a used code (a real child's) from a made-up one.
  if (member.boundAddress) return fail(ctx, 'register.wrong', true);
  // Two addresses sending the same code at once: the unique claim lets exactly one of them bind.
  if (!(await claimOnce(`bind:${member._id}:code`, ctx.now, ctx.msg.from))) return fail(ctx, 'register.wrong', true);
  const claimed = await FamilyMember.findOneAndUpdate(
    { _id: member._id },
    { $set: { boundAddress: ctx.msg.from, boundAt: ctx.now, boundVia: 'code' } },
    { new: true },
  );
  if (!claimed) return;
  await ensureFamilyIdentity(ctx, 'code');
  await ctx.refreshPerson();
  await confirmBinding(ctx, claimed, 'register.success');
}

export async function ensureFamilyIdentity(ctx: BotContext, via: 'code' | 'teacher_approval', address = ctx.msg.from, displayName = ctx.msg.displayName): Promise<void> {
  await Identity.updateOne(
    { orgId: ctx.orgId, address },
    { $setOnInsert: { kind: 'family', verifiedVia: via, verifiedAt: ctx.now, displayName } },
    { upsert: true },
  );
}

async function confirmBinding(ctx: BotContext, member: FamilyMemberDoc, key: string): Promise<void> {
  const child = await Child.findOne({ orgId: ctx.orgId, _id: member.childId });
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
  const children = await Child.find({ orgId: ctx.orgId, name: data.childName, birthDate: data.birthDate, status: 'active' }).lean();
  const member = phone && children.length
    ? await FamilyMember.findOne({ orgId: ctx.orgId, childId: { $in: children.map((c) => c._id) }, phone })
    : null;
  // Which of the three did not match is never said: that would help someone guess.
  if (!member) return fail(ctx, 'lostCard.noMatch');
  if (member.boundAddress === ctx.msg.from) {
    return ctx.reply('register.already', { child: data.childName });
  }
  const child = children.find((c) => String(c._id) === String(member.childId))!;
  const info = await childInfo(ctx.orgId, child);
  if (!info.teacher) return ctx.reply('lostCard.noTeacher');
  const pending = await BindRequest.findOne({ orgId: ctx.orgId, address: ctx.msg.from, memberId: member._id, status: 'pending' });
  if (pending) return ctx.reply('lostCard.pending');

  const number = await nextNumber(ctx.orgId, 'bindRequest');
  await BindRequest.create({
    orgId: ctx.orgId, number, address: ctx.msg.from, displayName: ctx.msg.displayName,
    childId: child._id, memberId: member._id, teacherId: info.teacher._id, requestedAt: ctx.now,
  });
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
