/**
 * Family calls (亲情电话) from the parents' side: setting the weekly slot (`通话时间 周六 19:00`, or a guided
 * dialog started with `通话时间`), and answering "did the call happen?" (1 已通话 / 2 没打成) while that
 * question is open. Everything else goes on down the chain.
 */
import type { BotContext, Middleware } from '../bot/context';
import { codeText } from '../humanInput';
import type { ChildDoc } from '../models/child';
import { updateDialogData } from '../domain/dialogs';
import { CALL_CHECK, CallCheck, checkQuestion, recordCallOutcome, setFamilyCallSlot, Slot, slotOf } from '../domain/calls';
import { settingsOf } from './settings';
import { memberFor } from '../bot/sender';
import { childInfo } from '../domain/childInfo';
import { clearDialog, setDialog } from './dialog';
import { childNamedIn } from './intent';

type Family = BotContext & { person: { kind: 'family'; children: ChildDoc[] } };

const SET_DIALOG = 'callSet';
const DIALOG_MIN = 10;

// ---------------------------------------------------------------------------------------------------------
// Reading a weekday and a time as parents write them. Pure, exported for tests.

const CN_DIGITS: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

/** 7, 19, 七, 十, 十二, 二十, 二十三 → number. */
function cnNumber(s: string): number | undefined {
  if (/^\d+$/.test(s)) return Number(s);
  if (!s.includes('十')) return s.length === 1 ? CN_DIGITS[s] : undefined;
  const [tens, ones] = s.split('十');
  const t = tens ? CN_DIGITS[tens] : 1;
  const o = ones ? CN_DIGITS[ones] : 0;
  return t === undefined || o === undefined || tens.length > 1 || ones.length > 1 ? undefined : t * 10 + o;
}

const WEEKDAY_CN: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 日: 0, 天: 0, 七: 0, '1': 1, '2': 2, '3': 3, '4': 4, '5': 5, '6': 6, '7': 0 };
const WEEKDAY_EN: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

/** 周六 / 星期六 / 礼拜天 / 周6 / Saturday → 0–6 (0 = Sunday). */
export function parseWeekday(raw: string): number | undefined {
  const s = codeText(raw);
  const zh = /(?:周|星期|礼拜|禮拜)\s*([一二三四五六日天七1-7])/.exec(s);
  if (zh) return WEEKDAY_CN[zh[1]];
  const en = /\b(sun|mon|tue|wed|thu|fri|sat)[a-z]*\b/i.exec(s);
  return en ? WEEKDAY_EN[en[1].toLowerCase()] : undefined;
}

const NUM = '(\\d{1,2}|[零〇一二两三四五六七八九十]{1,3})';
const PERIOD = '(凌晨|早上|早晨|清早|上午|中午|下午|傍晚|晚上|夜里|晚)?';

/** 19:00 / 19：00 / 7:30pm / 7pm / 晚上7点 / 19点 / 晚上七点半 / 下午3点15分 → "HH:MM". */
export function parseTime(raw: string): string | undefined {
  const s = codeText(raw).toLowerCase();
  let h: number | undefined;
  let m = 0;
  let period = '';
  const colon = new RegExp(`${PERIOD}\\s*(\\d{1,2}):(\\d{2})\\s*(am|pm|a\\.m\\.|p\\.m\\.)?`).exec(s);
  const ampm = /(\d{1,2})\s*(am|pm|a\.m\.|p\.m\.)/.exec(s);
  const dian = new RegExp(`${PERIOD}\\s*${NUM}\\s*[点點时](?:\\s*(半|一刻|三刻|${NUM.slice(1, -1)})\\s*分?)?`).exec(s);
  if (colon) {
    [h, m] = [Number(colon[2]), Number(colon[3])];
    period = colon[1] ?? colon[4] ?? '';
  } else if (ampm) {
    h = Number(ampm[1]);
    period = ampm[2];
  } else if (dian) {
    h = cnNumber(dian[2]);
    period = dian[1] ?? '';
    const mins = dian[3];
    if (mins === '半') m = 30;
    else if (mins === '一刻') m = 15;
    else if (mins === '三刻') m = 45;
    else if (mins) m = cnNumber(mins) ?? -1;
  }
  if (h === undefined || m < 0 || m > 59) return undefined;
  if (/^(pm|p\.m\.|下午|傍晚|晚上|夜里|晚)$/.test(period) && h < 12) h += 12;
  else if (period === '中午' && h < 6) h += 12;
  else if (/^(am|a\.m\.)$/.test(period) && h === 12) h = 0;
  if (h > 23) return undefined;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** "1 已通话" / "2 没打成" and their words. */
export function parseCallAnswer(raw: string): 'done' | 'missed' | undefined {
  const s = codeText(raw).replace(/[。.!！]+$/, '').toLowerCase();
  if (/^(1|已通话|通话了|通了|打了|打过了|已打|通过了|是|是的|yes|y|done)$/.test(s)) return 'done';
  if (/^(2|没打成|没打|没通|没打通|没通上|没有|没|no|n|missed)$/.test(s)) return 'missed';
  return undefined;
}

/** `通话时间 …` / `设置通话时间 …` / `亲情电话时间 …` / `call time …`: the command and what follows it. */
const SET_COMMAND = /^(?:(设置|修改|更改|改)\s*)?(?:亲情)?(?:通话|电话)时间\s*|^(?:set\s+)?call\s+time\s*/i;
/** "通话时间是几点?" asks; it does not set. */
const QUESTION = /什么|几点|多少|哪天|哪一天|吗|呢|[?？]|when|what/i;

// ---------------------------------------------------------------------------------------------------------

export const familyCall: Middleware = async (ctx, next) => {
  if (ctx.person.kind !== 'family') return next();
  const fam = ctx as Family;
  const text = ctx.msg.text.trim();

  if (ctx.dialog?.kind === CALL_CHECK) {
    const outcome = parseCallAnswer(text);
    if (outcome && (await answerCheck(fam, outcome))) return;
    // Anything else is a new message: the question stays open for its day.
  }
  if (ctx.dialog?.kind === SET_DIALOG) return continueSetDialog(fam, text);

  const command = SET_COMMAND.exec(text);
  if (!command) return next();
  const rest = text.slice(command[0].length).trim();
  const explicitSet = Boolean(command[1]);
  if (!explicitSet && QUESTION.test(rest)) return next(); // the menu answers "when is the call?"

  const eligible = fam.person.children.filter((c) => ['father', 'mother'].includes(memberFor(fam.person, c._id)?.role ?? ''));
  if (!eligible.length) {
    // A guardian asking "通话时间" is told the slot by the menu; only trying to set it gets the refusal.
    if (!rest && !explicitSet) return next();
    return ctx.reply('calls.set.notParent');
  }
  const named = childNamedIn(rest, eligible);
  const child = eligible.length === 1 ? eligible[0] : named;
  const leftover = named ? rest.replace(named.name, '').replace([...named.name].slice(1).join(''), '') : rest;

  if (!leftover.replace(/[\s:：,，。、是为改成到设置]/g, '')) {
    // Just the command (maybe with a name): the guided dialog.
    if (!child) return askChild(fam, eligible, {});
    return askWeekday(fam, child);
  }
  const weekday = parseWeekday(leftover);
  const time = parseTime(leftover.replace(/(?:周|星期|礼拜|禮拜)\s*[一二三四五六日天七1-7]/, ' '));
  if (weekday === undefined || !time) return ctx.reply('calls.set.bad');
  if (!child) return askChild(fam, eligible, { weekday, time });
  return saveSlot(fam, child, { weekday, time });
};

async function askChild(ctx: Family, eligible: ChildDoc[], pending: Partial<Slot>): Promise<void> {
  await setDialog(ctx, SET_DIALOG, { step: 'child', ids: eligible.map((c) => String(c._id)), ...pending }, DIALOG_MIN);
  const list = eligible.map((c, i) => ctx.t('calls.set.item', { n: i + 1, child: c.name }));
  return ctx.reply('calls.set.chooseChild', { list: list.join(ctx.person.style === 'voice' ? '，' : '\n') });
}

async function askWeekday(ctx: Family, child: ChildDoc): Promise<void> {
  await setDialog(ctx, SET_DIALOG, { step: 'weekday', childId: String(child._id) }, DIALOG_MIN);
  const current = slotOf(child.familyCall, (await childInfo(ctx.orgId, child)).school.familyCall);
  if (current) return ctx.reply('calls.set.askWeekdayNow', { child: child.name, weekday: ctx.t(`weekday.${current.weekday}`), time: current.time });
  return ctx.reply('calls.set.askWeekday', { child: child.name });
}

async function continueSetDialog(ctx: Family, text: string): Promise<void> {
  const data = ctx.dialog!.data as { step: string; ids?: string[]; childId?: string; weekday?: number; time?: string };
  const childById = (id?: string) => ctx.person.children.find((c) => String(c._id) === id);

  if (data.step === 'child') {
    const n = /^\d$/.test(codeText(text)) ? Number(codeText(text)) : NaN;
    const child = childById(data.ids?.[n - 1]) ?? childNamedIn(text, (data.ids ?? []).map(childById).filter((c): c is ChildDoc => Boolean(c)));
    if (!child) {
      const eligible = (data.ids ?? []).map(childById).filter((c): c is ChildDoc => Boolean(c));
      return askChild(ctx, eligible, { weekday: data.weekday, time: data.time });
    }
    if (data.weekday !== undefined && data.time) return saveSlot(ctx, child, { weekday: data.weekday, time: data.time });
    return askWeekday(ctx, child);
  }

  const child = childById(data.childId);
  if (!child) {
    await clearDialog(ctx);
    return ctx.reply('calls.set.bad');
  }
  if (data.step === 'weekday') {
    const s = codeText(text);
    const weekday = /^[1-7]$/.test(s) ? Number(s) % 7 : parseWeekday(s);
    if (weekday === undefined) return ctx.reply('calls.set.badWeekday');
    // "周六 19:00" in one go is fine too.
    const time = parseTime(s.replace(/(?:周|星期|礼拜|禮拜)\s*[一二三四五六日天七1-7]/, ' '));
    if (time && !/^[1-7]$/.test(s)) return saveSlot(ctx, child, { weekday, time });
    await setDialog(ctx, SET_DIALOG, { step: 'time', childId: data.childId, weekday }, DIALOG_MIN);
    return ctx.reply('calls.set.askTime', { weekday: ctx.t(`weekday.${weekday}`) });
  }
  const time = parseTime(text);
  if (!time || data.weekday === undefined) return ctx.reply('calls.set.badTime');
  return saveSlot(ctx, child, { weekday: data.weekday, time });
}

async function saveSlot(ctx: Family, child: ChildDoc, slot: Slot): Promise<void> {
  if (ctx.dialog?.kind === SET_DIALOG) await clearDialog(ctx);
  await setFamilyCallSlot(ctx.orgId, child._id, slot, ctx.now, ctx.msg.from);
  return ctx.reply('calls.set.confirm', { child: child.name, weekday: ctx.t(`weekday.${slot.weekday}`), time: slot.time });
}

/**
 * Logs the answer for the first open check, then asks the next one (a parent of two children answers in turn).
 * False when nothing was open after all (e.g. the child is no longer bound): the digit is the menu's then.
 */
async function answerCheck(ctx: Family, outcome: 'done' | 'missed'): Promise<boolean> {
  const checks = ((ctx.dialog!.data as { checks?: CallCheck[] }).checks ?? []).filter((c) => ctx.person.children.some((k) => String(k._id) === c.childId));
  const [head, ...rest] = checks;
  if (!head) {
    await clearDialog(ctx);
    return false;
  }
  const { schedule } = await settingsOf(ctx);
  const member = memberFor(ctx.person, head.childId);
  await recordCallOutcome(ctx.services, ctx.now, {
    childId: head.childId, date: head.date, at: new Date(head.at), outcome, answered: true, withWhom: member?.role,
  }, schedule.calls.missedWeeksAlert);
  if (rest.length) {
    // Keep the original expiry: the remaining questions belong to the same day.
    await updateDialogData(ctx.orgId, ctx.msg.from, { checks: rest });
  } else {
    await clearDialog(ctx);
  }
  await ctx.reply(outcome === 'done' ? 'calls.ask.done' : 'calls.ask.missed', { child: head.child });
  if (rest.length) await ctx.replyText(checkQuestion(ctx.t, rest[0]));
  return true;
}
