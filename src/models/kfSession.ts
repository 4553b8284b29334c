import { Schema, model } from 'mongoose';
import { findByValues } from './manyValues';
import { ScopeCopy } from './scopeCopy';

/**
 * 微信客服 sessions: a customer (external_userid) may be sent at most 5 messages within 48 hours after their
 * last message, and the count starts again when they write (D96427). `KfSession.lastInboundAt` is the start of
 * the current window and `windowId` names it (the msgid of that last message: two messages in one second are
 * still two windows).
 *
 * The quota is counted in `KfQuotaSlot`: each message part sent in a window claims one of the slots 1..5 by a
 * unique insert of `orgId|openKfId|externalUserId|windowId|slot` — on FerretDB only an insert is atomic
 * between racing workers (see claim.ts), so two workers cannot both take the fifth slot. A slot remembers which
 * outbox message part holds it, so that a retry reuses its slot (and skips a part already sent).
 */
const kfSessionSchema = new Schema({
  orgId: { type: String, required: true },
  openKfId: { type: String, required: true },
  externalUserId: { type: String, required: true },
  lastInboundAt: { type: Date, required: true },
  windowId: { type: String, required: true },
});
kfSessionSchema.index({ orgId: 1, openKfId: 1, externalUserId: 1 }, { unique: true });

export const KfSession = model('KfSession', kfSessionSchema);

const kfQuotaSlotSchema = new Schema({
  _id: { type: String, required: true },
  orgId: { type: String, required: true },
  openKfId: { type: String, required: true },
  externalUserId: { type: String, required: true },
  windowId: { type: String, required: true },
  slot: { type: Number, required: true },
  /** `OUTBOXKEY#PART`, or `wecom:95001` for slots filled because WeCom said the quota was used up. */
  partKey: { type: String, required: true },
  sent: { type: Boolean, default: false },
  at: { type: Date, required: true },
});
kfQuotaSlotSchema.index({ orgId: 1, openKfId: 1, externalUserId: 1, windowId: 1 });
kfQuotaSlotSchema.index({ orgId: 1, partKey: 1 });

export const KfQuotaSlot = model('KfQuotaSlot', kfQuotaSlotSchema);

export const KF_WINDOW_MS = 48 * 3600_000;
export const KF_QUOTA = 5;

/**
 * The customer's message `msgid` was sent at `at`: a new window starts there, unless a later message already
 * started one (a page pulled again must not move the window back). The pull loop is the only writer and runs one
 * page at a time per process; a second instance pulling the same page writes the same values. An upsert whose
 * filter misses because the stored window is later fails on the unique index: that is the "nothing to do".
 */
export async function noteKfInbound(orgId: string, openKfId: string, externalUserId: string, at: Date, msgid: string): Promise<void> {
  await KfSession.updateOne(
    { orgId, openKfId, externalUserId, lastInboundAt: { $lte: at } },
    { $set: { lastInboundAt: at, windowId: msgid } },
    { upsert: true },
  ).catch((err: { code?: number }) => {
    if (err.code !== 11000) throw err;
  });
  sessionCopies.wrote(`${orgId}|${openKfId}`, { externalUserId, lastInboundAt: at, windowId: msgid });
}

export interface KfSessionRow { externalUserId: string; lastInboundAt: Date; windowId: string }

/** A fan-out's pages read the account's sessions whole, once a minute (models/scopeCopy.ts). */
const sessionCopies = new ScopeCopy<KfSessionRow>({
  from: 100,
  keepMs: 60_000,
  key: (r) => r.externalUserId,
  same: () => true,
  readAll: (scope) => {
    const [orgId, openKfId] = scope.split('|');
    return KfSession.find({ orgId, openKfId }, { _id: 0, externalUserId: 1, lastInboundAt: 1, windowId: 1 }).lean<KfSessionRow[]>();
  },
});

/** The sessions of these customers of one 微信客服 account (none for one who never wrote). */
export function kfSessionsOf(orgId: string, openKfId: string, externalUserIds: readonly string[]): Promise<KfSessionRow[]> {
  return sessionCopies.find(`${orgId}|${openKfId}`, externalUserIds, (some) => findByValues(KfSession, some, (externalUserId) =>
    KfSession.find({ orgId, openKfId, externalUserId }, { _id: 0, externalUserId: 1, lastInboundAt: 1, windowId: 1 }).lean<KfSessionRow[]>()));
}

function slotId(orgId: string, openKfId: string, externalUserId: string, windowId: string, slot: number): string {
  return `${orgId}|${openKfId}|${externalUserId}|${windowId}|${slot}`;
}

/** Claims a free slot 1..5 in this window for `partKey`; undefined when all five are taken. */
export async function claimKfSlot(orgId: string, openKfId: string, externalUserId: string, windowId: string, partKey: string, at: Date): Promise<string | undefined> {
  const taken = new Set((await KfQuotaSlot.find({ orgId, openKfId, externalUserId, windowId }, { slot: 1 }).lean()).map((s) => s.slot));
  for (let slot = 1; slot <= KF_QUOTA; slot++) {
    if (taken.has(slot)) continue;
    const _id = slotId(orgId, openKfId, externalUserId, windowId, slot);
    try {
      await KfQuotaSlot.create({ _id, orgId, openKfId, externalUserId, windowId, slot, partKey, at });
      return _id;
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err; // another worker took this slot: try the next
    }
  }
  return undefined;
}
