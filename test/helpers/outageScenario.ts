/**
 * The fake WeCom in trouble for a while of simulated time, with the bot in this process on the simulated clock and
 * 学校通知 as every family's route (used by test/faults.wecomOutage*.test.ts). The fault windows are on the simulated
 * clock, from the delivery moment of the monthly notes: /sim/clock to that moment enqueues the notes (and delivers
 * into the first fault), then the clock moves 5 s at a time and the delivery worker runs each step, so a minute of
 * trouble costs seconds of real time. A hang holds calls past the client's 300 ms timeout, then answers them late
 * (WeCom did the work, the bot does not know).
 *
 * Afterwards everything is delivered, each item once (a late-answered request that the bot sent again is dropped by
 * WeCom's duplicate check, as the real 学校通知 does with enable_duplicate_check), and in order per person: the order
 * in which the fake took each person's messages is the order they were enqueued. Each of the first few fathers gets
 * a series of five messages besides the note, to make that order visible.
 */
import { TokenCache } from '../../src/bot/wecom/client';
import { wecomPlugins } from '../../src/bot/wecom';
import { enqueue } from '../../src/bot/outbox';
import { Outbox, OutboxArchive } from '../../src/models/outbox';
import { step, waitUntil } from './botProcess';
import { County } from './county';
import { directoryOf, nextDelivery, noteOutbox, outboxSummary, seedFanout } from './faultFanout';
import { startTestApp, TestApp } from './testApp';
import { FakeSchool } from '../fakeWecom/school';
import { FakeWeCom } from '../fakeWecom/server';

/** Smaller than the process tests' fan-out: here every simulated step runs the whole queue in this process. */
export const OUTAGE_CHILDREN = Number(process.env.FAULT_OUTAGE_CHILDREN || 40);
const SERIES = 5;
const SERIES_PEOPLE = 10;
const STEP_MS = 5_000;

/** One fault window, in simulated ms after the delivery moment: an errcode, or 'hang'. */
export interface OutageWindow { from: number; until: number; fault: number | 'hang' }

interface Sent { parent: string; text: string }

/**
 * A minute of trouble of every kind, on the simulated clock from the delivery moment. 45009 last: the client asks the
 * outbox to wait 60 s after it, so a fault after it would meet no call; and longer than 15 s, because with the growing
 * backoff and 5 s steps the retries come at +0, 5, 10, 20, 40, 75 s …
 */
export const A_MINUTE_OF_TROUBLE: OutageWindow[] = [
  { from: 0, until: 15_000, fault: 'hang' },
  { from: 15_000, until: 30_000, fault: -1 },
  { from: 30_000, until: 45_000, fault: 45033 },
  { from: 45_000, until: 90_000, fault: 45009 },
];

/** Runs the scenario; throws (with what went wrong) unless everything arrived once and in order. */
export async function runOutage(windows: OutageWindow[], env: Record<string, string> = {}): Promise<void> {
  let t: TestApp | undefined;
  let fake: FakeWeCom | undefined;
  try {
    await scenario(windows, env, (x) => { t = x; }, (x) => { fake = x; });
  } finally {
    await t?.stop();
    await fake?.stop();
  }
}

async function scenario(windows: OutageWindow[], botEnv: Record<string, string>, keepApp: (t: TestApp) => void, keepFake: (f: FakeWeCom) => void): Promise<void> {
  const CHILDREN = OUTAGE_CHILDREN;
  let t: TestApp | undefined;
  const corpId = 'wwoutagecorp';
  const app = { secret: 'outage-school-secret', agentId: 1000005 };
  let now = () => Date.now();
  const f = await FakeWeCom.start({ corpId, apps: [app], now: () => now() });
  keepFake(f);
  const env = { WECOM_CORP_ID: corpId, WECOM_API_BASE: f.url, WECOM_SCHOOL_AGENT_ID: String(app.agentId), WECOM_SCHOOL_SECRET: app.secret };
  const plugins = wecomPlugins(env, {
    orgId: 'default', clock: { now: () => (t ? t.app.context.clock.now() : new Date()) },
    // A short timeout, so a held call times out within a step; the in-process retries stay quick.
    client: { backoffMs: 5, timeoutMs: 300, tokens: new TokenCache() },
  });
  t = await startTestApp(botEnv, { channels: plugins, defaultChannel: 'wecom-school' });
  keepApp(t);
  const clock = t.app.context.clock;
  const sim = t.app.context.simulator!.clock;
  now = () => clock.now().getTime();

  const due = nextDelivery();
  await t.setClock(new Date(due.atMs - 60 * 60_000).toISOString());
  const county: County = await seedFanout(CHILDREN, due.period, { parentUserIds: true });
  const school = new FakeSchool(f, { agentId: app.agentId, departments: [], students: directoryOf(county) });
  const fathers = county.family.filter((m) => m.role === 'father').slice(0, SERIES_PEOPLE);

  // The outage, on the simulated clock from the delivery moment on.
  const t0 = due.atMs;
  const api = 'externalcontact/message/send';
  const faults = windows.map((w) => (w.fault === 'hang'
    ? f.hang(api, { from: t0 + w.from, until: t0 + w.until, holdMs: 400, then: 'answer' })
    : f.outage(api, w.fault, { from: t0 + w.from, until: t0 + w.until })));
  const last = Math.max(...windows.map((w) => w.until));

  // The series are enqueued at the delivery moment too, after the notes: each father's note first, then 1…5.
  step('outage test: seeded; delivery moment');
  await t.setClock(new Date(t0).toISOString());
  for (const m of fathers) {
    for (let k = 1; k <= SERIES; k++) {
      await enqueue({ orgId: 'default', key: `series:${m.address}:${k}`, to: m.address, text: `第${k}条消息（${m.address}）`, style: 'text', kind: 'series', dueAt: new Date(t0) });
    }
  }
  const limit = t0 + 30 * 60_000;
  let at = t0;
  await waitUntil('everything is delivered after the outage', 240_000, async () => {
    at += STEP_MS;
    if (at > limit) throw new Error(`not delivered within 30 simulated minutes: ${await outboxSummary()}`);
    // The delivery worker alone (what its timer does each second), not every scheduled job as /sim/clock would.
    sim.set(new Date(at));
    await t!.app.context.delivery.deliverDue();
    // Over when the faults are past and nothing is left to send (what failed for good is reported below).
    return at > t0 + last && (await noteOutbox()).length >= CHILDREN * 3
      && !(await Outbox.exists({ kind: { $in: ['note', 'series'] }, status: { $in: ['new', 'pending', 'sending'] } }));
  }, { everyMs: 1, detail: outboxSummary });
  const doneAt = (at - t0) / 1000;

  // What the fake's 学校通知 took, per parent, in order.
  const took: Sent[] = school.notices.flatMap((n) => n.to_parent_userid.map((p) => ({ parent: p, text: String(n.body?.text?.content ?? '') })));
  const items = [
    ...(await OutboxArchive.find({}, { key: 1, to: 1, text: 1, status: 1, kind: 1, attempts: 1 }).sort({ _id: 1 }).lean()),
    ...(await Outbox.find({}, { key: 1, to: 1, text: 1, status: 1, kind: 1, attempts: 1 }).sort({ _id: 1 }).lean()),
  ].sort((a, b) => String(a._id).localeCompare(String(b._id)));
  step(`outage test: done at +${doneAt} s simulated; at most ${Math.max(...items.map((d) => d.attempts ?? 0))} attempts; ${faults.map((x) => x.hits).join('/')} calls met the faults`);
  const problems: string[] = [];
  for (const d of items) if (d.status !== 'sent' && ['note', 'series'].includes(d.kind)) problems.push(`${d.key}: ${d.status}`);
  for (const m of county.family) {
    const expected = items.filter((d) => d.to === m.address).map((d) => d.text);
    const got = took.filter((s) => s.parent === m.parentUserId).map((s) => s.text);
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      problems.push(`${m.address}: received ${JSON.stringify(got.map((x) => x.slice(0, 12)))}, enqueued ${JSON.stringify(expected.map((x) => x.slice(0, 12)))}`);
    }
  }
  if (items.filter((d) => d.kind === 'series').length !== SERIES_PEOPLE * SERIES) problems.push('the series were not all enqueued');
  // Every fault met calls (otherwise the scenario did not test it).
  windows.forEach((w, i) => { if (!faults[i].hits) problems.push(`no call met the fault ${w.fault} (+${w.from / 1000}–${w.until / 1000} s)`); });
  if (problems.length) throw new Error(`after the outage:\n${problems.slice(0, 20).join('\n')}`);
}
