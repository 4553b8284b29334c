/**
 * models/manyValues.ts: "field is one of these values" gives the same documents whichever way it is asked — one
 * `$in`, or on FerretDB one indexed equality per value when the collection is much larger than the list.
 */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import '../src/models';
import { connectDatabase, disconnectDatabase, onFerretDb } from '../src/models/connect';
import { findByValues } from '../src/models/manyValues';
import { withDatabase } from '../src/models/mongoServer';
import { Identity } from '../src/models/identity';

beforeAll(async () => {
  await connectDatabase(withDatabase(process.env.MONGODB_URI!, `t_manyvalues_${crypto.randomBytes(3).toString('hex')}`));
  await Identity.insertMany(Array.from({ length: 1000 }, (_, i) => ({ orgId: 'default', address: `a${i}`, kind: i % 2 ? 'family' : 'staff', verifiedAt: new Date(), verifiedVia: 'code' })));
});
afterAll(async () => {
  await mongoose.connection.db?.dropDatabase();
  await disconnectDatabase();
});

async function finds(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  mongoose.set('debug', (collection: string, method: string, query: unknown) => { if (method === 'find') seen.push(JSON.stringify(query)); });
  try {
    await fn();
  } finally {
    mongoose.set('debug', false);
  }
  return seen;
}

const ask = (values: string[]) => findByValues(Identity, values, (address) => Identity.find({ orgId: 'default', address }, { address: 1 }).lean());
const addresses = (docs: Array<{ address: string }>) => docs.map((d) => d.address).sort();

it('knows the server: FerretDB says so in buildInfo', async () => {
  const info = await mongoose.connection.db!.admin().command({ buildInfo: 1 });
  expect(onFerretDb()).toBe('ferretdbVersion' in info);
});

it('one value: a plain equality', async () => {
  let docs: Array<{ address: string }> = [];
  const q = await finds(async () => { docs = await ask(['a7', 'a7']); });
  expect(addresses(docs)).toEqual(['a7']);
  expect(q).toEqual([JSON.stringify({ orgId: 'default', address: 'a7' })]);
});

it('a few values in a large collection: one equality each on FerretDB, one $in elsewhere; the same documents', async () => {
  const wanted = ['a1', 'a2', 'a3', 'a999', 'missing'];
  let docs: Array<{ address: string }> = [];
  const q = await finds(async () => { docs = await ask(wanted); });
  expect(addresses(docs)).toEqual(['a1', 'a2', 'a3', 'a999']);
  expect(q).toHaveLength(onFerretDb() ? wanted.length : 1);
  if (onFerretDb()) expect(q.every((f) => !f.includes('$in'))).toBe(true);
});

it('many values for the collection\'s size: one $in', async () => {
  const wanted = Array.from({ length: 200 }, (_, i) => `a${i * 3}`);
  let docs: Array<{ address: string }> = [];
  const q = await finds(async () => { docs = await ask(wanted); });
  expect(addresses(docs)).toEqual([...wanted].sort());
  expect(q).toHaveLength(1);
  expect(q[0]).toContain('$in');
});
