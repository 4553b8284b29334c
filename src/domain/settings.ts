/**
 * The rhythm's settings: org-wide, stored on the Org document (`schedule`), each falling back to the default
 * below, so a school can change them through the admin API without code. Times are local "HH:MM".
 */
import { z } from 'zod';
import { Org } from '../models/org';

const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');
const day = z.number().int().min(1).max(28);

export const scheduleSettingsSchema = z.object({
  notes: z.object({
    /** Days of the month teachers are reminded of missing notes, and at what time. */
    reminderDays: z.array(day).max(5).default([25, 28]),
    reminderTime: time.default('16:30'),
    /** The day the head teacher gets the class's missing notes. */
    headTeacherDay: day.default(28),
    /** Last month's notes go to families on this day at this time. */
    deliveryDay: day.default(1),
    deliveryTime: time.default('19:00'),
    /** Until this day of the month, a teacher's new note still counts for last month if it is missing. */
    lateUntilDay: day.default(10),
  }).default({}),
  calls: z.object({
    /** Parent reminder this many minutes before the weekly call slot. */
    remindBeforeMinutes: z.number().int().min(10).max(24 * 60).default(120),
    /** The "did the call happen?" question this many minutes after the slot. */
    askAfterMinutes: z.number().int().min(10).max(24 * 60).default(60),
    /** Missed weeks in a row after which the pairing teacher is told. */
    missedWeeksAlert: z.number().int().min(1).max(10).default(2),
  }).default({}),
  letters: z.object({
    parentDay: day.default(10),
    parentTime: time.default('19:00'),
    /** Days before each festival teachers are reminded to let children write home. */
    festivalLeadDays: z.number().int().min(1).max(30).default(7),
    teacherTime: time.default('16:30'),
    birthdayTime: time.default('19:00'),
  }).default({}),
  cadences: z.object({
    /** Cycle per contact kind: week, month, quarter, term, year. */
    talk: z.enum(['week', 'month', 'quarter', 'term', 'year']).default('week'),
    teacher_call: z.enum(['week', 'month', 'quarter', 'term', 'year']).default('month'),
    home_visit: z.enum(['week', 'month', 'quarter', 'term', 'year']).default('quarter'),
    consolation: z.enum(['week', 'month', 'quarter', 'term', 'year']).default('term'),
    meeting: z.enum(['week', 'month', 'quarter', 'term', 'year']).default('year'),
    /** Monday digest time. */
    digestTime: time.default('08:00'),
  }).default({}),
  concerns: z.object({
    /** Words that put a concern in a category; the first category (in this order) with a hit wins, else "other". */
    keywords: z.object({
      safety: z.array(z.string().min(1)).default(['找不到', '找不着', '没找到', '失踪', '不见了', '走丢', '没回家', '没回来', '联系不上', '溺水', '打架', '被打', '打伤', '欺负', '车祸', '受伤', '摔', '流血', '骨折']),
      health: z.array(z.string().min(1)).default(['发烧', '发高烧', '高烧', '烧到', '咳嗽', '感冒', '生病', '病了', '肚子疼', '头疼', '不舒服', '住院', '吃药', '昏迷']),
      mood: z.array(z.string().min(1)).default(['不想活', '自杀', '哭', '害怕', '不开心', '难过', '孤独', '想爸爸', '想妈妈', '情绪']),
      study: z.array(z.string().min(1)).default(['不想上学', '逃学', '成绩', '作业', '考试', '学习']),
      family: z.array(z.string().min(1)).default(['吵架', '离婚', '没人管', '搬家', '没钱']),
    }).default({}),
    /** Words that make a concern urgent (the emergency ladder). */
    urgentKeywords: z.array(z.string().min(1)).default(['发高烧', '高烧', '受伤', '打伤', '找不到', '找不着', '没找到', '失踪', '不见了', '走丢', '没回家', '没回来', '联系不上', '溺水', '打架', '不想活', '自杀', '车祸', '昏迷', '流血', '骨折']),
    /** Ordinary case not acknowledged: remind the teacher after this many hours, tell the head teacher after that many. */
    remindTeacherHours: z.number().int().min(1).max(24 * 14).default(24),
    headTeacherHours: z.number().int().min(1).max(24 * 14).default(48),
    /** Urgent case not acknowledged: head teacher and principal after this many minutes. */
    urgentAckMinutes: z.number().int().min(5).max(24 * 60).default(30),
    /** Urgent case or incident: the school leadership's summary after this many minutes (the rule says within 2 hours). */
    leadershipMinutes: z.number().int().min(5).max(120).default(90),
  }).default({}),
});

export type ScheduleSettings = z.infer<typeof scheduleSettingsSchema>;
export type Cycle = ScheduleSettings['cadences']['talk'];

/** An org's time zone and rhythm, as stored now. */
export interface OrgSettings { timeZone: string; schedule: ScheduleSettings }

/** Read once per message (handlers/settings.ts) or per request; jobs get them in their tick's context. */
export async function loadOrgSettings(orgId: string, fallbackTz: string): Promise<OrgSettings> {
  const org = await Org.findById(orgId, { timeZone: 1, schedule: 1 }).lean();
  return { timeZone: org?.timeZone ?? fallbackTz, schedule: scheduleSettings(org?.schedule) };
}

/** Stored overrides (possibly partial, possibly old) merged over the defaults; an invalid store falls back whole. */
export function scheduleSettings(stored: unknown): ScheduleSettings {
  const parsed = scheduleSettingsSchema.safeParse(stored ?? {});
  return parsed.success ? parsed.data : scheduleSettingsSchema.parse({});
}
