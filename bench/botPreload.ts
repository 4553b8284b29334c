/**
 * Loaded into the bot's own process by the bench (`node --import tsx --import ./bench/botPreload.ts src/index.ts`):
 * counts the database operations mongoose issues (mongoose.set('debug', fn)), by collection and method, and
 * answers the bench over the IPC channel. Changes nothing in the bot's behaviour.
 *
 *   bench → bot  { type: 'ops-reset' }        start counting afresh
 *   bench → bot  { type: 'ops-get', id }      → { type: 'ops', id, counts: { 'outboxes.find': 12, … } }
 */
import mongoose from 'mongoose';

let counts: Record<string, number> = {};

mongoose.set('debug', (collection: string, method: string) => {
  const key = `${collection}.${method}`;
  counts[key] = (counts[key] ?? 0) + 1;
});

if (process.send) {
  process.on('message', (m: { type?: string; id?: number }) => {
    if (m?.type === 'ops-reset') counts = {};
    else if (m?.type === 'ops-get') process.send!({ type: 'ops', id: m.id, counts });
  });
  // The IPC channel alone must not keep the bot running once it wants to exit.
  (process as unknown as { channel?: { unref(): void } }).channel?.unref();
}
