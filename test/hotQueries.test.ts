/** Every hot query listed in src/models/hotQueries.ts has its index declared on the model's schema. */
import mongoose from 'mongoose';
import '../src/models';
import { HOT_QUERIES } from '../src/models/hotQueries';

describe('hot queries', () => {
  it.each(HOT_QUERIES.map((q) => [q.path, q] as const))('%s is served by a declared index', (_path, q) => {
    const model = mongoose.model(q.model);
    const declared = model.schema.indexes().map(([fields]) => JSON.stringify(fields));
    expect(declared).toContain(JSON.stringify(q.index));
  });
});
