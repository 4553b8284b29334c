/**
 * A fan-out's pages read an org's routes (and a 微信客服 account's sessions) whole, once a minute, instead of one
 * query per recipient (models/scopeCopy.ts); what this process writes meanwhile is in the copy at once.
 */
import { countOps } from './helpers/countOps';
import { useDomainDatabase } from './helpers/domainDb';
import { noteRoute, Route, routesOf } from '../src/models/route';
import { KfSession, kfSessionsOf, noteKfInbound } from '../src/models/kfSession';

const orgId = 'default';

const reads = (c: Record<string, number>) => Object.entries(c).filter(([k]) => /\.(find|findOne)$/.test(k)).reduce((a, [, b]) => a + b, 0);

useDomainDatabase('scopecopy');

it('reads the routes of a page of many recipients in one query, most recent first, and keeps this process\'s writes', async () => {
  const t0 = new Date('2026-12-01T10:00:00Z');
  const addresses = Array.from({ length: 150 }, (_, i) => `p-${i}`);
  await Route.insertMany(addresses.flatMap((address, i) => [
    { orgId, address, channel: 'wecom-kf', lastInboundAt: new Date(t0.getTime() + i * 1000) },
    { orgId, address, channel: 'simulator', lastInboundAt: new Date(t0.getTime() + (i % 2 ? 1 : -1) * 3600_000) },
  ]));
  await Route.create({ orgId: 'other', address: 'p-0', channel: 'wecom-app', lastInboundAt: t0 });

  const ops = await countOps(() => routesOf(orgId, addresses));
  expect(reads(ops)).toBe(1);
  const routes = await routesOf(orgId, addresses);
  expect(routes.get('p-1')!.map((r) => r.channel)).toEqual(['simulator', 'wecom-kf']);
  expect(routes.get('p-2')!.map((r) => r.channel)).toEqual(['wecom-kf', 'simulator']);
  expect(routes.get('p-0')!.map((r) => r.channel)).not.toContain('wecom-app'); // another org's

  // A message in on a new channel: the next page sees it first, without reading the database again.
  await noteRoute(orgId, 'p-2', 'wecom-app', new Date(t0.getTime() + 7200_000));
  const after = await countOps(async () => expect((await routesOf(orgId, ['p-2'])).get('p-2')![0].channel).toBe('wecom-app'));
  expect(reads(after)).toBe(0);
  // An address never heard has no routes.
  expect((await routesOf(orgId, ['nobody'])).get('nobody')).toEqual([]);
});

it('reads a page of few recipients one by one, and a 微信客服 account\'s sessions whole for many', async () => {
  const few = await countOps(() => routesOf('few-org', ['a', 'b']));
  expect(reads(few)).toBe(2);

  const at = new Date('2026-12-01T10:00:00Z');
  const ids = Array.from({ length: 120 }, (_, i) => `wm-${i}`);
  await KfSession.insertMany(ids.map((externalUserId) => ({ orgId, openKfId: 'kf1', externalUserId, lastInboundAt: at, windowId: `w-${externalUserId}` })));
  const ops = await countOps(() => kfSessionsOf(orgId, 'kf1', ids));
  expect(reads(ops)).toBe(1);
  // A later message opens a new window; an older one pulled again does not move it back.
  await noteKfInbound(orgId, 'kf1', 'wm-3', new Date(at.getTime() + 60_000), 'w-new');
  await noteKfInbound(orgId, 'kf1', 'wm-3', at, 'w-old');
  const [s] = await kfSessionsOf(orgId, 'kf1', ['wm-3']);
  expect(s.windowId).toBe('w-new');
  expect(await kfSessionsOf(orgId, 'kf2', ['wm-3'])).toEqual([]);
});
