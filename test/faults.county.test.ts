/**
 * The county seed (test/helpers/county.ts) as the bot sees it: the fault tests and the bench build on it, so
 * what it writes must resolve, route and deliver like imported and bound records.
 */
import { resolvePerson } from '../src/bot/sender';
import { Outbox, OutboxArchive } from '../src/models/outbox';
import { SimMessage } from '../src/models/simMessage';
import { seedCounty } from './helpers/county';
import { ADMIN_TOKEN, startTestApp, TestApp } from './helpers/testApp';

let t: TestApp;
afterAll(async () => { await t?.stop(); });

it('seeds bound families that resolve, get their note on the 1st at 19:00, and appear in the admin API', async () => {
  t = await startTestApp();
  const county = await seedCounty({ orgId: 'default', children: 7, notePeriod: '2026-11', classSize: 4 });
  expect(county.addresses).toHaveLength(21);
  expect(county.teachers).toHaveLength(3); // 4 + 3 children in two classes, three per teacher

  const dad = await resolvePerson('default', 'f-0', 'zh-CN');
  const gran = await resolvePerson('default', 'g-6', 'zh-CN');
  const teacher = await resolvePerson('default', 't-0', 'zh-CN');
  expect([dad.kind, dad.style]).toEqual(['family', 'text']);
  expect([gran.kind, gran.style]).toEqual(['family', 'voice']);
  expect(teacher.kind).toBe('staff');

  const cards = await t.http.get('/api/contact-cards').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  expect(cards.body).toHaveLength(7);
  expect(cards.body[0].codes.map((c: { for: string }) => c.for).sort()).toEqual(['father', 'guardian', 'mother']);

  // The father asks how his child is doing: he is bound, so he gets the menu answer, not "how to bind".
  const [answer] = await t.say('f-0', '0');
  expect(answer).not.toMatch(/绑定码|contact card/);

  await t.setClock('2026-12-01T19:00:00+08:00');
  // Sent messages may have moved to the archive already.
  const notes = [...await Outbox.find({ kind: 'note' }).lean(), ...await OutboxArchive.find({ kind: 'note' }).lean()];
  expect(new Set(notes.map((n) => n.to))).toEqual(new Set(county.addresses));
  expect(notes.every((n) => n.status === 'sent')).toBe(true);
  expect(await SimMessage.countDocuments({ outboxKey: /^note:/ })).toBe(notes.length);
  // Nobody's teacher is told of a missing note: every child had one.
  expect(await Outbox.countDocuments({ kind: 'noteMissing' }) + await OutboxArchive.countDocuments({ kind: 'noteMissing' })).toBe(0);
});
