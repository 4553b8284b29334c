/**
 * Teacher cadences (五个一), the data behind them: who is paired with whom at a moment, their contacts, and each
 * cadence's status; and the open items in words. Used by the Monday digest, the teachers' "我的待办" and the
 * admin API.
 */
import { Types } from 'mongoose';
import type { T } from '../locales';
import { rosterChildren } from './rosterSnapshot';
import { ContactEvent } from '../models/contactEvent';
import { Pairing } from '../models/pairing';
import { CADENCE_KINDS, CadenceKind, KindStatus, childStatuses, lookbackStart } from './cadences';
import type { ScheduleSettings } from './settings';

export type CadenceSettings = ScheduleSettings['cadences'];

export interface ChildCadence {
  childId: string;
  childName: string;
  classroomId: string;
  schoolId: string;
  teacherId: string;
  pairedFrom: Date;
  statuses: KindStatus[];
}

/**
 * Every active child with a pairing in effect at `at` (optionally one teacher's or one child's), with the
 * status of each cadence at `at`. Plain range/equality queries only (FerretDB); the joins are done here.
 */
export async function cadenceBoard(orgId: string, at: Date, tz: string, cadences: CadenceSettings,
  only: { teacherId?: unknown; childId?: unknown; childIds?: unknown[] } = {}): Promise<ChildCadence[]> {
  const filter: Record<string, unknown> = { orgId, from: { $lte: at } };
  if (only.teacherId) filter.teacherId = only.teacherId;
  if (only.childId) filter.childId = only.childId;
  else if (only.childIds) filter.childId = { $in: only.childIds };
  const byChild = pairingsAt(await Pairing.find(filter).lean(), at);
  if (!byChild.size) return [];
  // From the roster snapshot: with a county's 20,000 ids in `$in`, FerretDB compared every child with every id.
  const children = (await rosterChildren(orgId)).children.filter((c) => byChild.has(c.id))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((c) => ({ _id: new Types.ObjectId(c.id), name: c.name, classroomId: c.classroomId, schoolId: c.schoolId }));
  if (!children.length) return [];
  // The whole org's board reads the look-back's contacts without naming its children (boardOf keeps only theirs):
  // a county's 20,000 ids in `$in` is the same every-document comparison on FerretDB.
  const whole = !only.teacherId && !only.childId && !only.childIds;
  const events = await ContactEvent.find({
    orgId, ...(whole ? {} : { childId: { $in: children.map((c) => c._id) } }), kind: { $in: [...CADENCE_KINDS] },
    at: { $gte: lookbackStart(at, tz, cadences), $lte: at },
  }, { childId: 1, kind: 1, at: 1 }).lean();
  return boardOf(at, tz, cadences, children, byChild, events);
}

interface PairingLike { childId: unknown; teacherId: unknown; from: Date; until?: Date | null }

/** The pairing of each child in effect at `at`, by child id: the latest that began (a re-pairing ends the old one, but be safe). */
function pairingsAt<P extends PairingLike>(pairings: P[], at: Date): Map<string, P> {
  const byChild = new Map<string, P>();
  for (const p of pairings) {
    if (p.from > at || (p.until && p.until <= at)) continue;
    const prev = byChild.get(String(p.childId));
    if (!prev || prev.from < p.from) byChild.set(String(p.childId), p);
  }
  return byChild;
}

/**
 * The board from records already read: the children (active ones; in the order given) that have a pairing in `paired`, with their cadence statuses at
 * `at` from `events` (other kinds and contacts after `at` are ignored).
 */
function boardOf(at: Date, tz: string, cadences: CadenceSettings,
  children: Array<{ _id: unknown; name: string; classroomId: unknown; schoolId: unknown; status?: string | null }>,
  paired: Map<string, PairingLike>, events: Array<{ childId: unknown; kind: string; at: Date }>): ChildCadence[] {
  const kinds: ReadonlySet<string> = new Set(CADENCE_KINDS);
  const contacts = new Map<string, Partial<Record<CadenceKind, Date[]>>>();
  for (const e of events) {
    if (!kinds.has(e.kind) || e.at > at) continue;
    const m = contacts.get(String(e.childId)) ?? {};
    (m[e.kind as CadenceKind] ??= []).push(e.at);
    contacts.set(String(e.childId), m);
  }
  return children.flatMap((c) => {
    const p = paired.get(String(c._id));
    if (!p || (c.status && c.status !== 'active')) return [];
    return [{
      childId: String(c._id), childName: c.name, classroomId: String(c.classroomId), schoolId: String(c.schoolId),
      teacherId: String(p.teacherId), pairedFrom: p.from,
      statuses: childStatuses(at, tz, cadences, p.from, contacts.get(String(c._id)) ?? {}),
    }];
  });
}

/** "谈心（本周）、家访（已逾期）": a child's open items in the recipient's words; only the kind names when `onlyOverdue`. */
export function openItems(t: T, statuses: KindStatus[], onlyOverdue = false): string[] {
  return statuses
    .filter((s) => (onlyOverdue ? s.status === 'overdue' : s.status !== 'done'))
    .map((s) => {
      const kind = t(`cadences.kind.${s.kind}`);
      if (onlyOverdue) return kind;
      return t(s.status === 'overdue' ? 'cadences.overdueItem' : 'cadences.dueItem', { kind, cycle: t(`cadences.cycle.${s.cycle}`) });
    });
}
