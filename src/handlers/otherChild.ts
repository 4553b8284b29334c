/**
 * A family member asks and reports only about their own children. A message that names another pupil (by the full
 * name on the roster) and none of theirs is not about their child: "李明华发烧了" from 李小红's father must not open a
 * case on 李小红 (nor an urgent one, nor tell him 李小红's news). It opens nothing; they are asked which of their own
 * children it is about (a digit, so "王小明把我家孩子打伤了" can still become their child's case) or to tell the school
 * about another child directly.
 */
import type { BotContext } from '../bot/context';
import type { ChildDoc } from '../models/child';
import { namesAnotherPupil } from '../domain/roster';
import { setDialog } from './dialog';
import { mentionsChild, type Intent } from './intent';

/** Lengths of the roster names looked for: Chinese names have 2–4 characters; room for a few longer ones. */
const NAME_MIN = 2;
const NAME_MAX = 10;
/** Only the start of a long message is searched: who it is about comes early, and the lookup stays small. */
const SEARCHED_CHARS = 200;

/** Every stretch of the message that could be a name, for one indexed lookup ({orgId, name} on the roster). */
function nameCandidates(text: string): string[] {
  const chars = [...text].slice(0, SEARCHED_CHARS);
  const out = new Set<string>();
  for (let i = 0; i < chars.length; i++) {
    if (/\s/.test(chars[i])) continue;
    for (let len = NAME_MIN; len <= NAME_MAX && i + len <= chars.length; len++) {
      if (!/\s/.test(chars[i + len - 1])) out.add(chars.slice(i, i + len).join(''));
    }
  }
  return [...out];
}

/** True when the words name a pupil of the org who is not one of `own`, and none of `own`. */
export async function namesOtherChild(ctx: BotContext, text: string, own: ChildDoc[]): Promise<boolean> {
  if (!text || own.some((c) => mentionsChild(text, c))) return false;
  return namesAnotherPupil(ctx.orgId, nameCandidates(text), own.map((c) => c._id));
}

/**
 * The answer: only about their own child(ren); which one, by digit (the chooseChild dialog familyQuestions answers).
 * The other child is not named back: the reply says nothing about who is on the roster beyond what they wrote.
 */
export async function refuseOtherChild(ctx: BotContext, own: ChildDoc[], pending: { intent: Intent; original: string; voice?: string }): Promise<void> {
  await setDialog(ctx, 'chooseChild', pending, 10);
  if (own.length === 1) return ctx.reply('choose.otherChildOne', { child: own[0].name });
  const list = own.map((c, i) => ctx.t('choose.item', { n: i + 1, child: c.name }));
  return ctx.reply('choose.otherChild', { count: own.length, list: list.join(ctx.person.style === 'voice' ? '，' : '\n') });
}
