/**
 * Loaded into the bot's own process by the bench (`node --import tsx --import ./bench/botPreload.ts src/index.ts`):
 * counts the database operations mongoose issues (mongoose.set('debug', fn)), by collection and method, and
 * answers the bench over the IPC channel. Changes nothing in the bot's behaviour.
 *
 *   bench → bot  { type: 'ops-reset' }        start counting afresh
 *   bench → bot  { type: 'ops-get', id }      → { type: 'ops', id, counts: { 'outboxes.find': 12, … } }
 *   bench → bot  { type: 'mem-get', id }      → { type: 'mem', id, counts: { heapUsed: …, … } }: the peaks of
 *                                               process.memoryUsage() (bytes), sampled every 2 s since the start
 */
import mongoose from 'mongoose';

let counts: Record<string, number> = {};

mongoose.set('debug', (collection: string, method: string) => {
  const key = `${collection}.${method}`;
  counts[key] = (counts[key] ?? 0) + 1;
});

/** Where the resident memory is: V8's heap (used, reserved), and memory outside it (Buffers: BSON, sockets). */
const peaks: Record<string, number> = {};
const sampleMemory = () => {
  const m = process.memoryUsage();
  for (const k of ['rss', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers'] as const) peaks[k] = Math.max(peaks[k] ?? 0, m[k]);
};
setInterval(sampleMemory, 2_000).unref();

if (process.send) {
  process.on('message', (m: { type?: string; id?: number }) => {
    if (m?.type === 'ops-reset') counts = {};
    else if (m?.type === 'ops-get') process.send!({ type: 'ops', id: m.id, counts });
    else if (m?.type === 'mem-get') {
      sampleMemory();
      process.send!({ type: 'mem', id: m.id, counts: peaks });
    }
  });
  // The IPC channel alone must not keep the bot running once it wants to exit.
  (process as unknown as { channel?: { unref(): void } }).channel?.unref();
}
