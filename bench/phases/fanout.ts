/**
 * Figure 4: the monthly note fan-out for a county (20,000 children, three bound family members each: ~60,000
 * recipients) through the fake WeCom server with WeCom's published limits on (`fake.enableLimits()`: 10,000 calls
 * a minute per api per corp, sliding), as a share of the ceiling those limits allow.
 *
 * - The children, their bound families (each with a 家校通讯录 parent_userid, as the school sync gives them) and a
 *   submitted note per child are seeded directly (test/helpers/county.ts); the fake's 家校通讯录 knows every parent.
 * - The bot runs as `npm start` would with the WeCom app (staff), 微信客服 and 学校通知 configured against the fake
 *   (env as test/helpers/wecomTransport.ts builds it), pacing on. Families have no open 微信客服 window, so their
 *   notes go by 学校通知 (`externalcontact/message/send`).
 * - The clock moves to the 1st of next month at 19:00 (the notes' delivery moment) through `/sim/clock`, then
 *   follows real time (moved every few seconds, so that a retry after a refusal comes due as it would).
 * - Measured from the clock move until every note is sent (or the time bound): messages WeCom accepted per minute,
 *   overall and in the busiest minute, against the ceiling. Goal ≥ 90 % of the ceiling overall.
 */
import mongoose from 'mongoose';
import { Outbox } from '../../src/models/outbox';
import { fromLocal, periodOf, shiftPeriod } from '../../src/localTime';
import { FakeKf } from '../../test/fakeWecom/kf';
import { FakeSchool, FakeStudent } from '../../test/fakeWecom/school';
import { FakeWeCom, randomAesKey } from '../../test/fakeWecom/server';
import { seedCounty } from '../../test/helpers/county';
import { BotProcess, summarizeOps } from '../lib/botProcess';
import type { Bench } from '../lib/context';
import { n, say } from '../lib/report';
import { fmt, nowMs, sleep } from '../lib/stats';

const GOAL_SHARE = 0.9;
const TZ = 'Asia/Shanghai';
const CORP = 'wwbenchcorp';
const APP = { secret: 'bench-app-secret', agentId: 1000002 };
const KF_SECRET = 'bench-kf-secret';
const SCHOOL = { secret: 'bench-school-secret', agentId: 1000005 };
const OPEN_KFID = 'wkBENCHkf01';
const SEND_APIS = ['externalcontact/message/send', 'kf/send_msg', 'message/send'];

/**
 * The guardians' note recordings are made as notes come in (the noteRecordings job, each minute, up to 40 s of
 * synthesis a run): by the 1st the bot has had the month. Here the clock stands three days before the delivery
 * moment and moves a minute at a time until every note is recorded or the time bound passes; what is not recorded
 * by then is synthesized during the fan-out, as a note written at the last moment would be.
 */
async function prepareRecordings(bench: Bench, bot: BotProcess, moment: Date, notes: number): Promise<void> {
  // Without speech (SPEECH_PROVIDER=none) nothing gets recorded: one tick, so that the routine work of those days
  // (the week's digests, the month's bulletin) is done before the 1st in every run, as it would be.
  const due = async () => (process.env.SPEECH_PROVIDER === 'none' && minute > 0 ? 0
    : mongoose.connection.collection('progressnotes').countDocuments({ status: 'submitted', recording: 'due' }));
  const boundMs = bench.settings.recordingMinutes * 60_000;
  const start = Date.now();
  let minute = 0;
  let left = await due();
  let idle = 0; // minutes in a row without a note recorded: a bot without speech (SPEECH_PROVIDER=none) records none
  while (left > 0 && idle < 3 && Date.now() - start < boundMs) {
    await bot.post('/sim/clock', { now: new Date(moment.getTime() - 3 * 86_400_000 + minute++ * 60_000).toISOString() });
    const now = await due();
    idle = now < left ? 0 : idle + 1;
    left = now;
  }
  const sec = (Date.now() - start) / 1000;
  if (process.env.SPEECH_PROVIDER === 'none') {
    say(`fan-out: no recordings (SPEECH_PROVIDER=none); the bot's routine work three days before the 1st took ${fmt(sec)} s`);
    return;
  }
  const made = notes - left;
  say(`fan-out: the bot recorded ${n(made)} of ${n(notes)} notes for their guardians ahead of the 1st in ${fmt(sec)} s (${fmt(made / Math.max(sec, 1e-9), 1)} notes/s)`
    + (left ? `; ${n(left)} left to synthesize during the fan-out` : ''));
  bench.report.add({
    figure: 'guardians\' note recordings made ahead', size: `${n(notes)} notes`, number: made / Math.max(sec, 1e-9), unit: 'notes/s',
    value: `${n(made)} of ${n(notes)} in ${fmt(sec)} s (${fmt(made / Math.max(sec, 1e-9), 1)}/s)${left ? `, bound ${bench.settings.recordingMinutes} min` : ''}`,
    baselinePhase: '', detail: { recorded: made, left, seconds: sec, clockMinutes: minute },
  });
}

export async function fanoutPhase(bench: Bench): Promise<void> {
  const s = bench.settings;
  const children = s.fanoutChildren;
  const base = await bench.baseline('fan-out');
  const db = bench.newDbName('fanout');
  await bench.useDatabase(db);

  // The notes of this month go out on the 1st of next month at 19:00 (default note settings).
  const period = periodOf(new Date(), TZ);
  const [y, m] = shiftPeriod(period, 1).split('-').map(Number);
  const moment = fromLocal(y, m, 1, 19, 0, TZ);
  let t0 = nowMs();
  const county = await seedCounty({ orgId: 'default', children, notePeriod: period, parentUserIds: true });
  const seedS = (nowMs() - t0) / 1000;
  say(`fan-out: seeded ${n(children)} children, ${n(county.family.length)} bound family members, ${n(children)} notes in ${fmt(seedS)} s`);

  const fake = await FakeWeCom.start({ corpId: CORP, apps: [APP, { secret: KF_SECRET }, SCHOOL] });
  const students = new Map<string, FakeStudent>();
  for (const f of county.family) {
    const st = students.get(f.childId) ?? { student_userid: `s_${f.childId}`, name: f.childId, department: [], parents: [] };
    st.parents.push({ parent_userid: f.parentUserId!, relation: f.role, mobile: '', is_subscribe: 1 });
    students.set(f.childId, st);
  }
  const school = new FakeSchool(fake, { agentId: SCHOOL.agentId, departments: [], students: [...students.values()] });
  new FakeKf(fake, { openKfId: OPEN_KFID, corpId: CORP }); // 微信客服 configured, but no family has an open window
  fake.enableLimits();
  const env = {
    WECOM_CORP_ID: CORP, WECOM_API_BASE: fake.url,
    WECOM_APP_AGENT_ID: String(APP.agentId), WECOM_APP_SECRET: APP.secret, WECOM_APP_TOKEN: 'BenchApp1', WECOM_APP_AES_KEY: randomAesKey(),
    WECOM_KF_SECRET: KF_SECRET, WECOM_KF_TOKEN: 'BenchKf1', WECOM_KF_AES_KEY: randomAesKey(), WECOM_KF_OPEN_KFID: OPEN_KFID,
    WECOM_SCHOOL_AGENT_ID: String(SCHOOL.agentId), WECOM_SCHOOL_SECRET: SCHOOL.secret,
  };
  const bot = await bench.startBot(db, `fan-out ${n(children)} children`, env);
  const boundS = s.fanoutMinutes * 60_000;
  try {
    await prepareRecordings(bench, bot, moment, children);
    bot.resetOps();
    fake.reset();
    const startReal = Date.now();
    t0 = nowMs();
    // The clock moves to the delivery moment; the answer comes when the scheduled work and one delivery run are
    // done, while the bot's own delivery timer keeps sending. Afterwards the clock follows real time.
    let ticking = bot.post('/sim/clock', { now: moment.toISOString() });
    let firstAnswerS: number | undefined;
    ticking.then(() => { firstAnswerS = (nowMs() - t0) / 1000; }, () => undefined);
    let ticks = 0;
    let lastLog = 0;
    const expected = { notes: children };
    let sentNotes = 0;
    let outboxNotes = 0;
    let failedNotes = 0;
    let notesDelivered = 0;
    for (;;) {
      await sleep(2000);
      const elapsed = Date.now() - startReal;
      // Settled promise → move the clock on to real time (at most one /sim/clock in flight).
      const settled = await Promise.race([ticking.then(() => true, () => true), sleep(0).then(() => false)]);
      if (settled) {
        ticks++;
        ticking = bot.post('/sim/clock', { now: new Date(moment.getTime() + elapsed).toISOString() });
        ticking.catch(() => undefined);
      }
      if (elapsed - lastLog >= 15_000 || elapsed > boundS) {
        lastLog = elapsed;
        // Delivery moves what it sent out of the hot outbox (to the archive): what is left there is still to send.
        const [open, failed, notesDone] = await Promise.all([
          Outbox.countDocuments({ kind: 'note', status: { $in: ['new', 'pending', 'sending'] } }),
          Outbox.countDocuments({ kind: 'note', status: 'failed' }),
          mongoose.connection.collection('progressnotes').countDocuments({ status: 'sent' }),
        ]);
        const sent = fake.calls.filter((c) => c.errcode === 0 && c.api === 'externalcontact/message/send').length;
        const all = sent + open;
        sentNotes = sent;
        failedNotes = failed;
        notesDelivered = notesDone;
        outboxNotes = all;
        const accepted = fake.calls.filter((c) => c.errcode === 0 && SEND_APIS.includes(c.api)).length;
        const refused = fake.calls.filter((c) => c.errcode === 45009).length;
        say(`fan-out +${fmt(elapsed / 1000, 0)} s: notes handed to the outbox ${n(notesDone)}/${n(expected.notes)}, ${n(open)} note messages waiting${failed ? `, ${n(failed)} failed` : ''}; `
          + `WeCom accepted ${n(accepted)} sends, refused ${n(refused)} (45009)`);
        if (notesDone >= expected.notes && open === 0) break;
      }
      if (elapsed > boundS) {
        bench.report.note(`fan-out stopped at the time bound (${s.fanoutMinutes} min) before every note was sent`);
        break;
      }
    }
    const wallS = (nowMs() - t0) / 1000;
    // Not awaited: a /sim/clock still in flight answers only when the whole fan-out is enqueued (stopping the bot ends it).
    ticking.catch(() => undefined);
    const opCounts = await bot.ops();
    const ops = summarizeOps(opCounts, Math.max(1, notesDelivered));

    // What WeCom accepted, per api and per minute since the clock move.
    const sends = fake.calls.filter((c) => SEND_APIS.includes(c.api));
    const ok = sends.filter((c) => c.errcode === 0);
    const refused = fake.calls.filter((c) => c.errcode === 45009).length;
    const main = 'externalcontact/message/send';
    const stats = fake.limitStats(main);
    const ceiling = stats.ceilingPerMinute;
    const lastAt = ok.length ? Math.max(...ok.map((c) => c.at)) : startReal;
    const firstAt = ok.length ? Math.min(...ok.map((c) => c.at)) : startReal;
    const minutes = Math.max(1e-9, (lastAt - startReal) / 60_000);
    const overall = ok.length / minutes;
    const perMinute: number[] = [];
    for (const c of ok) {
      const k = Math.floor((c.at - startReal) / 60_000);
      perMinute[k] = (perMinute[k] ?? 0) + 1;
    }
    const fullMinutes = perMinute.slice(0, Math.floor(minutes));
    const byApi: Record<string, number> = {};
    for (const c of ok) byApi[c.api] = (byApi[c.api] ?? 0) + 1;
    const share = overall / ceiling;
    const size = `${n(children)} children, ${n(county.family.length)} recipients`;
    say(`fan-out: ${n(ok.length)} sends accepted in ${fmt(minutes, 2)} min from the clock move (first after ${fmt((firstAt - startReal) / 1000)} s); `
      + `per minute ${[...perMinute].map((x) => x ?? 0).join(' / ')}; refused ${n(refused)}; /sim/clock answered after ${fmt(firstAnswerS ?? NaN)} s; `
      + `${n(notesDelivered)} of ${n(children)} notes handed to the outbox (${fmt(notesDelivered / wallS, 2)} notes/s)`);
    bench.report.add({
      figure: 'note fan-out, share of WeCom ceiling', size, number: share * 100, unit: '% of ceiling',
      value: `${fmt(share * 100)} % (${fmt(overall, 0)} sends/min over ${fmt(minutes, 1)} min vs ${n(ceiling)}/min; busiest 60 s ${n(stats.peakPerMinute)} = ${fmt(stats.shareOfCeiling * 100)} %)`,
      ratio: (60_000 / overall) / base.ms, baselinePhase: 'fan-out', goal: `≥ ${GOAL_SHARE * 100} % of ceiling`, met: share >= GOAL_SHARE,
      detail: {
        acceptedSends: ok.length, byApi, refused45009: refused, perMinute, fullMinutes, minutesFromClockMove: minutes, wallSeconds: wallS,
        firstAcceptedAfterSeconds: (firstAt - startReal) / 1000, simClockAnsweredAfterSeconds: firstAnswerS, clockTicks: ticks,
        noteOutboxMessages: outboxNotes, noteOutboxSent: sentNotes, noteOutboxFailed: failedNotes,
        notesHandedToOutbox: notesDelivered, notesPerSecond: notesDelivered / wallS, schoolNotices: school.notices.length, limitStats: fake.limitReport(),
        dbOpsPerNote: ops.total, dbOpsPerAcceptedSend: summarizeOps(opCounts, Math.max(1, ok.length)).total, dbOpsTop: ops.top, seedSeconds: seedS,
      },
    });
    say(`fan-out: db operations per child's note (3 family members) ${fmt(ops.total)}: ${ops.top}`);
  } finally {
    await bench.stopBot();
    await fake.stop();
    await bench.dropAndDisconnect();
  }
}
