/**
 * Progress notes by message. Teachers write a note for one of their paired children in one message
 * (`成长记录 王小明：…`) or through a guided dialog (child → 学习 → 生活 → 心情 → 健康 → 其他 → confirm), and may
 * correct it until it is sent. Parents' otherwise not-understood messages shortly after a note reached them are
 * passed on to the pairing teacher as replies to it.
 */
import type { BotContext, Middleware, Next } from '../bot/context';
import type { ChildDoc } from '../models/child';
import type { FamilyMemberDoc } from '../models/familyMember';
import { findMessage } from '../bot/outboxHistory';
import type { NoteContent, NoteField, ProgressNoteDoc } from '../models/progressNote';
import type { StaffDoc } from '../models/staff';
import {
  addNoteReply, dateLabel, deliverNote, deliveryKey, deliveryMoment, isEmpty, noteBody, notesSentBetween,
  saveNote, Target, targetPeriod,
} from '../domain/notes';
import { activeTeacherOf, PairedChild, pairedChildren as pairedChildrenOf } from '../domain/pairings';
import { boundMemberCount } from '../domain/family';
import { clearDialog, setDialog } from './dialog';
import { periodLabel } from '../domain/format';
import { childNamedIn } from './intent';
import { settingsOf } from './settings';

type StaffCtx = BotContext & { person: { kind: 'staff'; staff: StaffDoc } };

const TRIGGER = /^(?:成长记录|progress\s+note|note)(?=$|[\s:：])[\s:：]*([\s\S]*)$/i;
const SKIP = /^(无|没有|跳过|略|不写|skip|none|-)[。.!！]?$/i;
const STEPS: NoteField[] = ['study', 'life', 'mood', 'health', 'text'];
const ASK: Record<NoteField, string> = {
  study: 'notes.ask.study', life: 'notes.ask.life', mood: 'notes.ask.mood', health: 'notes.ask.health', text: 'notes.ask.other',
};
const DIALOG = 'note';
/** Writing five parts takes a while; the dialog stays open longer than the default. */
const DIALOG_MIN = 60;
/** A parent's free message counts as a reply to a note this long after the note reached them. */
const REPLY_WINDOW_MS = 7 * 24 * 3600_000;

interface NoteDialog {
  step: 'child' | NoteField | 'confirm';
  childIds?: string[];
  childId?: string;
  period?: string;
  late?: boolean;
  content?: NoteContent;
}

/** Teachers' notes; everything else (and everyone else) passes on. */
export const notes: Middleware = async (ctx, next) => {
  if (ctx.person.kind !== 'staff') return next();
  const sctx = ctx as StaffCtx;
  const text = ctx.msg.text.trim();
  const m = TRIGGER.exec(text);
  if (m) {
    // A note is about a child: never written or echoed in a group chat.
    if (ctx.msg.room) return ctx.reply('notes.privateOnly');
    return command(sctx, m[1].trim());
  }
  if (ctx.dialog?.kind === DIALOG && !ctx.msg.room) return dialogStep(sctx, text, next);
  return next();
};

type Paired = PairedChild;

function pairedChildren(ctx: StaffCtx): Promise<Paired[]> {
  return pairedChildrenOf(ctx.orgId, ctx.person.staff._id);
}

/** The child a note starts with: full name (content may follow at once) or given name (then a separator). */
function matchChild(rest: string, paired: Paired[]): { hit?: Paired; name?: string; ambiguous?: boolean } {
  let best: { len: number; hits: Paired[]; name: string } = { len: 0, hits: [], name: '' };
  for (const p of paired) {
    const chars = [...p.child.name];
    const forms = [p.child.name, ...(chars.length >= 3 ? [chars.slice(1).join('')] : [])];
    for (const [i, form] of forms.entries()) {
      if (!rest.startsWith(form)) continue;
      const after = rest.slice(form.length);
      if (i > 0 && after && !/^[\s:：，,]/.test(after)) continue;
      if (form.length > best.len) best = { len: form.length, hits: [p], name: form };
      else if (form.length === best.len && !best.hits.includes(p)) best.hits.push(p);
    }
  }
  if (best.hits.length > 1) return { ambiguous: true, name: best.name };
  return best.hits.length ? { hit: best.hits[0], name: best.name } : {};
}

async function command(ctx: StaffCtx, rest: string): Promise<void> {
  const paired = await pairedChildren(ctx);
  if (!paired.length) {
    await clearDialog(ctx);
    return ctx.reply('notes.noChildren');
  }
  if (!rest) {
    if (paired.length === 1) return begin(ctx, paired[0]);
    return askChild(ctx, paired);
  }
  const match = matchChild(rest, paired);
  if (match.ambiguous) return ctx.reply('notes.ambiguous', { name: match.name });
  if (!match.hit) {
    // Echo only what they typed and list only their own children: nothing about whose child it is.
    const name = [...(rest.split(/[\s:：，,。]/)[0] ?? rest)].slice(0, 8).join('');
    return ctx.reply('notes.notPaired', { name, children: paired.map((p) => p.child.name).join(ctx.t('notes.sep')) });
  }
  const content = rest.slice(match.name!.length).replace(/^[\s:：，,]+/, '').trim();
  if (!content) return begin(ctx, match.hit);
  await clearDialog(ctx);
  const target = await target_(ctx, match.hit);
  if (!target.ok) return refuse(ctx, match.hit.child, target);
  return submit(ctx, match.hit.child, target.period, target.late, { text: content });
}

async function target_(ctx: StaffCtx, p: Paired): Promise<Target> {
  const s = (await settingsOf(ctx)).schedule.notes;
  return targetPeriod(ctx.orgId, p.child._id, p.pairing.from, ctx.now, ctx.services.timeZone, s);
}

async function askChild(ctx: StaffCtx, paired: Paired[]): Promise<void> {
  const items: string[] = [];
  for (const [i, p] of paired.entries()) {
    const target = await target_(ctx, p);
    const state = !target.ok ? 'sent' : target.late ? 'late' : target.existing ? 'written' : 'open';
    items.push(ctx.t(`notes.item.${state}`, { n: i + 1, child: p.child.name, period: periodLabel(ctx.t, target.period) }));
  }
  await setDialog(ctx, DIALOG, { step: 'child', childIds: paired.map((p) => String(p.child._id)) } satisfies NoteDialog, DIALOG_MIN);
  return ctx.reply('notes.chooseChild', { list: items.join(ctx.person.style === 'voice' ? '，' : '\n') });
}

/** Starts the five steps for a child, unless its note for the period was already sent. */
async function begin(ctx: StaffCtx, p: Paired): Promise<void> {
  const target = await target_(ctx, p);
  if (!target.ok) {
    await clearDialog(ctx);
    return refuse(ctx, p.child, target);
  }
  const data: NoteDialog = { step: 'study', childId: String(p.child._id), period: target.period, late: target.late, content: {} };
  await setDialog(ctx, DIALOG, data as unknown as Record<string, unknown>, DIALOG_MIN);
  return ctx.reply(ASK.study, { child: p.child.name, period: periodLabel(ctx.t, target.period) });
}

function refuse(ctx: StaffCtx, child: ChildDoc, target: Target & { ok: false }): Promise<void> {
  const params = { child: child.name, period: periodLabel(ctx.t, target.period), day: target.reopenDay };
  return ctx.reply(target.reopenDay ? 'notes.alreadySentReopen' : 'notes.alreadySent', params);
}

async function dialogStep(ctx: StaffCtx, text: string, next: Next): Promise<void> {
  const data = ctx.dialog!.data as unknown as NoteDialog;
  const paired = await pairedChildren(ctx);

  if (data.step === 'child') {
    const ids = data.childIds ?? [];
    const byDigit = /^\d+$/.test(text) ? ids[Number(text) - 1] : undefined;
    const p = byDigit ? paired.find((x) => String(x.child._id) === byDigit) : childNamedIn(text, paired.map((x) => ({ ...x, name: x.child.name })));
    if (!p) return ctx.reply('notes.badChoice');
    return begin(ctx, p);
  }

  // Still their child? A pairing may have changed while the dialog was open.
  const p = paired.find((x) => String(x.child._id) === data.childId);
  if (!p || !data.period) {
    await clearDialog(ctx);
    return next();
  }
  const period = periodLabel(ctx.t, data.period);
  const content: NoteContent = { ...(data.content ?? {}) };

  if (data.step === 'confirm') {
    if (text === '1') {
      await clearDialog(ctx);
      return submit(ctx, p.child, data.period, !!data.late, content);
    }
    if (text === '2') {
      await setDialog(ctx, DIALOG, { ...data, step: 'study', content: {} } as unknown as Record<string, unknown>, DIALOG_MIN);
      return ctx.reply(ASK.study, { child: p.child.name, period });
    }
    return ctx.reply('notes.previewAgain');
  }

  const step = data.step;
  if (SKIP.test(text)) delete content[step];
  else content[step] = text;
  const following = STEPS[STEPS.indexOf(step) + 1];
  if (following) {
    await setDialog(ctx, DIALOG, { ...data, step: following, content } as unknown as Record<string, unknown>, DIALOG_MIN);
    return ctx.reply(ASK[following], { child: p.child.name, period });
  }
  if (isEmpty(content)) {
    await setDialog(ctx, DIALOG, { ...data, step: 'study', content: {} } as unknown as Record<string, unknown>, DIALOG_MIN);
    await ctx.reply('notes.empty');
    return ctx.reply(ASK.study, { child: p.child.name, period });
  }
  await setDialog(ctx, DIALOG, { ...data, step: 'confirm', content } as unknown as Record<string, unknown>, DIALOG_MIN);
  return ctx.reply('notes.preview', { child: p.child.name, period, body: noteBody(ctx.t, content) });
}

/** Saves the note; one whose delivery moment has passed (a late note) goes to the family at once. */
async function submit(ctx: StaffCtx, child: ChildDoc, periodKey: string, late: boolean, content: NoteContent): Promise<void> {
  const period = periodLabel(ctx.t, periodKey);
  const res = await saveNote(ctx.orgId, child._id, ctx.person.staff._id, periodKey, content, ctx.now, 'chat');
  if (!res.saved) return ctx.reply('notes.alreadySent', { child: child.name, period });
  const s = (await settingsOf(ctx)).schedule.notes;
  const tz = ctx.services.timeZone;
  const moment = deliveryMoment(periodKey, s, tz);
  let reached: number;
  if (ctx.now >= moment) {
    reached = await deliverNote(ctx.services, ctx.now, res.note);
    await ctx.reply(late ? 'notes.sentLate' : 'notes.sentNow', { child: child.name, period });
  } else {
    reached = await boundMemberCount(ctx.orgId, child._id);
    const key = late ? 'notes.savedLate' : res.corrected ? 'notes.updated' : 'notes.saved';
    await ctx.reply(key, { child: child.name, period, date: dateLabel(ctx.t, moment, tz), time: s.deliveryTime });
  }
  if (!reached) await ctx.reply('notes.noFamily', { child: child.name });
}

type FamilyCtx = BotContext & { person: { kind: 'family'; members: FamilyMemberDoc[]; children: ChildDoc[] } };

/**
 * A parent's message that nothing understood, within 7 days after a note for their child reached them: passed
 * to the pairing teacher and kept on the note. Digits go on to the menu; guardians are not asked to reply.
 */
export const noteReplies: Middleware = async (ctx, next) => {
  if (ctx.person.kind !== 'family' || ctx.msg.room) return next();
  const fctx = ctx as FamilyCtx;
  const text = ctx.msg.text.trim();
  if (!text || /^\d+$/.test(text)) return next();
  const parents = fctx.person.members.filter((m) => m.role === 'father' || m.role === 'mother');
  if (!parents.length) return next();

  const since = new Date(ctx.now.getTime() - REPLY_WINDOW_MS);
  // Quiet hours may hold a note for a night: look a day further back, then check when it actually arrived.
  const recent = await notesSentBetween(ctx.orgId, parents.map((m) => m.childId), new Date(since.getTime() - 24 * 3600_000), ctx.now);
  const hits: Array<{ note: ProgressNoteDoc; member: FamilyMemberDoc; child: ChildDoc }> = [];
  for (const note of recent) {
    if (hits.some((h) => String(h.note.childId) === String(note.childId))) continue;
    const member = parents.find((m) => String(m.childId) === String(note.childId));
    const child = fctx.person.children.find((c) => String(c._id) === String(note.childId));
    if (!member || !child) continue;
    const key = deliveryKey(note, member._id);
    const got = await findMessage({ orgId: ctx.orgId, key: { $in: [key, `${key}:0`] }, to: ctx.msg.from, status: 'sent', sentAt: { $gte: since } });
    if (got) hits.push({ note, member, child });
  }
  if (!hits.length) return next();
  const named = childNamedIn(text, hits.map((h) => h.child));
  const chosen = named ? hits.filter((h) => h.child === named) : hits;

  // One message per teacher, naming the children of theirs this reply is about.
  const byTeacher = new Map<string, { teacher: StaffDoc; group: typeof chosen }>();
  for (const h of chosen) {
    const teacher = await activeTeacherOf(ctx.orgId, h.child._id, h.note.teacherId);
    if (!teacher) continue;
    const entry = byTeacher.get(String(teacher._id)) ?? { teacher, group: [] };
    entry.group.push(h);
    byTeacher.set(String(teacher._id), entry);
  }
  const teacherNames: string[] = [];
  for (const [teacherId, { teacher, group }] of byTeacher) {
    const to = await ctx.translatorFor(teacher.wecomUserId);
    const msg = to.t('notes.reply.toTeacher', {
      children: group.map((h) => h.child.name).join(to.t('notes.sep')), role: to.t(`notes.role.${group[0].member.role}`), text,
    });
    await ctx.pushText(teacher.wecomUserId, msg, to.style, { key: `noteReply:${ctx.msg.channel}:${ctx.msg.platformId}:${teacherId}`, kind: 'noteReply' });
    for (const h of group) {
      // The bot drops a repeated platform message id before handlers, so this runs once per message.
      await addNoteReply(h.note._id, { at: ctx.now, from: ctx.msg.from, memberId: h.member._id, role: h.member.role, text, platformId: ctx.msg.platformId });
    }
    teacherNames.push(teacher.name);
  }
  if (!teacherNames.length) return next();
  return ctx.reply('notes.reply.passedOn', { teacher: teacherNames.join(ctx.t('notes.sep')) });
};
