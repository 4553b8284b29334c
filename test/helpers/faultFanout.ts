/**
 * Shared by the fault tests: a county with a submitted note per child on this test's own database, the moment its
 * notes are due (the 1st of next month at 19:00, Asia/Shanghai), and the checks on what was delivered afterwards.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import mongoose from 'mongoose';
import '../../src/models';
import { connectDatabase, disconnectDatabase } from '../../src/models/connect';
import { withDatabase } from '../../src/models/mongoServer';
import { Outbox, OutboxArchive } from '../../src/models/outbox';
import { SimMessage } from '../../src/models/simMessage';
import { County, seedCounty } from './county';
import type { FakeWeCom } from '../fakeWecom/server';
import type { FakeSchool, FakeStudent } from '../fakeWecom/school';

/** Children in a fault test's fan-out (three recipients each): FAULT_CHILDREN for a bigger local run. */
export const FAULT_CHILDREN = Number(process.env.FAULT_CHILDREN || 100);

/** This test file's own database on the test server: its URI, with mongoose connected to it. */
export async function ownDatabase(tag: string): Promise<string> {
  const base = process.env.MONGODB_URI;
  if (!base) throw new Error('MONGODB_URI is not set: test/globalSetup.ts should have set it');
  const file = path.basename(expect.getState().testPath ?? 'test', '.test.ts').replace(/[^A-Za-z0-9]/g, '_');
  const uri = withDatabase(base, `t_${file}_${tag}_${crypto.randomBytes(3).toString('hex')}`.slice(0, 60));
  await connectDatabase(uri);
  return uri;
}

export async function dropOwnDatabase(): Promise<void> {
  await mongoose.connection.db?.dropDatabase().catch(() => undefined);
  await disconnectDatabase();
}

/** The next 1st of a month at 19:00 in Shanghai (when the notes of `period` go out), from real time. */
export function nextDelivery(): { at: string; atMs: number; period: string } {
  const [y, m] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' })
    .format(new Date()).split('-').map(Number);
  const [ny, nm] = m === 12 ? [y + 1, 1] : [y, m + 1];
  const at = `${ny}-${String(nm).padStart(2, '0')}-01T19:00:00+08:00`;
  return { at, atMs: Date.parse(at), period: `${y}-${String(m).padStart(2, '0')}` };
}

export function isoPlus(iso: string, ms: number): string {
  return new Date(Date.parse(iso) + ms).toISOString();
}

export async function seedFanout(children: number, period: string, opts: { parentUserIds?: boolean } = {}): Promise<County> {
  return seedCounty({ orgId: 'default', children, notePeriod: period, schools: 2, parentUserIds: opts.parentUserIds });
}

/** The 家校通讯录 of a seeded county (every family member as a parent of their child), for FakeSchool. */
export function directoryOf(county: County): FakeStudent[] {
  const byChild = new Map<string, FakeStudent>();
  for (const f of county.family) {
    if (!f.parentUserId) throw new Error('directoryOf: seed the county with parentUserIds');
    let s = byChild.get(f.childId);
    if (!s) {
      s = { student_userid: `s_${f.childId}`, name: f.childId, department: [], parents: [] };
      byChild.set(f.childId, s);
    }
    s.parents.push({ parent_userid: f.parentUserId, relation: f.role, mobile: '', is_subscribe: 1 });
  }
  return [...byChild.values()];
}

export interface NoteDoc { key: string; to: string; text: string; status: string; attempts: number; _id: unknown; claimedBy?: string }

/**
 * The note items, oldest first: those still queued and those delivery moved to the archive (a crash between the
 * archive's copy and delete leaves both: one is kept). `new` items (an enqueue that has not finished) are left out.
 */
export async function noteOutbox(): Promise<NoteDoc[]> {
  const fields = { key: 1, to: 1, text: 1, status: 1, attempts: 1, claimedBy: 1 };
  const [hot, archived] = await Promise.all([
    Outbox.find({ kind: 'note', status: { $ne: 'new' } }, fields).lean<NoteDoc[]>(),
    OutboxArchive.find({ kind: 'note' }, fields).lean<NoteDoc[]>(),
  ]);
  const byId = new Map<string, NoteDoc>();
  for (const d of [...archived, ...hot]) byId.set(String(d._id), d);
  return [...byId.values()].sort((a, b) => String(a._id).localeCompare(String(b._id)));
}

/** Whether the fan-out is over: at least `expected` note items, all sent, none still queued (`new` included). */
export async function fanoutDone(expected: number): Promise<boolean> {
  const docs = await noteOutbox();
  return docs.length >= expected && docs.every((d) => d.status === 'sent')
    && !(await Outbox.exists({ kind: 'note', status: { $in: ['new', 'pending', 'sending'] } }));
}

export async function deliveredNotes(): Promise<number> {
  return SimMessage.countDocuments({ outboxKey: /^note:/ });
}

/** "queued: note/pending 12 …; archived: note/sent 280 …; errors: …" for failure messages. */
export async function outboxSummary(): Promise<string> {
  const fields = { status: 1, kind: 1, lastError: 1 };
  const [hot, archived] = await Promise.all([Outbox.find({}, fields).lean(), OutboxArchive.find({}, fields).lean()]);
  const count = (docs: Array<{ kind?: string | null; status?: string | null }>) => {
    const by = new Map<string, number>();
    for (const d of docs) by.set(`${d.kind}/${d.status}`, (by.get(`${d.kind}/${d.status}`) ?? 0) + 1);
    return [...by].map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  };
  const errors = [...new Set([...hot, ...archived].map((d) => d.lastError).filter(Boolean))].slice(0, 3);
  return `queued: ${count(hot)}; archived: ${count(archived)}${errors.length ? `; errors: ${errors.join(' | ')}` : ''}`;
}

/**
 * Every family address of the county has its note, each outbox item (a guardian's voice note may be parts `key:0`,
 * `key:1` …) is sent, and each went to the simulator exactly once. Returns the problems found (empty = fine).
 */
export async function checkSimulatorDelivery(county: County): Promise<string[]> {
  const problems: string[] = [];
  const docs = await noteOutbox();
  const sims = await SimMessage.find({ outboxKey: /^note:/ }, { outboxKey: 1, to: 1 }).lean();
  problems.push(...checkItems(county, docs));
  const perKey = new Map<string, number>();
  for (const s of sims) perKey.set(s.outboxKey, (perKey.get(s.outboxKey) ?? 0) + 1);
  for (const d of docs) {
    const n = perKey.get(d.key) ?? 0;
    if (n !== 1) problems.push(`${d.key} to ${d.to}: delivered ${n} times`);
  }
  for (const k of perKey.keys()) if (!docs.some((d) => d.key === k)) problems.push(`${k}: delivered but not in the outbox`);
  return problems;
}

/** The outbox side: each address has exactly one note (one key, its parts 0..n-1 once each), all sent. */
function checkItems(county: County, docs: NoteDoc[]): string[] {
  const problems: string[] = [];
  const byTo = new Map<string, NoteDoc[]>();
  for (const d of docs) byTo.set(d.to, [...(byTo.get(d.to) ?? []), d]);
  for (const address of county.addresses) {
    const mine = byTo.get(address) ?? [];
    if (!mine.length) {
      problems.push(`${address}: no note in the outbox`);
      continue;
    }
    // note:PERIOD:CHILD:MEMBER, and :PART when a voice note was cut into parts.
    const bases = new Set(mine.map((d) => d.key.split(':').slice(0, 4).join(':')));
    if (bases.size !== 1) problems.push(`${address}: ${bases.size} different notes (${[...bases].join(', ')})`);
    if (mine.length > 1) {
      const parts = mine.map((d) => Number(d.key.split(':')[4] ?? NaN)).sort((a, b) => a - b);
      if (parts.some((p, i) => p !== i)) problems.push(`${address}: parts ${parts.join(',')}`);
    }
    for (const d of mine) if (d.status !== 'sent') problems.push(`${d.key}: ${d.status} after ${d.attempts} attempts`);
  }
  const known = new Set(county.addresses);
  for (const d of docs) if (!known.has(d.to)) problems.push(`${d.key}: to an address outside the county (${d.to})`);
  return problems;
}

export interface WeComCount {
  /** Outbox items the fake's 学校通知 delivered more or less than once. */
  problems: string[];
  /** Items whose request reached the fake more than once (WeCom's duplicate check kept the family from a second copy). */
  resent: string[];
}

/** What the fake 学校通知 took for the county's notes: each outbox item delivered once to its parent_userid. */
export function checkSchoolDelivery(county: County, docs: NoteDoc[], fake: FakeWeCom, school: FakeSchool): WeComCount {
  const problems = checkItems(county, docs);
  const resent: string[] = [];
  const idOf = new Map(county.family.map((f) => [f.address, f.parentUserId!]));
  const sig = (parent: string, text: string) => `${parent}\u0000${text}`;
  const notices = new Map<string, number>();
  for (const n of school.notices) for (const p of n.to_parent_userid) notices.set(sig(p, n.body?.text?.content ?? ''), (notices.get(sig(p, n.body?.text?.content ?? '')) ?? 0) + 1);
  const calls = new Map<string, number>();
  for (const c of fake.succeeded('externalcontact/message/send')) {
    for (const p of c.body?.to_parent_userid ?? []) calls.set(sig(p, c.body?.text?.content ?? ''), (calls.get(sig(p, c.body?.text?.content ?? '')) ?? 0) + 1);
  }
  for (const d of docs) {
    const s = sig(idOf.get(d.to) ?? '?', d.text);
    const n = notices.get(s) ?? 0;
    if (n !== 1) problems.push(`${d.key} to ${d.to}: 学校通知 delivered ${n} times`);
    if ((calls.get(s) ?? 0) > 1) resent.push(`${d.key} (${calls.get(s)} requests)`);
  }
  const expected = new Set(docs.map((d) => sig(idOf.get(d.to) ?? '?', d.text)));
  for (const [s, n] of notices) if (!expected.has(s)) problems.push(`a notice nobody enqueued (${n}×): ${s.replace('\u0000', ' ← ').slice(0, 80)}`);
  return { problems, resent };
}
