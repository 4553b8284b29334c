/**
 * Letters (亲情书信) and birthdays: parents reminded monthly to write, teachers reminded before each festival to
 * let their paired children write home (dates from the lunar calendar), parents and teacher reminded the day
 * before a child's birthday. Keys carry the month or the year, so each goes out once.
 */
import type { T } from '../locales';
import { parentLetterKey } from '../domain/letters';
import { boundMembers } from '../domain/family';
import { activeTeacherOf, pairedChildrenByTeacher } from '../domain/pairings';
import { activePupils } from '../domain/roster';
import { activeStaff } from '../domain/staffDirectory';
import { Festival, festivalsOfYear } from './festivals';
import { daysInMonth, fromLocal, hm, localParts, periodOf, shiftPeriod } from '../localTime';
import type { Job, JobContext } from './scheduler';

const HOUR = 3600_000;
/** A monthly letter reminder a few days late still helps; after that it would feel random: skip it. */
const PARENT_WINDOW_MS = 72 * HOUR;

function names(t: T, list: string[]): string {
  return list.join(t('calls.listSep'));
}

function dateText(t: T, month: number, day: number): string {
  return t('calls.date', { month, day });
}

/** Monthly, on `parentDay` at `parentTime`: one reminder per parent address naming all their children. */
async function parentLetters(ctx: JobContext): Promise<void> {
  const { parentDay, parentTime } = ctx.settings.letters;
  const [h, m] = hm(parentTime);
  const period = periodOf(ctx.now, ctx.timeZone);
  // This month's, or last month's when its window runs into this month.
  for (const p of [period, shiftPeriod(period, -1)]) {
    const [y, mo] = p.split('-').map(Number);
    const moment = fromLocal(y, mo, parentDay, h, m, ctx.timeZone);
    if (moment > ctx.now || ctx.now.getTime() >= moment.getTime() + PARENT_WINDOW_MS) continue;
    const [parents, children] = await Promise.all([boundMembers(ctx.orgId, { parents: true }), activePupils(ctx.orgId)]);
    const nameOf = new Map(children.map((c) => [c.id, c.name]));
    const byAddress = new Map<string, string[]>();
    for (const b of parents) {
      const name = nameOf.get(b.childId);
      if (!name) continue;
      const list = byAddress.get(b.address) ?? [];
      if (!list.includes(name)) list.push(name);
      byAddress.set(b.address, list);
    }
    for (const [address, kids] of byAddress) {
      kids.sort((a, b) => a.localeCompare(b, 'zh-CN'));
      await ctx.notify({
        to: address, key: parentLetterKey(p, address), kind: 'letter.parent',
        render: (t) => t('calls.letter.parent', { children: names(t, kids) }),
      });
    }
  }
}

const festivalCache = new Map<number, Festival[]>();
function festivals(year: number): Festival[] {
  let list = festivalCache.get(year);
  if (!list) festivalCache.set(year, (list = festivalsOfYear(year)));
  return list;
}

/**
 * `festivalLeadDays` before each festival at `teacherTime`: every teacher with paired children. Due from that
 * moment until the festival day starts (a late reminder still leaves days to write; on the day it is too late).
 */
async function festivalLetters(ctx: JobContext): Promise<void> {
  const { festivalLeadDays, teacherTime } = ctx.settings.letters;
  const [h, m] = hm(teacherTime);
  const year = localParts(ctx.now, ctx.timeZone).year;
  const due: Array<{ f: Festival; year: number; month: number; day: number }> = [];
  for (const y of [year, year + 1]) {
    for (const f of festivals(y)) {
      const [fy, fm, fd] = f.date.split('-').map(Number);
      const moment = fromLocal(fy, fm, fd - festivalLeadDays, h, m, ctx.timeZone);
      const dayStart = fromLocal(fy, fm, fd, 0, 0, ctx.timeZone);
      if (moment <= ctx.now && ctx.now < dayStart) due.push({ f, year: y, month: fm, day: fd });
    }
  }
  if (!due.length) return;
  const paired = await pairedChildrenByTeacher(ctx.orgId);
  const teachers = await activeStaff(ctx.orgId, [...paired.keys()]);
  for (const { f, year: y, month, day } of due) {
    for (const [teacherId, teacher] of teachers) {
      const kids = (paired.get(teacherId) ?? []).map((c) => c.name);
      await ctx.notify({
        to: teacher.wecomUserId, key: `letterFestival:${f.id}:${y}:${teacherId}`, kind: 'letter.festival',
        render: (t) => f.id === 'doubleNinth'
          ? t('calls.letter.teacherDoubleNinth', { date: dateText(t, month, day), children: names(t, kids) })
          : t('calls.letter.teacherFestival', { festival: t(`calls.festival.${f.id}`), date: dateText(t, month, day), children: names(t, kids) }),
      });
    }
  }
}

/** The birthday in a given year; 29 February falls on the 28th in other years. */
function birthdayIn(year: number, month: number, day: number): [number, number] {
  return [month, Math.min(day, daysInMonth(year, month))];
}

/**
 * The day before a child's birthday at `birthdayTime`: bound parents reminded to call, the pairing teacher told.
 * Due until the birthday is over (the text names the date, so a late reminder still reads right).
 */
async function birthdays(ctx: JobContext): Promise<void> {
  const [h, m] = hm(ctx.settings.letters.birthdayTime);
  const year = localParts(ctx.now, ctx.timeZone).year;
  const children = await activePupils(ctx.orgId);
  const due: Array<{ child: { id: string; name: string }; year: number; month: number; day: number; age: number }> = [];
  for (const c of children) {
    const [by, bm, bd] = (c.birthDate ?? '').split('-').map(Number);
    if (!by || !bm || !bd) continue;
    for (const y of [year, year + 1]) {
      const [month, day] = birthdayIn(y, bm, bd);
      const moment = fromLocal(y, month, day - 1, h, m, ctx.timeZone);
      const over = fromLocal(y, month, day + 1, 0, 0, ctx.timeZone);
      if (moment <= ctx.now && ctx.now < over) due.push({ child: c, year: y, month, day, age: y - by });
    }
  }
  if (!due.length) return;
  const parents = await boundMembers(ctx.orgId, { parents: true });
  for (const d of due) {
    const childId = d.child.id;
    const params = (t: T) => ({ child: d.child.name, date: dateText(t, d.month, d.day), age: d.age });
    for (const p of parents.filter((b) => b.childId === childId)) {
      await ctx.notify({
        to: p.address, key: `birthday:${d.year}:${childId}:${p.memberId}`, kind: 'birthday.parent',
        render: (t) => t('calls.birthday.parent', params(t)),
      });
    }
    const teacher = await activeTeacherOf(ctx.orgId, childId);
    if (teacher) {
      await ctx.notify({
        to: teacher.wecomUserId, key: `birthdayTeacher:${d.year}:${childId}:${String(teacher._id)}`, kind: 'birthday.teacher',
        render: (t) => t('calls.birthday.teacher', params(t)),
      });
    }
  }
}

export const letterJobs: Job[] = [
  { name: 'letters.parent', runDue: parentLetters },
  { name: 'letters.festival', runDue: festivalLetters },
  { name: 'letters.birthday', runDue: birthdays },
];
