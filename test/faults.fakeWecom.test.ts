/** The fake WeCom's faults and limits (test/fakeWecom/faults.ts), seen through our real WeComClient. */
import { TokenCache, WeComClient } from '../src/bot/wecom/client';
import { WeComRetryableError } from '../src/bot/wecom/errors';
import { FakeWeCom } from './fakeWecom/server';

let fake: FakeWeCom;
let clock = 0;
beforeEach(async () => {
  clock = 1_000_000;
  fake = await FakeWeCom.start({ corpId: 'wwfaults', apps: [{ secret: 'faults-secret', agentId: 1000002 }], now: () => clock });
});
afterEach(async () => { await fake.stop(); });

const client = (extra: Partial<ConstructorParameters<typeof WeComClient>[0]> = {}) => new WeComClient({
  corpId: 'wwfaults', secret: 'faults-secret', agentId: 1000002, apiBase: fake.url, tokens: new TokenCache(),
  backoffMs: 1, maxTries: 2, pacing: false, ...extra,
});

it('an outage answers its errcode inside its window only, and spares gettoken', async () => {
  const c = client();
  const outage = fake.outage('message/send', 45009, { until: clock + 60_000 });
  await expect(c.sendText('zhang', 'a')).rejects.toBeInstanceOf(WeComRetryableError);
  expect(outage.hits).toBe(2); // the client's two tries
  clock += 60_000;
  await expect(c.sendText('zhang', 'b')).resolves.toMatchObject({ errcode: 0 });
  const everything = fake.outage('*', -1);
  await expect(c.sendText('zhang', 'c')).rejects.toThrow(/-1/);
  everything.end();
  await expect(c.sendText('zhang', 'd')).resolves.toMatchObject({ errcode: 0 });
  expect(fake.succeeded('message/send').map((x) => x.body.text.content)).toEqual(['b', 'd']);
  expect(fake.succeeded('gettoken')).toHaveLength(1);
});

it('a hang holds calls until released: answered late, or dropped unanswered', async () => {
  const c = client({ timeoutMs: 200 });
  const late = fake.hang('message/send');
  await expect(c.sendText('zhang', 'slow')).rejects.toThrow(/timed out/);
  expect(late.holding).toBe(1);
  late.end();
  await new Promise((r) => setTimeout(r, 50));
  // WeCom did the work although the caller gave up: the outbox's retry would send it again (at-least-once).
  expect(fake.succeeded('message/send').map((x) => x.body.text.content)).toEqual(['slow']);

  const lost = fake.hang('message/send', { then: 'drop', holdMs: 20 });
  await expect(c.sendText('zhang', 'lost')).rejects.toBeInstanceOf(WeComRetryableError);
  lost.end();
  expect(fake.callsTo('message/send').map((x) => [x.body.text.content, x.errcode, !!x.held])).toEqual([['slow', 0, true], ['lost', 599, true]]);
});

it('limits: 30 a minute to one member, 10,000 a minute per api, counted for a share of the ceiling', async () => {
  const c = client({ maxTries: 1 });
  fake.enableLimits({ perApiPerMinute: 50 });
  for (let i = 0; i < 30; i++) await c.sendText('zhang', `m${i}`);
  await expect(c.sendText('zhang', 'one too many')).rejects.toThrow(/45009/);
  for (let i = 0; i < 20; i++) await c.sendText(`u${i}`, 'x');
  await expect(c.sendText('li', 'over the api limit')).rejects.toThrow(/45009/);
  clock += 60_000;
  await expect(c.sendText('zhang', 'a minute later')).resolves.toMatchObject({ errcode: 0 });
  expect(fake.limitStats('message/send')).toMatchObject({ accepted: 51, refused: 2, peakPerMinute: 50, ceilingPerMinute: 50, shareOfCeiling: 1 });
  expect(fake.limitReport().gettoken.accepted).toBe(1);
});
