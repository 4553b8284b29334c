/** Writing to the outbox: the only way anything leaves the bot. Same key twice = one message. */
import { Outbox, OutboxDoc } from '../models/outbox';
import type { Style } from '../locales';

export interface OutboxItem {
  orgId: string;
  key: string;
  to: string;
  room?: string;
  text: string;
  style: Style;
  kind: string;
  /** Adapter to use; `auto` lets delivery pick the route for the recipient. */
  channel?: string;
  inReplyTo?: string;
  urgent?: boolean;
  dueAt: Date;
  voiceMediaId?: string;
  mentions?: string[];
}

/** Inserts the item unless its key is already there; returns whether it was new. */
export async function enqueue(item: OutboxItem): Promise<boolean> {
  const res = await Outbox.updateOne(
    { orgId: item.orgId, key: item.key },
    { $setOnInsert: { ...item, channel: item.channel ?? 'auto', status: 'pending', attempts: 0 } },
    { upsert: true },
  ).catch((err: { code?: number }) => {
    // Two writers raced on the same key: the other one won, which is the point.
    if (err.code === 11000) return { upsertedCount: 0 };
    throw err;
  });
  return res.upsertedCount === 1;
}

export async function findByKey(orgId: string, key: string): Promise<OutboxDoc | null> {
  return Outbox.findOne({ orgId, key });
}
