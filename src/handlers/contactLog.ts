/**
 * Teachers log their contacts (五个一) by message: `谈心 王小明 聊了期中考试的压力`, `家访 …`, `电话 …` (with the
 * parents), `慰问 …`, `见面 …` / `面谈 …` (with the parents). Only for their own paired children; the answer says
 * what was logged and what is still open for that child.
 */
import type { BotContext, Middleware } from '../bot/context';
import { logContact as recordContact } from '../domain/contactLog';
import { pairedChildren } from '../domain/pairings';
import type { StaffDoc } from '../models/staff';
import { cadenceBoard, openItems } from '../domain/cadenceBoard';
import { settingsOf } from './settings';
import type { CadenceKind } from '../domain/cadences';
import { localParts } from '../localTime';

const KEYWORDS: Record<string, CadenceKind> = {
  谈心: 'talk', 家访: 'home_visit', 电话: 'teacher_call', 慰问: 'consolation', 见面: 'meeting', 面谈: 'meeting',
};
const COMMAND = /^(谈心|家访|电话|慰问|见面|面谈)([\s:：]*)([\s\S]*)$/;
const LEADING = /^[\s:：,，、]+/;
const NOTE_MAX = 2000;

interface Named { _id: unknown; name: string }

/**
 * The child `text` starts with: the full name, or the given name without the surname (one- or two-character
 * surname) when only one of `children` has it. The longest full-name match wins over given names.
 */
export function matchChild<C extends Named>(text: string, children: C[]): { child: C; rest: string } | { ambiguous: C[] } | undefined {
  const hits: Array<{ child: C; len: number; full: boolean }> = [];
  for (const c of children) {
    const aliases: Array<[string, boolean]> = [[c.name, true]];
    if (c.name.length >= 3) aliases.push([c.name.slice(1), false]);
    if (c.name.length >= 4) aliases.push([c.name.slice(2), false]);
    for (const [alias, full] of aliases) if (text.startsWith(alias)) hits.push({ child: c, len: alias.length, full });
  }
  if (!hits.length) return undefined;
  const pool = hits.some((h) => h.full) ? hits.filter((h) => h.full) : hits;
  const longest = Math.max(...pool.map((h) => h.len));
  const best = pool.filter((h) => h.len === longest);
  const distinct = [...new Map(best.map((h) => [String(h.child._id), h.child])).values()];
  if (distinct.length > 1) return { ambiguous: distinct };
  return { child: best[0].child, rest: text.slice(longest).replace(LEADING, '').trim() };
}

export const contactLog: Middleware = async (ctx, next) => {
  if (ctx.person.kind !== 'staff') return next();
  const m = COMMAND.exec(ctx.msg.text.trim());
  if (!m) return next();
  const [, word, separator, after] = m;
  const text = after.trim();
  // A bare keyword, or one not followed by a paired child's name, inside someone else's dialog belongs to it.
  if (!text) return ctx.dialog ? next() : ctx.reply('cadences.usage');
  const children = (await pairedChildren(ctx.orgId, ctx.person.staff._id)).map((p) => p.child);
  const found = matchChild(text, children);
  if (!found && ctx.dialog) return next();
  // "电话号码…" is not a command: without a separator, act only when a paired child's name follows.
  if (!found && !separator) return next();
  if (!children.length) return ctx.reply('cadences.noChildren');
  if (!found) return ctx.reply('cadences.notPaired');
  if ('ambiguous' in found) {
    return ctx.reply('cadences.ambiguous', { count: found.ambiguous.length, list: found.ambiguous.map((c) => c.name).join(ctx.t('cadences.sep.item')) });
  }
  await logContact(ctx, ctx.person.staff, found.child, KEYWORDS[word], found.rest.slice(0, NOTE_MAX));
};

async function logContact(ctx: BotContext, staff: StaffDoc, child: Named, kind: CadenceKind, note: string): Promise<void> {
  // One event per inbound message, even if the same message is handled twice.
  const key = `msg:${ctx.msg.channel}:${ctx.msg.platformId}`;
  await recordContact(ctx.orgId, { key, childId: child._id, staffId: staff._id, kind, at: ctx.now, note });
  const { timeZone, schedule: { cadences } } = await settingsOf(ctx);
  const [row] = await cadenceBoard(ctx.orgId, ctx.now, timeZone, cadences, { childId: child._id });
  const open = row ? openItems(ctx.t, row.statuses) : [];
  const rest = open.length
    ? ctx.t('cadences.stillDue', { child: child.name, list: open.join(ctx.t('cadences.sep.item')) })
    : ctx.t('cadences.allDone', { child: child.name });
  const local = localParts(ctx.now, timeZone);
  await ctx.reply('cadences.logged', { child: child.name, kind: ctx.t(`cadences.kind.${kind}`), month: local.month, day: local.day, rest });
}
