/** A bound parent or guardian asks by digit or free words: how is my child, who is the teacher, when is the call. */
import type { ChildDoc } from '../models/child';
import { latestSentNote } from '../domain/notes';
import { settingsOf } from './settings';
import type { BotContext, Middleware } from '../bot/context';
import { childInfo } from '../domain/childInfo';
import { raiseConcern } from './concerns';
import { clearDialog, setDialog } from './dialog';
import { fitVoice } from '../locales/voice';
import { periodLabel } from '../domain/format';
import { childNamedIn, concernHasContent, detectIntent, Intent } from './intent';
import { namesOtherChild, refuseOtherChild } from './otherChild';

type Family = BotContext & { person: { kind: 'family'; children: ChildDoc[] } };

export const familyQuestions: Middleware = async (ctx, next) => {
  if (ctx.person.kind !== 'family') return next();
  const fam = ctx as Family;
  const text = ctx.msg.text.trim();

  if (ctx.dialog?.kind === 'chooseChild') {
    const { intent, original, voice } = ctx.dialog.data as { intent: Intent; original: string; voice?: string };
    const child = fam.person.children[Number(text) - 1];
    await clearDialog(ctx);
    if (child && /^\d$/.test(text)) {
      if (voice) return raiseConcern(fam, child, original, voice);
      return answer(fam, intent, child, original);
    }
    // Not a choice: treat it as a new message.
  }
  if (ctx.dialog?.kind === 'concernText') {
    const child = fam.person.children.find((c) => String(c._id) === ctx.dialog!.data.childId);
    await clearDialog(ctx);
    if (child) {
      // "What happened?" answered about someone else's child is not this child's case.
      if (await namesOtherChild(ctx, text, fam.person.children)) return refuseOtherChild(ctx, fam.person.children, { intent: 'concern', original: text });
      return raiseConcern(fam, child, text);
    }
  }

  const intent = detectIntent(text, await concernWords(ctx));
  if (!intent) return next();
  if (intent === 'help') {
    await ctx.reply('menu.help', { org: ctx.services.orgName, menu: ctx.t('menu.family') });
    return;
  }
  const children = fam.person.children;
  // About another pupil and none of theirs: no case, and no news of their own child either.
  if (await namesOtherChild(ctx, text, children)) return refuseOtherChild(ctx, children, { intent, original: text });
  const child = children.length === 1 ? children[0] : childNamedIn(text, children);
  if (!child) {
    await setDialog(ctx, 'chooseChild', { intent, original: text }, 10);
    const list = children.map((c, i) => ctx.t('choose.item', { n: i + 1, child: c.name }));
    return ctx.reply('choose.child', { count: children.length, list: list.join(ctx.person.style === 'voice' ? '，' : '\n') });
  }
  return answer(fam, intent, child, text);
};

/**
 * The org's concern words that can only mean a report. Study and family words (学习, 成绩 …) are left out: "学习怎么样"
 * asks for the note.
 */
async function concernWords(ctx: BotContext): Promise<string[]> {
  const c = (await settingsOf(ctx)).schedule.concerns;
  return [...c.urgentKeywords, ...c.keywords.safety, ...c.keywords.health, ...c.keywords.mood];
}

/** Anything a bound person says that nothing understood gets the menu. */
export const familyFallback: Middleware = async (ctx, next) => {
  if (ctx.person.kind !== 'family') return next();
  return ctx.reply('menu.notUnderstood', { menu: ctx.t('menu.family') });
};

async function answer(ctx: Family, intent: Intent, child: ChildDoc, original: string): Promise<void> {
  switch (intent) {
    case 'status': return answerStatus(ctx, child);
    case 'teacher': return answerTeacher(ctx, child);
    case 'call': return answerCall(ctx, child);
    case 'concern':
      if (concernHasContent(original) && !/^\d$/.test(original)) return raiseConcern(ctx, child, original);
      await setDialog(ctx, 'concernText', { childId: String(child._id) });
      return ctx.reply('concern.ask');
    default: return ctx.reply('menu.family');
  }
}

async function answerStatus(ctx: Family, child: ChildDoc): Promise<void> {
  const latest = await latestSentNote(ctx.orgId, child._id);
  if (!latest) return ctx.reply('status.none', { child: child.name });
  const { note, teacherName } = latest;
  const period = periodLabel(ctx.t, note.period);
  const parts: Array<[string, string | null | undefined]> = [
    ['status.labelStudy', note.study], ['status.labelLife', note.life], ['status.labelMood', note.mood],
    ['status.labelHealth', note.health], ['status.labelOther', note.text],
  ];
  const present = parts.filter(([, v]) => v && v.trim());
  if (ctx.person.style === 'voice') {
    const summary = present.map(([, v]) => v!.trim()).join('');
    return ctx.replyText(fitVoice((s) => ctx.t('status.note', { child: child.name, period, summary: s }), summary));
  }
  const body = present.map(([label, v]) => ctx.t('status.line', { label: ctx.t(label), text: v!.trim() })).join('\n');
  return ctx.reply('status.note', { child: child.name, period, teacher: teacherName ?? '', body });
}

async function answerTeacher(ctx: Family, child: ChildDoc): Promise<void> {
  const info = await childInfo(ctx.orgId, child);
  if (!info.teacher) return ctx.reply('teacher.none', { child: child.name });
  if (info.school.showTeacherPhone && info.teacher.phone) {
    return ctx.reply('teacher.infoPhone', { child: child.name, teacher: info.teacher.name, phone: info.teacher.phone });
  }
  return ctx.reply('teacher.info', { child: child.name, teacher: info.teacher.name });
}

async function answerCall(ctx: Family, child: ChildDoc): Promise<void> {
  const slot = child.familyCall?.time ? child.familyCall : (await childInfo(ctx.orgId, child)).school.familyCall;
  if (!slot?.time || slot.weekday === undefined || slot.weekday === null) return ctx.reply('call.none', { child: child.name });
  return ctx.reply('call.slot', { child: child.name, weekday: ctx.t(`weekday.${slot.weekday}`), time: slot.time });
}
