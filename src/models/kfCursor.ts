import { Schema, model } from 'mongoose';

/**
 * The 微信客服 kf/sync_msg cursor per kf account: where the next pull starts. Written after each page is handed
 * to the bot, so a restart or a repeated callback continues there (a page pulled twice is harmless: messages are
 * de-duplicated on their msgid). Upsert on a unique index: safe with two writers (the later cursor may lose,
 * which only means re-reading a page).
 */
const kfCursorSchema = new Schema({
  orgId: { type: String, required: true },
  openKfId: { type: String, required: true },
  cursor: { type: String, required: true },
  updatedAt: { type: Date, required: true },
});
kfCursorSchema.index({ orgId: 1, openKfId: 1 }, { unique: true });

export const KfCursor = model('KfCursor', kfCursorSchema);

export async function loadKfCursor(orgId: string, openKfId: string): Promise<string | undefined> {
  return (await KfCursor.findOne({ orgId, openKfId }).lean())?.cursor ?? undefined;
}

export async function saveKfCursor(orgId: string, openKfId: string, cursor: string, at: Date): Promise<void> {
  await KfCursor.updateOne({ orgId, openKfId }, { $set: { cursor, updatedAt: at } }, { upsert: true }).catch((err: { code?: number }) => {
    if (err.code !== 11000) throw err; // two syncs at once: the other wrote it
  });
}
