/**
 * Progress notes, the rules shared by the chat handler, the admin API and the jobs: which period a note is for,
 * saving (until it is sent), rendering, and delivery to the family.
 */
import { Audience, noticeItems } from '../bot/notify';
import { enqueueMany, OutboxItem } from '../bot/outbox';
import { recipientStyles } from '../bot/sender';
import { periodLabel } from './format';
import { Lang, T, translator } from '../locales';
import { fitVoice, splitVoice } from '../locales/voice';
import { Child } from '../models/child';
import { FamilyMember } from '../models/familyMember';
import { NOTE_FIELDS, NoteContent, ProgressNote, ProgressNoteDoc } from '../models/progressNote';
import { Staff } from '../models/staff';
import { findByValues, writeByValues } from '../models/manyValues';
import { fromLocal, hm, localParts, periodOf, shiftPeriod } from '../localTime';
import type { ScheduleSettings } from './settings';
import { boundFamily, rosterChildren } from './rosterSnapshot';

export type NoteSettings = ScheduleSettings['notes'];

/** When the notes of `period` go to the families: deliveryDay of the next month at deliveryTime. */
export function deliveryMoment(period: string, s: NoteSettings, tz: string): Date {
  const [y, m] = shiftPeriod(period, 1).split('-').map(Number);
  const [hh, mm] = hm(s.deliveryTime);
  return fromLocal(y, m, s.deliveryDay, hh, mm, tz);
}

/** The first instant of a local month. */
export function periodStart(period: string, tz: string): Date {
  const [y, m] = period.split('-').map(Number);
  return fromLocal(y, m, 1, 0, 0, tz);
}

/** The first instant after the late window (the end of `lateUntilDay`) of the month that starts at `period`. */
export function lateWindowEnd(period: string, s: NoteSettings, tz: string): Date {
  const [y, m] = period.split('-').map(Number);
  return fromLocal(y, m, s.lateUntilDay + 1, 0, 0, tz);
}

export type Target =
  | { ok: true; period: string; /** last month's note was missing: this one fills it */ late: boolean; existing?: ProgressNoteDoc }
  | { ok: false; period: string; /** the current month opens for notes from this day */ reopenDay?: number };

/**
 * Which period a teacher's note (by message, or the API without a period) is for. The current month; except
 * during the late window (until lateUntilDay), when "成长记录" concerns last month if the child was paired then:
 * missing → a late note, written but not sent (e.g. the 1st before delivery) → a correction, sent → refused
 * (told it was sent and from which day this month's note opens). A current-month note already there (API) wins.
 */
export async function targetPeriod(orgId: string, childId: unknown, pairedFrom: Date, now: Date, tz: string, s: NoteSettings): Promise<Target> {
  const cur = periodOf(now, tz);
  const last = shiftPeriod(cur, -1);
  const [curNote, lastNote] = await Promise.all([
    ProgressNote.findOne({ orgId, childId, period: cur }),
    ProgressNote.findOne({ orgId, childId, period: last }),
  ]);
  const inLateWindow = localParts(now, tz).day <= s.lateUntilDay && pairedFrom < periodStart(cur, tz);
  if (inLateWindow && !curNote) {
    if (!lastNote) return { ok: true, period: last, late: true };
    if (lastNote.status !== 'sent') return { ok: true, period: last, late: false, existing: lastNote };
    return { ok: false, period: last, reopenDay: s.lateUntilDay + 1 };
  }
  if (curNote?.status === 'sent') return { ok: false, period: cur };
  return { ok: true, period: cur, late: false, existing: curNote ?? undefined };
}

function cleanContent(c: NoteContent): NoteContent {
  const out: NoteContent = {};
  for (const f of NOTE_FIELDS) {
    const v = c[f]?.trim();
    if (v) out[f] = v;
  }
  return out;
}

export function isEmpty(c: NoteContent): boolean {
  return NOTE_FIELDS.every((f) => !c[f]?.trim());
}

export type SaveResult = { saved: true; corrected: boolean; note: ProgressNoteDoc } | { saved: false };

/**
 * Writes the note as submitted, replacing all its content (a correction is a rewrite), unless it was sent.
 * A sent note makes the filter miss and the upsert collide with the unique index: that is the refusal.
 */
export async function saveNote(orgId: string, childId: unknown, teacherId: unknown, period: string, content: NoteContent,
  now: Date, source: 'chat' | 'api'): Promise<SaveResult> {
  const c = cleanContent(content);
  const $set: Record<string, unknown> = { teacherId, status: 'submitted', submittedAt: now, source, recording: 'due' };
  const $unset: Record<string, ''> = {};
  for (const f of NOTE_FIELDS) {
    if (c[f]) $set[f] = c[f];
    else $unset[f] = '';
  }
  try {
    const prev = await ProgressNote.findOneAndUpdate(
      { orgId, childId, period, status: { $ne: 'sent' } },
      { $set, ...(Object.keys($unset).length ? { $unset } : {}) },
      { upsert: true, new: false },
    );
    const note = await ProgressNote.findOne({ orgId, childId, period });
    if (!note || note.status === 'sent') return { saved: false };
    return { saved: true, corrected: !!prev, note };
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return { saved: false };
    throw err;
  }
}

/** The present fields in order, as [labelKey, text]. */
function noteParts(note: NoteContent): Array<[string, string]> {
  return NOTE_FIELDS.filter((f) => note[f]?.trim()).map((f) => [`notes.label.${f}`, note[f]!.trim()]);
}

/** The note as lines "学习：…"; a note of free text only is shown as it is. */
export function noteBody(t: T, note: NoteContent): string {
  const parts = noteParts(note);
  if (parts.length === 1 && parts[0][0] === 'notes.label.text') return parts[0][1];
  return parts.map(([label, text]) => t('notes.line', { label: t(label), text })).join('\n');
}

/** The note as sentences for listening: no line breaks or symbols a voice reader would spell out. */
function noteSummary(note: NoteContent): string {
  return noteParts(note)
    .map(([, text]) => text.replace(/[\r\n]+/g, '，').replace(/[#*【】★☆→•·]/g, '').trim())
    .filter(Boolean)
    .map((s) => (/[。！？!?.；;]$/.test(s) ? s : `${s}。`))
    .join('');
}

/** The family's copy of a note: each bound parent gets it in full, each bound guardian a short voice version. */
export function deliveryKey(note: { period: string; childId: unknown }, memberId: unknown): string {
  return `note:${note.period}:${String(note.childId)}:${String(memberId)}`;
}
const DELIVERY_KIND = 'note';

/**
 * Pushes the note to every bound family member (idempotency key per note and member, so a repeat, a second
 * instance or the submission racing the job sends each once) and marks it sent. Returns how many it went to.
 */
export async function deliverNote(aud: Audience, now: Date, note: ProgressNoteDoc): Promise<number> {
  return (await deliverNotes(aud, now, [note]))[0];
}

/**
 * `deliverNote` for a page of notes: the children, teachers, members and recipients of the whole page are read
 * at once and its messages written in one batch, so a month's fan-out costs a few round trips per page instead
 * of a few dozen per note. Returns, per note, how many family members it went to.
 */
async function deliverNotes(aud: Audience, now: Date, notes: ProgressNoteDoc[]): Promise<number[]> {
  if (!notes.length) return [];
  const orgId = aud.orgId;
  const pageChildren = new Set(notes.map((n) => String(n.childId)));
  // The children and their bound members from the roster the jobs share (domain/rosterSnapshot: read whole, read
  // again after a write to them by any instance): a query per child and per page of members
  // was a third of a county's fan-out's database work. A child no longer active is read by itself.
  const [roster, bound] = await Promise.all([rosterChildren(orgId), boundFamily(orgId)]);
  const childName = new Map(roster.children.filter((c) => pageChildren.has(c.id)).map((c) => [c.id, c.name]));
  // By value (models/manyValues): on FerretDB an `$in` reads the whole collection.
  const [others, teachers] = await Promise.all([
    findByValues(Child, [...pageChildren].filter((id) => !childName.has(id)), (_id) => Child.find({ orgId, _id }, { name: 1 }).lean()),
    findByValues(Staff, notes.map((n) => n.teacherId), (_id) => Staff.find({ orgId, _id }, { name: 1 }).lean()),
  ]);
  for (const c of others) childName.set(String(c._id), c.name);
  const members = bound.filter((m) => pageChildren.has(m.childId));
  const teacherName = new Map(teachers.map((t) => [String(t._id), t.name]));
  const people = await recipientStyles(aud.orgId, members.map((m) => m.address), aud.orgLang);
  const items: OutboxItem[] = [];
  const counts = notes.map((note) => {
    const child = childName.get(String(note.childId));
    if (child === undefined) return 0;
    let count = 0;
    for (const m of members) {
      if (m.childId !== String(note.childId)) continue;
      const who = people.get(m.address)!;
      const to = { to: m.address, key: deliveryKey(note, m.memberId), kind: DELIVERY_KIND };
      if (m.role === 'guardian') {
        items.push(...noticeItems(aud, now, to, guardianText(who.lang, child, note), 'voice'));
      } else {
        const t = translator(who.lang, who.style);
        const text = t('notes.deliver.parent', {
          child, period: periodLabel(t, note.period), teacher: teacherName.get(String(note.teacherId)) ?? '',
          body: noteBody(t, note), summary: noteSummary(note),
        });
        items.push(...noticeItems(aud, now, to, text, who.style));
      }
      count++;
    }
    return count;
  });
  await enqueueMany(items);
  await writeByValues(ProgressNote, notes.map((n) => n._id), (_id) => ProgressNote.updateMany({ _id, status: 'submitted' }, { $set: { status: 'sent', sentAt: now } }));
  return counts;
}

/** A guardian's copy: the short version in the voice style whatever their setting, for it is meant to be heard. */
function guardianText(lang: Lang, child: string, note: ProgressNoteDoc): string {
  const t = translator(lang, 'voice');
  return fitVoice((s) => t('notes.deliver.guardian', { child, period: periodLabel(t, note.period), summary: s }), noteSummary(note));
}

/** Notes whose recordings one call of prepareNoteRecordings makes at most, between its checks of the time. */
const RECORDING_PAGE = 20;

/**
 * Makes the recordings the guardians will hear of this month's and last month's submitted notes, ahead of their
 * delivery (the noteRecordings job, each minute): `record` puts each voice piece into the speech cache, where
 * delivery finds it. A county's 20,000 guardians took most of an hour of CPU when all were synthesized on the 1st,
 * which held the whole fan-out back. Stops at `until` (real time) or when `signal` aborts; returns the notes done.
 * A note corrected afterwards is `due` again (saveNote); one delivered before its turn was synthesized then.
 */
export async function prepareNoteRecordings(aud: Audience, now: Date, tz: string, record: (text: string) => Promise<unknown>,
  opts: { until: number; signal?: AbortSignal }): Promise<number> {
  const cur = periodOf(now, tz);
  let done = 0;
  for (const period of [shiftPeriod(cur, -1), cur]) {
    for (;;) {
      if (opts.signal?.aborted || Date.now() >= opts.until) return done;
      // Equalities only: FerretDB hands all of them to PostgreSQL and stops at the limit.
      const notes = await ProgressNote.find({ orgId: aud.orgId, status: 'submitted', period, recording: 'due' }).limit(RECORDING_PAGE);
      if (!notes.length) break;
      const childIds = notes.map((n) => n.childId);
      const [children, guardians] = await Promise.all([
        findByValues(Child, childIds, (_id) => Child.find({ orgId: aud.orgId, _id }, { name: 1 }).lean()),
        findByValues(FamilyMember, childIds, (childId) => FamilyMember.find({ orgId: aud.orgId, childId, role: 'guardian', boundAddress: { $exists: true, $ne: null } }, { childId: 1, boundAddress: 1 }).lean()),
      ]);
      const childName = new Map(children.map((c) => [String(c._id), c.name]));
      const people = await recipientStyles(aud.orgId, guardians.map((g) => g.boundAddress!), aud.orgLang);
      // The pieces delivery will send, each its own recording; two at a time (espeak-ng and sox, one core each).
      const pieces: string[] = [];
      for (const note of notes) {
        const child = childName.get(String(note.childId));
        if (child === undefined) continue;
        for (const g of guardians.filter((m) => String(m.childId) === String(note.childId))) {
          pieces.push(...splitVoice(guardianText(people.get(g.boundAddress!)!.lang, child, note)));
        }
      }
      let next = 0;
      await Promise.all([0, 1].map(async () => {
        while (next < pieces.length) await record(pieces[next++]);
      }));
      // Only notes still submitted and unchanged since read: a correction meanwhile keeps its new text `due`.
      for (const n of notes) {
        await ProgressNote.updateOne({ _id: n._id, status: 'submitted', recording: 'due', ...(n.submittedAt ? { submittedAt: n.submittedAt } : {}) },
          { $set: { recording: 'done' } });
      }
      done += notes.length;
    }
  }
  return done;
}

/**
 * Notes delivered per page: one batch of reads and writes each (see deliverNotes). On FerretDB most of those
 * reads scan their collection, so a bigger page means fewer scans; 500 notes are ~1,500 messages in one insert.
 */
export const NOTE_PAGE = 500;

/** Every submitted note whose delivery moment has come: the tick's work and the safety net after a late submission. */
export async function deliverDueNotes(aud: Audience, now: Date, s: NoteSettings, tz: string, run?: { signal: AbortSignal; makeRoom(): Promise<void> }): Promise<number> {
  const cur = periodOf(now, tz);
  // Last month's notes are due from this month's delivery moment; everything older is due anyway.
  const latest = now >= deliveryMoment(shiftPeriod(cur, -1), s, tz) ? shiftPeriod(cur, -1) : shiftPeriod(cur, -2);
  let n = 0;
  // Period by period, oldest first, each an equality ({orgId, status, period} index): FerretDB sorts only after
  // reading every match, so the sorted page of all due notes read the month's 20,000 notes for each page of 500.
  // Unsorted, it stops at the limit; a page's notes leave `submitted`, so the next read finds the rest.
  for (let back = DUE_PERIODS_BACK; back >= 0; back--) {
    const period = shiftPeriod(latest, -back);
    const done = new Set<string>();
    for (;;) {
      if (run?.signal.aborted) return n; // stopping: the rest are still `submitted`, due again at the next start
      const page = (await ProgressNote.find({ orgId: aud.orgId, status: 'submitted', period }).limit(NOTE_PAGE))
        .filter((note) => !done.has(String(note._id)));
      if (!page.length) break;
      // Only before a page that will be enqueued: on FerretDB the look at the queue reads every pending message,
      // and the 25 periods looked at each minute did it 25 times a minute with nothing to deliver.
      await run?.makeRoom();
      await deliverNotes(aud, now, page);
      for (const note of page) done.add(String(note._id));
      n += page.length;
    }
  }
  return n;
}

/**
 * How far back a submitted note is still delivered: one missed by two years of downtime is history. The periods
 * are read one by one (see deliverDueNotes), a few milliseconds each when nothing is left there.
 */
export const DUE_PERIODS_BACK = 24;

/** "12月1日" for a delivery moment, in the reader's words. */
export function dateLabel(t: T, d: Date, tz: string): string {
  const p = localParts(d, tz);
  return t('notes.date', { month: p.month, day: p.day });
}

/** A child's latest note that reached the family, with its teacher's name. */
export async function latestSentNote(orgId: string, childId: unknown): Promise<{ note: ProgressNoteDoc; teacherName?: string } | undefined> {
  const note = await ProgressNote.findOne({ orgId, childId, status: 'sent' }).sort({ period: -1 });
  if (!note) return undefined;
  const teacher = await Staff.findOne({ orgId, _id: note.teacherId }, { name: 1 }).lean();
  return { note, teacherName: teacher?.name };
}

/** The notes of these children sent within [from, to], newest period first. */
export function notesSentBetween(orgId: string, childIds: unknown[], from: Date, to: Date): Promise<ProgressNoteDoc[]> {
  return ProgressNote.find({ orgId, childId: { $in: childIds }, status: 'sent', sentAt: { $gte: from, $lte: to } }).sort({ period: -1 });
}

export interface NoteReply { at: Date; from: string; memberId: unknown; role: string; text: string; platformId: string }

/** Keeps a family member's answer to a note on the note. */
export async function addNoteReply(noteId: unknown, reply: NoteReply): Promise<void> {
  await ProgressNote.updateOne({ _id: noteId }, { $push: { replies: reply } });
}
