import mongoose from 'mongoose';

/** Database operations mongoose issues while `fn` runs, by `collection.method`. */
export async function countOps(fn: () => Promise<unknown>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  mongoose.set('debug', (collection: string, method: string) => { counts[`${collection}.${method}`] = (counts[`${collection}.${method}`] ?? 0) + 1; });
  try {
    await fn();
  } finally {
    mongoose.set('debug', false);
  }
  return counts;
}
