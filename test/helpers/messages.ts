/**
 * What the bot wrote to the outbox, wherever it is now: still queued (`outboxes`) or sent and moved to the
 * archive (`outboxarchives`, see src/bot/outboxArchive.ts). Tests look at messages this way, not at one collection.
 */
import type { FilterQuery } from 'mongoose';
import { Outbox, OutboxArchive } from '../../src/models/outbox';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Row = Record<string, any>;
type Filter = FilterQuery<Row>;

export async function messages(filter: Filter): Promise<Row[]> {
  const [hot, cold] = await Promise.all([Outbox.find(filter).lean(), OutboxArchive.find(filter).lean()]);
  const seen = new Set(hot.map((d) => String(d._id)));
  return [...hot, ...cold.filter((d) => !seen.has(String(d._id)))].sort((a, b) => String(a._id).localeCompare(String(b._id)));
}

export async function message(filter: Filter): Promise<Row | null> {
  return (await messages(filter))[0] ?? null;
}

/** The newest matching message. */
export async function latestMessage(filter: Filter): Promise<Row | null> {
  return (await messages(filter)).at(-1) ?? null;
}

export async function countMessages(filter: Filter): Promise<number> {
  return (await messages(filter)).length;
}
