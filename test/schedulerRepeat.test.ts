/**
 * The jobs derive their notices afresh at every minute's tick; one that already went out must cost a lookup of
 * its key, not the recipient's records, a rendering and writes the key then refuses. At county size (thousands
 * of teachers) that waste kept FerretDB busy all day.
 */
import mongoose from 'mongoose';
import { Child } from '../src/models/child';
import { Outbox, OutboxArchive } from '../src/models/outbox';
import { seedCounty } from './helpers/county';
import { startTestApp, TestApp } from './helpers/testApp';

let t: TestApp;
afterAll(async () => { await t?.stop(); });

it('a reminder already sent costs one lookup per teacher at the next tick', async () => {
  t = await startTestApp();
  // 90 children, no notes written: on the 25th at 16:30 each pairing teacher is reminded of three children.
  const county = await seedCounty({ orgId: 'default', children: 90 });
  await t.setClock('2026-11-25T16:31:00+08:00');
  const reminders = await Outbox.countDocuments({ kind: 'noteReminder' }) + await OutboxArchive.countDocuments({ kind: 'noteReminder' });
  expect(reminders).toBe(county.teachers.length);

  const ops: string[] = [];
  mongoose.set('debug', (collection: string, method: string) => { ops.push(`${collection}.${method}`); });
  try {
    await t.setClock('2026-11-25T16:32:00+08:00');
  } finally {
    mongoose.set('debug', false);
  }
  expect(await Outbox.countDocuments({ kind: 'noteReminder' }) + await OutboxArchive.countDocuments({ kind: 'noteReminder' })).toBe(reminders);
  // Nothing new is written, and the reminders cost about one key lookup per teacher (the jobs' own reads aside).
  expect(ops.filter((o) => /^outbox(es|keys)\.(insert|update|delete)/.test(o))).toEqual([]);
  expect(ops.filter((o) => o.startsWith('identities.')).length).toBeLessThan(county.teachers.length / 2);
}, 240_000);

it('the jobs read the roster once, not at every tick, and a change to it counts at the next tick', async () => {
  // A fresh database: the first test's app is stopped.
  await t?.stop();
  t = await startTestApp();
  const county = await seedCounty({ orgId: 'default', children: 30, prefix: 'r' });
  // Thursday 2026-11-26, 10:00: nothing due for anyone.
  await t.setClock('2026-11-26T10:00:00+08:00');

  const ops: string[] = [];
  mongoose.set('debug', (collection: string, method: string) => { ops.push(`${collection}.${method}`); });
  try {
    await t.setClock('2026-11-26T10:01:00+08:00');
    await t.setClock('2026-11-26T10:02:00+08:00');
  } finally {
    mongoose.set('debug', false);
  }
  // At county size (20,000 children, 60,000 members) each such read is seconds of FerretDB's time, every minute.
  expect(ops.filter((o) => /^(children|familymembers|schools)\.find$/.test(o))).toEqual([]);

  // One child gets a weekly call slot (Thursday 19:00): its parents are reminded two hours before, from this
  // process's next tick on — the snapshot hears of the write.
  await Child.updateOne({ _id: county.childIds[0] }, { $set: { familyCall: { weekday: 4, time: '19:00' } } });
  await t.setClock('2026-11-26T17:01:00+08:00');
  const reminded = [...await Outbox.find({ kind: 'call.remind' }, { to: 1 }).lean(), ...await OutboxArchive.find({ kind: 'call.remind' }, { to: 1 }).lean()];
  const parents = county.family.filter((f) => f.childIndex === 0 && f.role !== 'guardian').map((f) => f.address);
  expect(reminded.map((d) => d.to).sort()).toEqual(parents.sort());
}, 240_000);
