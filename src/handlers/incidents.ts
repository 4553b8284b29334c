/**
 * The school reports an incident: `紧急 王小明 课间摔伤，已送卫生院` — which pupil of their school(s) and what
 * happened; domain/incidents tells everyone the emergency rule requires.
 */
import type { BotContext, Middleware } from '../bot/context';
import { pupilNames, pupilsNamed } from '../domain/roster';
import { settingsOf } from './settings';
import { classifyConcern } from './concernClassify';
import { reportIncident } from '../domain/incidents';

const INCIDENT = /^(紧急|突发|emergency)(?:\s+|[:：])\s*([\s\S]+)$/i;
const BARE = /^(紧急|突发|emergency)\s*[:：]?\s*$/i;
const SEP = /^[\s:：，,、]+/;

export const incidents: Middleware = async (ctx, next) => {
  if (ctx.person.kind !== 'staff') return next();
  const text = ctx.msg.text.trim();
  if (BARE.test(text)) return ctx.reply('concern.incidentUsage');
  const m = INCIDENT.exec(text);
  if (!m) return next();
  const rest = m[2].trim();
  const staff = ctx.person.staff;
  // The children of every school they hold a post in; county staff (no school) find none: a school reports.
  const token = /^[^\s:：，,、]+/.exec(rest)![0];
  let name = token;
  let candidates = await pupilsNamed(ctx.orgId, staff, name);
  if (candidates.length === 0) {
    // "紧急 王小明课间摔伤": the name ran into the words; the longest pupil name that starts them is meant.
    const all = await pupilNames(ctx.orgId, staff);
    const longest = Math.max(0, ...all.filter((n) => token.startsWith(n)).map((n) => n.length));
    if (longest) {
      name = token.slice(0, longest);
      candidates = await pupilsNamed(ctx.orgId, staff, name);
    }
  }
  if (candidates.length === 0) return ctx.reply('concern.incidentNoChild', { name: token });
  if (candidates.length > 1) return ctx.reply('concern.incidentAmbiguous', { name });
  const child = candidates[0];
  const what = rest.slice(name.length).replace(SEP, '').trim();
  if (!what) return ctx.reply('concern.incidentUsage');

  const { category } = classifyConcern(what, (await settingsOf(ctx)).schedule.concerns);
  const { number, family, leaders } = await reportIncident(ctx.services, ctx.now, {
    child, reporter: { address: ctx.msg.from, name: staff.name }, category, what: what.trim(),
  });
  return reportBack(ctx, number, family.filter((n) => !n.unreachable).map((n) => n.name ?? ''), family.filter((n) => n.unreachable).map((n) => n.name ?? ''), leaders.length);
};

async function reportBack(ctx: BotContext, number: number, told: string[], unreachable: string[], leaders: number): Promise<void> {
  const sep = ctx.t('concern.listSeparator');
  await ctx.reply('concern.incidentReported', { number, told: told.join(sep) || ctx.t('concern.nobody'), leaders });
  if (unreachable.length) await ctx.reply('concern.incidentUnreachable', { names: unreachable.join(sep) });
}
