/**
 * Staff answer a case from the teachers' group or 1:1: `#27 明天带他去卫生院` (or by quoting the bot's post).
 * `#27 收到` acknowledges, `#27 结案 …` closes with a note; the family hears each, voice style for guardians.
 * Only staff of the child's school may answer.
 */
import type { BotContext, Middleware } from '../bot/context';
import type { ConcernDoc } from '../models/concern';
import { acknowledgeCase, addStaffAnswer, caseByNumber, closeCase as closeTheCase, isOpen, mayAnswer } from '../domain/concerns';
import { findMessage } from '../bot/outboxHistory';
import { CaseView, familyRecipients, loadCase, memberLabel, pushCase, recordStep } from '../domain/concernCase';

const BY_NUMBER = /^[#＃]\s*(\d+)\s*([\s\S]*)$/;
const ACK = /^(收到|收到了|已收到|好的|ok|received)[。.!！]?$/i;
const CLOSE = /^(结案|已结案|已解决|解决了|close|closed)[\s:：，,]*([\s\S]*)$/i;

export const concernAnswer: Middleware = async (ctx, next) => {
  if (ctx.person.kind !== 'staff') return next();
  const text = ctx.msg.text.trim();
  let number: number | undefined;
  let body = '';
  const m = BY_NUMBER.exec(text);
  if (m) [number, body] = [Number(m[1]), m[2].trim()];
  else if (ctx.msg.quotedId) {
    // Quoting the bot's post of a case answers that case.
    const quoted = await findMessage({ orgId: ctx.orgId, platformMsgId: ctx.msg.quotedId });
    const k = quoted && /^concern:(\d+):/.exec(quoted.key);
    if (k) [number, body] = [Number(k[1]), text];
  }
  if (number === undefined) return next();

  const concern = await caseByNumber(ctx.orgId, number);
  if (!concern) return ctx.reply('concern.notFound', { number });
  // Their post in the school may be their main one or a further one; county staff (no school) may not answer.
  if (!mayAnswer(ctx.person.staff, concern)) return ctx.reply('concern.notAllowed', { number });
  if (!isOpen(concern)) return ctx.reply('concern.alreadyClosed', { number });
  if (!body) return ctx.reply('concern.howToAnswer', { number });

  const close = CLOSE.exec(body);
  if (close) return closeCase(ctx, concern, close[2].trim());
  if (ACK.test(body)) return acknowledge(ctx, concern, true);
  return answer(ctx, concern, body);
};

async function acknowledge(ctx: BotContext, concern: ConcernDoc, tellStaff: boolean): Promise<void> {
  if (ctx.person.kind !== 'staff') return;
  if (await acknowledgeCase(concern, ctx.msg.from, ctx.now)) {
    const view = await loadCase(ctx.orgId, concern);
    if (view && concern.raisedByRole !== 'staff') {
      await pushCase(ctx.services, ctx.now, view, concern.raisedBy, `concern:${concern.number}:acked`, 'concern.acked',
        { urgent: concern.urgency === 'urgent', extra: { teacher: ctx.person.staff.name } });
    }
  }
  if (tellStaff) await ctx.reply('concern.ackDone', { number: concern.number });
}

async function answer(ctx: BotContext, concern: ConcernDoc, text: string): Promise<void> {
  if (ctx.person.kind !== 'staff') return;
  // An answer is an acknowledgement too; the family hears the answer itself, not a separate "received".
  const seq = await addStaffAnswer(concern, ctx.msg.from, ctx.now, text);
  const view = await loadCase(ctx.orgId, concern);
  if (!view) return;
  const to = familyRecipients(concern);
  for (const address of to) {
    await pushCase(ctx.services, ctx.now, view, address, `concern:${concern.number}:answer:${ctx.msg.platformId}:${seq}:${address}`, 'concern.answer',
      { urgent: concern.urgency === 'urgent', extra: { teacher: ctx.person.staff.name, text } });
  }
  await recordStep(concern._id, 'answered', ctx.now, to);
  if (!to.length) return ctx.reply('concern.answerNoFamily', { number: concern.number, child: view.child.name });
  return ctx.reply('concern.answerSent', { number: concern.number, child: view.child.name, role: labels(ctx, view, to) });
}

/** "祖母、父亲": who the answer reached, as staff know them. */
function labels(ctx: BotContext, view: CaseView, to: string[]): string {
  return to.map((a) => memberLabel(view, a, ctx.t)).join(ctx.t('concern.listSeparator'));
}

async function closeCase(ctx: BotContext, concern: ConcernDoc, note: string): Promise<void> {
  if (ctx.person.kind !== 'staff') return;
  await closeTheCase(concern, ctx.msg.from, ctx.now, note);
  const to = familyRecipients(concern);
  await recordStep(concern._id, 'resolved', ctx.now, to);
  const view = await loadCase(ctx.orgId, concern);
  if (view) {
    for (const address of to) {
      await pushCase(ctx.services, ctx.now, view, address, `concern:${concern.number}:closed:${address}`, note ? 'concern.closed' : 'concern.closedNoNote',
        { urgent: concern.urgency === 'urgent', extra: { teacher: ctx.person.staff.name, text: note } });
    }
  }
  if (!to.length) return ctx.reply('concern.closeDoneNoFamily', { number: concern.number });
  return ctx.reply('concern.closeDone', { number: concern.number });
}
