/**
 * Counts the writes made through mongoose to a model in this process, so that a cache of its documents can tell
 * it is stale (domain/rosterSnapshot.ts). Registered on a schema before its model is compiled.
 */
import type { Schema } from 'mongoose';

const counts = new Map<string, number>();

const QUERY_WRITES = [
  'updateOne', 'updateMany', 'findOneAndUpdate', 'findOneAndReplace', 'replaceOne', 'deleteOne', 'deleteMany', 'findOneAndDelete',
] as const;

export function countWrites(schema: Schema, name: string): void {
  const bump = (): void => wrote(name);
  schema.post('save', bump);
  schema.post('insertMany', bump);
  schema.post([...QUERY_WRITES], { query: true, document: false }, bump);
  schema.post('deleteOne', { document: true, query: false }, bump);
}

/** Counts a write that bypasses mongoose's middleware (a raw driver insert of many documents). */
export function wrote(name: string): void {
  counts.set(name, (counts.get(name) ?? 0) + 1);
}

/** How many writes these models have had in this process so far. */
export function writeCount(names: readonly string[]): number {
  return names.reduce((sum, name) => sum + (counts.get(name) ?? 0), 0);
}
