/**
 * Reading messages that may have left the hot outbox for the archive (bot/outboxArchive.ts): the hot queue first,
 * the archive only for what was not found there. Off the hot path: the ladder, quotes, "did the note reach me".
 */
import type { FilterQuery } from 'mongoose';
import { Outbox, OutboxArchive } from '../models/outbox';
import { findByValues } from '../models/manyValues';

export interface SentMessage {
  _id: unknown;
  key: string;
  to: string;
  room?: string | null;
  text: string;
  status: string;
  attempts: number;
  sentAt?: Date | null;
  platformMsgId?: string | null;
}

type Filter = FilterQuery<SentMessage>;

/** Messages with these keys, wherever they are now. */
export async function messagesByKeys(orgId: string, keys: string[]): Promise<SentMessage[]> {
  if (!keys.length) return [];
  const hot = (await findByValues(Outbox, keys, (key) => Outbox.find({ orgId, key }).lean())) as SentMessage[];
  const found = new Set(hot.map((m) => m.key));
  const rest = keys.filter((k) => !found.has(k));
  const cold = (await findByValues(OutboxArchive, rest, (key) => OutboxArchive.find({ orgId, key }).lean())) as SentMessage[];
  return [...hot, ...cold];
}

/** The first message matching `filter` in the hot outbox, else in the archive. */
export async function findMessage(filter: Filter): Promise<SentMessage | null> {
  return ((await Outbox.findOne(filter as FilterQuery<unknown>).lean()) as SentMessage | null)
    ?? ((await OutboxArchive.findOne(filter as FilterQuery<unknown>).lean()) as SentMessage | null);
}

/** All messages matching `filter`, hot and archived (for the rare queries that need every piece). */
export async function findMessages(filter: Filter): Promise<SentMessage[]> {
  const hot = (await Outbox.find(filter as FilterQuery<unknown>).lean()) as SentMessage[];
  const ids = new Set(hot.map((m) => String(m._id)));
  const cold = ((await OutboxArchive.find(filter as FilterQuery<unknown>).lean()) as SentMessage[]).filter((m) => !ids.has(String(m._id)));
  return [...hot, ...cold];
}

/** The latest `limit` sent posts to a room through `route`, newest first. */
export async function recentRoomPosts(orgId: string, room: string, route: string, limit: number): Promise<SentMessage[]> {
  const hot = (await Outbox.find({ orgId, room, route, status: 'sent' }).sort({ sentAt: -1 }).limit(limit).lean()) as SentMessage[];
  if (hot.length >= limit) return hot;
  const cold = (await OutboxArchive.find({ orgId, room, route, status: 'sent' }).sort({ sentAt: -1 }).limit(limit - hot.length).lean()) as SentMessage[];
  return [...hot, ...cold];
}
