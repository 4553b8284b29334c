/**
 * The month's notes go into the outbox a page at a time (domain/notes deliverDueNotes): each family
 * member gets their note once, a second run adds nothing, and a page costs the same few database round trips
 * whatever its size — a note at a time cost about twenty per note, which held a county's fan-out to a trickle.
 */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import { deliverDueNotes, DUE_PERIODS_BACK, NOTE_PAGE } from '../src/domain/notes';
import { scheduleSettings } from '../src/domain/settings';
import '../src/models';
import { countOps } from './helpers/countOps';
import { connectDatabase, disconnectDatabase, onFerretDb } from '../src/models/connect';
import { OUTBOX_BATCH } from '../src/bot/outbox';
import { withDatabase } from '../src/models/mongoServer';
import { Outbox } from '../src/models/outbox';
import { ProgressNote } from '../src/models/progressNote';
import { seedCounty } from './helpers/county';
import { Router } from '../src/bot/router';
import { recipientFacts, WHOLE_ORG_FROM } from '../src/bot/recipientFacts';
import { recipientStyles } from '../src/bot/sender';
import { Identity } from '../src/models/identity';

const orgId = 'default';
const aud = { orgId, orgLang: 'zh-CN' as const, quietHours: '22:00-07:00', timeZone: 'Asia/Shanghai' };
const settings = scheduleSettings(undefined).notes;
const deliveryDay = new Date('2026-12-01T19:00:00+08:00');

/** Round trips, without the collection sizes models/manyValues.ts reads once a minute (not per page). */
const total = (c: Record<string, number>) => Object.entries(c).filter(([k]) => !k.endsWith('.aggregate')).reduce((a, [, b]) => a + b, 0);

beforeAll(async () => {
  await connectDatabase(withDatabase(process.env.MONGODB_URI!, `t_notesdelivery_${crypto.randomBytes(3).toString('hex')}`));
});
afterAll(async () => {
  await mongoose.connection.db?.dropDatabase();
  await disconnectDatabase();
});

it('puts a county\'s notes in the outbox once each, in pages of a fixed number of round trips', async () => {
  const children = NOTE_PAGE + 100; // two pages
  const county = await seedCounty({ orgId, children, notePeriod: '2026-11' });
  const ops = await countOps(() => deliverDueNotes(aud, deliveryDay, settings, aud.timeZone));

  // Every bound member has the note (a guardian's voice note may be in pieces), each key once.
  const queued = await Outbox.find({ kind: 'note' }, { to: 1, key: 1, style: 1, status: 1 }).lean();
  expect(new Set(queued.map((d) => d.to))).toEqual(new Set(county.addresses));
  expect(new Set(queued.map((d) => d.key)).size).toBe(queued.length);
  expect(queued.every((d) => d.status === 'pending')).toBe(true);
  expect(queued.filter((d) => d.to.startsWith('g-')).every((d) => d.style === 'voice')).toBe(true);
  expect(await ProgressNote.countDocuments({ status: 'sent' })).toBe(children);

  // Two pages and a last empty read, and one look at each older period: a bounded number per page, not per note
  // or per member (on FerretDB the release to delivery is one write per batch of messages: bot/outbox.ts byBatch).
  const batches = onFerretDb() ? Math.ceil(queued.length / OUTBOX_BATCH) + 2 : 0;
  expect(total(ops)).toBeLessThanOrEqual(2 * 12 + 2 + DUE_PERIODS_BACK + batches);

  // Again (a second instance, a repeated tick): nothing new.
  expect(await deliverDueNotes(aud, deliveryDay, settings, aud.timeZone)).toBe(0);
  for (const note of await ProgressNote.find({}).limit(5)) await ProgressNote.updateOne({ _id: note._id }, { $set: { status: 'submitted' } });
  const before = await Outbox.countDocuments({});
  expect(await deliverDueNotes(aud, deliveryDay, settings, aud.timeZone)).toBe(5);
  expect(await Outbox.countDocuments({})).toBe(before);
}, 120_000);

it('reads each recipient once for enqueue and send: delivery finds what the enqueue read, until a write to them', async () => {
  const county = await seedCounty({ orgId, children: 40, notePeriod: '2026-10', prefix: 'k' });
  const addresses = county.addresses;
  // Enqueueing reads the recipients' language and style…
  const enqueue = await countOps(() => deliverDueNotes(aud, new Date('2026-11-01T19:00:00+08:00'), settings, aud.timeZone));
  expect(enqueue['identities.find'] ?? 0).toBeGreaterThan(0);
  // …and delivery's page of the same recipients (routes, kinds, 学校通知's parent_userids) does not read them again.
  const router = new Router(new Map(), 'sim', orgId);
  const send = await countOps(() => router.preload(addresses));
  expect(Object.keys(send).filter((k) => /^(identities|familymembers)\./.test(k))).toEqual([]);
  expect(send['routes.find'] ?? 0).toBeGreaterThan(0);
  // What it kept is what the database holds.
  const facts = await recipientFacts(orgId, addresses);
  expect(facts.get(addresses[0])?.identity?.kind).toBe('family');
  expect(facts.get(addresses[0])?.members.map((m) => m.childId)).toEqual([county.childIds[0]]);

  // A write to an identity (here a changed preference) drops what was kept: the next read sees it.
  await Identity.updateOne({ orgId, address: addresses[0] }, { $set: { style: 'voice', lang: 'en' } });
  const again = await countOps(() => recipientStyles(orgId, [addresses[0]], 'zh-CN'));
  expect(again['identities.find'] ?? 0).toBeGreaterThan(0);
  expect((await recipientStyles(orgId, [addresses[0]], 'zh-CN')).get(addresses[0])).toEqual({ lang: 'en', style: 'voice' });
}, 120_000);

it('reads the whole org at once for a page of a fan-out, and serves every address from it until a write', async () => {
  const county = await seedCounty({ orgId, children: Math.ceil(WHOLE_ORG_FROM / 3) + 5, prefix: 'w' });
  const addresses = county.addresses;
  expect(addresses.length).toBeGreaterThanOrEqual(WHOLE_ORG_FROM);
  // A page of that many unknown addresses: one read of the org's identities and one of its bound members.
  const page = await countOps(() => recipientFacts(orgId, addresses));
  expect(page['identities.find']).toBe(1);
  expect(page['familymembers.find']).toBe(1);
  const facts = await recipientFacts(orgId, addresses);
  expect(facts.get(addresses[0])?.identity?.kind).toBe('family');
  expect(facts.get(addresses[0])?.members.map((m) => m.childId)).toEqual([county.childIds[0]]);
  // Any address of the org is then known without a query, and one that is not there has no identity or members.
  const later = await countOps(() => recipientFacts(orgId, [addresses[1], 'nobody-here']));
  expect(total(later)).toBe(0);
  expect((await recipientFacts(orgId, ['nobody-here'])).get('nobody-here')).toEqual({ members: [] });

  // A write drops it: the next read goes to the database and sees the change.
  await Identity.updateOne({ orgId, address: addresses[1] }, { $set: { lang: 'en' } });
  const after = await countOps(() => recipientFacts(orgId, [addresses[1]]));
  expect(after['identities.find'] ?? 0).toBeGreaterThan(0);
  expect((await recipientFacts(orgId, [addresses[1]])).get(addresses[1])?.identity?.lang).toBe('en');
}, 120_000);

it('looks at the queue\'s backlog only before a page it will enqueue, not for each period with nothing due', async () => {
  // A tick with no notes left: each of the periods is read, and the backlog (a read of every pending message on
  // FerretDB) is not looked at.
  await ProgressNote.updateMany({ status: 'submitted' }, { $set: { status: 'sent' } });
  let looks = 0;
  const run = { signal: new AbortController().signal, makeRoom: async () => { looks++; } };
  expect(await deliverDueNotes(aud, deliveryDay, settings, aud.timeZone, run)).toBe(0);
  expect(looks).toBe(0);
  // With a page due: one look before it.
  const note = await ProgressNote.findOne({});
  await ProgressNote.updateOne({ _id: note!._id }, { $set: { status: 'submitted' } });
  expect(await deliverDueNotes(aud, deliveryDay, settings, aud.timeZone, run)).toBe(1);
  expect(looks).toBe(1);
}, 60_000);
