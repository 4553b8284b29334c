/** Writing to the outbox: the only way anything leaves the bot. Same key twice = one message. */
import { Outbox } from '../models/outbox';
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

/**
 * Inserts the item unless its key is already there; returns whether it was new.
 * A plain insert, never an upsert: on FerretDB an upsert that matches rewrites the whole existing document from
 * the copy it read, so re-enqueueing a key while delivery marked it sent could put it back to pending (measured:
 * 39 of 40 races lost the "sent" status). An insert either adds the document or fails on the unique key.
 */
export async function enqueue(item: OutboxItem): Promise<boolean> {
  try {
    await Outbox.create({ ...item, channel: item.channel ?? 'auto', status: 'pending', attempts: 0 });
    return true;
  } catch (err) {
    // The key is already there (perhaps a racing writer's): that is the point of the key.
    if ((err as { code?: number }).code === 11000) return false;
    throw err;
  }
}
