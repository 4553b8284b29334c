/**
 * Conversations in progress: one open dialog per address (a kind, its data and an expiry), stored in
 * ConversationState so any instance can take the next message. An expired dialog counts as none.
 */
import { ConversationState } from '../models/conversationState';

export interface OpenDialog { kind: string; data: Record<string, unknown>; expiresAt: Date }

/** The address's dialog still open at `now`, if any. */
export async function openDialogOf(orgId: string, address: string, now: Date): Promise<OpenDialog | undefined> {
  const state = await ConversationState.findOne({ orgId, address, expiresAt: { $gt: now } }).lean();
  if (!state) return undefined;
  return { kind: state.kind, data: (state.data ?? {}) as Record<string, unknown>, expiresAt: state.expiresAt };
}

/** Opens (or replaces) the address's dialog until `expiresAt`. */
export async function saveDialog(orgId: string, address: string, kind: string, data: Record<string, unknown>, expiresAt: Date): Promise<void> {
  await ConversationState.updateOne({ orgId, address }, { $set: { kind, data, expiresAt } }, { upsert: true });
}

/** Changes the open dialog's data and keeps its kind and expiry (the rest of a step belongs to the same time). */
export async function updateDialogData(orgId: string, address: string, data: Record<string, unknown>): Promise<void> {
  await ConversationState.updateOne({ orgId, address }, { $set: { data } });
}

export async function endDialog(orgId: string, address: string): Promise<void> {
  await ConversationState.deleteOne({ orgId, address });
}
