/** The contacts teachers log (五个一): one event per contact, with whom it was by its kind. */
import { ContactEvent } from '../models/contactEvent';
import type { CadenceKind } from './cadences';

/** Who a contact of each kind was with, for the record. */
const WITH: Record<CadenceKind, string> = { talk: 'child', home_visit: 'family', teacher_call: 'parents', consolation: 'family', meeting: 'parents' };

export interface LoggedContact {
  /** Idempotency: one event per key (e.g. the inbound message), however often it is logged. */
  key: string;
  childId: unknown;
  staffId: unknown;
  kind: CadenceKind;
  at: Date;
  note?: string;
}

export async function logContact(orgId: string, c: LoggedContact): Promise<void> {
  await ContactEvent.updateOne(
    { orgId, key: c.key },
    { $setOnInsert: { orgId, key: c.key, childId: c.childId, kind: c.kind, staffId: c.staffId, withWhom: WITH[c.kind], at: c.at, ...(c.note ? { note: c.note } : {}) } },
    { upsert: true },
  );
}
