/**
 * kill -9 in the middle of the monthly-note fan-out (issue 8, point 4): the bot runs as a real process
 * (`tsx src/index.ts`) on this test's database; the clock is set to the 1st at 19:00, the process is killed once
 * some but not all notes went out, a new process starts on the same database and the clock moves on past the dead
 * claims' 60 s. Afterwards every family member has their note exactly once (a guardian's voice note may be parts,
 * each once). Once on the simulator channel (SimMessage per outbox key and per recipient), once over 学校通知 against
 * the fake WeCom (what the fake received).
 *
 * FAULT_CHILDREN (default 100: 300 recipients) sets the size.
 */
import { BotProcess, step, waitUntil } from './helpers/botProcess';
import {
  checkSchoolDelivery, fanoutDone, checkSimulatorDelivery, deliveredNotes, directoryOf, dropOwnDatabase, FAULT_CHILDREN, isoPlus, nextDelivery,
  noteOutbox, outboxSummary, ownDatabase, seedFanout,
} from './helpers/faultFanout';
import { Outbox, OutboxArchive } from '../src/models/outbox';
import { FakeSchool } from './fakeWecom/school';
import { FakeWeCom } from './fakeWecom/server';

jest.setTimeout(420_000);

const RECIPIENTS = FAULT_CHILDREN * 3;
/** Past the dead claims' claimMs (60 s) and their lockedUntil. */
const AFTER_RESTART_MS = 2 * 60_000;

let bots: BotProcess[] = [];
afterEach(async () => {
  for (const b of bots) b.kill9();
  await Promise.all(bots.map((b) => b.stop(1000)));
  bots = [];
  await dropOwnDatabase();
});

/** Starts the fan-out on `bot` and kill -9s it once `delivered()` is between a tenth and all of the recipients. */
async function killMidway(bot: BotProcess, at: string, delivered: () => Promise<number>): Promise<{ delivered: number; summary: string }> {
  // Not awaited: it answers when the whole fan-out is done, and the process dies before that.
  step(`${bot.name}: clock to ${at}`);
  const clock = bot.setClock(at).catch(() => undefined);
  const seen = await waitUntil(`some notes were delivered by ${bot.name}`, 120_000, async () => {
    const n = await delivered();
    return n >= Math.max(1, Math.floor(RECIPIENTS / 10)) ? n : undefined;
  }, { everyMs: 25, detail: async () => `${await outboxSummary()}\n${bot.output()}` });
  step(`${bot.name}: kill -9 after ${seen} delivered (${await outboxSummary()})`);
  bot.kill9();
  await bot.exited;
  await clock;
  const after = await delivered();
  if (after >= RECIPIENTS) throw new Error(`the fan-out (${after} of ${RECIPIENTS}) finished before the kill (seen ${seen}); raise FAULT_CHILDREN`);
  return { delivered: after, summary: await outboxSummary() };
}

it(`simulator: kill -9 mid fan-out (${FAULT_CHILDREN} children), restart → each recipient's note exactly once`, async () => {
  const uri = await ownDatabase('sim');
  const due = nextDelivery();
  const county = await seedFanout(FAULT_CHILDREN, due.period);

  step('seeded');
  const first = await BotProcess.start({ mongoUri: uri, name: 'first bot' });
  step('first bot up');
  bots.push(first);
  const killed = await killMidway(first, due.at, deliveredNotes);
  // Dead mid-send: claims taken and not finished (a `sending` item, or a `pending` one whose attempt was claimed).
  expect(killed.delivered).toBeLessThan(RECIPIENTS);

  const second = await BotProcess.start({ mongoUri: uri, name: 'second bot' });
  bots.push(second);
  step(`second bot up (${await outboxSummary()})`);
  await second.setClock(isoPlus(due.at, AFTER_RESTART_MS));
  step(`second bot: clock set (${await outboxSummary()})`);
  // Until the queue is empty: the notes, and the notices the run raises (to teachers without a note), which the
  // restarted bot may still be sending when the last note arrives.
  await waitUntil('every note is delivered after the restart, and nothing is left to send', 300_000, async () => {
    return (await fanoutDone(RECIPIENTS)) && (await deliveredNotes()) === (await noteOutbox()).length
      && !(await Outbox.exists({ status: { $ne: 'sent' } }));
  }, { everyMs: 250, detail: async () => `killed at: ${killed.summary}\nnow: ${await outboxSummary()}\n${second.output()}` });

  expect(await checkSimulatorDelivery(county)).toEqual([]);
  expect(await Outbox.countDocuments({ status: { $ne: 'sent' } })).toBe(0);
});

/** Delivery lanes of the bots (the default): each may have one request in flight when the bot is killed. */
const LANES = 32;

it(`WeCom 学校通知: kill -9 mid fan-out (${FAULT_CHILDREN} children), restart → the fake delivered each note once`, async () => {
  const uri = await ownDatabase('wecom');
  const due = nextDelivery();
  const county = await seedFanout(FAULT_CHILDREN, due.period, { parentUserIds: true });
  const corpId = 'wwfaultcorp';
  const app = { secret: 'fault-school-secret', agentId: 1000005 };
  const fake = await FakeWeCom.start({ corpId, apps: [app] });
  const school = new FakeSchool(fake, { agentId: app.agentId, departments: [], students: directoryOf(county) });
  try {
    // Only 学校通知 runs beside the simulator: it is the route to every family (their parent_userid is known).
    const env = {
      WECOM_CORP_ID: corpId, WECOM_API_BASE: fake.url, WECOM_SCHOOL_AGENT_ID: String(app.agentId), WECOM_SCHOOL_SECRET: app.secret,
      DELIVERY_CONCURRENCY: String(LANES),
    };
    const first = await BotProcess.start({ mongoUri: uri, env, name: 'first bot (WeCom)' });
    bots.push(first);
    const killed = await killMidway(first, due.at, async () => school.notices.length);

    const second = await BotProcess.start({ mongoUri: uri, env, name: 'second bot (WeCom)' });
    bots.push(second);
    await second.setClock(isoPlus(due.at, AFTER_RESTART_MS));
    await waitUntil('every note is delivered over 学校通知 after the restart', 300_000, async () => {
        return fanoutDone(RECIPIENTS);
    }, { everyMs: 250, detail: async () => `killed at: ${killed.summary} (${killed.delivered} notices)\nnow: ${await outboxSummary()}\n${second.output()}` });

    const docs = await noteOutbox();
    const { problems, resent } = checkSchoolDelivery(county, docs, fake, school);
    expect(problems).toEqual([]);
    // A request in flight at the kill may reach WeCom again on the retry: at most one per delivery lane, and
    // WeCom's duplicate check (enable_duplicate_check, same JSON within 30 min) keeps the family from a second copy.
    expect(resent.length).toBeLessThanOrEqual(LANES);
    expect(await OutboxArchive.countDocuments({ route: 'simulator' }) + await Outbox.countDocuments({ route: 'simulator' })).toBe(0);
  } finally {
    await fake.stop();
  }
});
