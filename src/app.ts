/** Builds and starts the whole bot on a database URI: channels, handler chain, delivery worker, HTTP. */
import http from 'node:http';
import { Types } from 'mongoose';
import type { Express } from 'express';
import { AddressInfo } from 'node:net';
import { Bot } from './bot/bot';
import { Channel } from './bot/channel';
import { Services } from './bot/context';
import { DeliveryWorker } from './bot/delivery';
import { withCause } from './bot/outbox';
import { Router } from './bot/router';
import { SimulatorChannel } from './bot/simulatorChannel';
import { Clock, ManualClock, systemClock } from './clock';
import { Config } from './config';
import { handleMessage } from './handlers';
import type { Logger } from './log';
import type { Lang } from './locales';
import { connectDatabase, disconnectDatabase } from './models/connect';
import './models';
import { Org } from './models/org';
import { separateSharedTeacherRooms } from './models/school';
import { withDatabase } from './models/mongoServer';
import type { AppContext } from './appContext';
import type { SchoolSyncReport } from './bot/wecom/schoolSync';
import type { WeComLogin } from './bot/wecom/oauth';
import { WECOM_API_PATH, wecomRoutes } from './web/wecomRoutes';
import { createHttpApp } from './web/server';
import { createSpeech, NoSpeech, type Speech } from './speech';
import { createRecognizer, type Recognizer } from './speech/recognizer';
import { hearing } from './bot/hearing';
import { allJobs } from './scheduler/jobs';
import { Scheduler } from './scheduler/scheduler';

export interface RunningApp {
  context: AppContext;
  http: ReturnType<typeof createHttpApp>;
  url?: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  log: Logger;
  mongoUri: string;
  /** Listen on HOST:PORT (npm start) or not (tests use the express app directly). */
  listen?: boolean;
  /** Run the delivery worker on a timer; tests drive it through the simulator API instead. */
  autoDeliver?: boolean;
  /** Runs after the database is up and before the HTTP port opens (the demo data). */
  beforeListen?: (context: AppContext) => Promise<void>;
  /**
   * More channels beside the simulator (WeCom, Wechaty). Each may mount HTTP routes (callbacks) on the app.
   * `defaultChannel` names the one pushes go through when no other route is known (default: simulator).
   */
  channels?: ChannelPlugin[];
  defaultChannel?: string;
  /**
   * The simulator channel and its /sim API (default on). Off in production with real channels: /sim lets anyone
   * speak as anyone and move the clock.
   */
  simulator?: boolean;
  /**
   * Where the simulator's clock starts: at DEFAULT_CLOCK_START (src/clock.ts, the default, for tests) or at real
   * time, which it follows until `/sim/clock` moves it (`npm start`).
   */
  simulatorClock?: 'fixed' | 'real';
  /** Recordings for voice-style messages; default: the provider SPEECH_PROVIDER names (src/speech). */
  speech?: Speech;
  /** Recognition of voice messages; default: the provider SPEECH_RECOGNITION names (none: recordings go on as they are). */
  recognizer?: Recognizer;
}

export interface ChannelPlugin {
  channel: Channel;
  /** Mounted before the 404 handler, e.g. `http.use('/wecom/app', router)`. */
  mount?: (http: Express) => void;
  /** Reads the school's 家校通讯录 into the family records (学校通知); served as POST /api/wecom/school-sync. */
  schoolSync?: (opts: { dryRun: boolean }) => Promise<SchoolSyncReport>;
  /** Sign-in with WeCom for staff (the self-built app's OAuth); served as GET /admin/login/wecom. */
  wecomLogin?: WeComLogin;
}

/** Uses the URI's database if it names one, else MONGODB_DB. */
export function databaseUri(uri: string, dbName: string): string {
  const path = new URL(uri).pathname;
  return path && path !== '/' ? uri : withDatabase(uri, dbName);
}

export async function startApp(opts: StartOptions): Promise<RunningApp> {
  const { config, log } = opts;
  await connectDatabase(databaseUri(opts.mongoUri, config.MONGODB_DB));
  const org = await Org.findOneAndUpdate(
    { _id: config.ORG_ID },
    { $setOnInsert: { name: config.ORG_NAME, timeZone: config.TIME_ZONE, quietHours: config.QUIET_HOURS, lang: config.DEFAULT_LANG, showTeacherPhone: config.SHOW_TEACHER_PHONE } },
    { upsert: true, new: true },
  );
  const separated = await separateSharedTeacherRooms(config.ORG_ID, new Date());
  if (separated.length) {
    // Their concerns now go to these rooms: the admin maps each to the school's group chat.
    log.warn({ schools: separated }, 'schools that shared the teachers\' room "teachers" now have rooms of their own: map each to its group chat (WECOM_AIBOT_ROOMS or PATCH /api/schools/:name {teacherRoom})');
  }

  const withSimulator = opts.simulator ?? true;
  const manualClock = new ManualClock({ followRealTime: opts.simulatorClock === 'real' });
  const clock: Clock = withSimulator ? manualClock : systemClock;
  const simulator = withSimulator ? new SimulatorChannel(config.ORG_ID, manualClock) : undefined;
  const channels = new Map<string, Channel>(simulator ? [[simulator.name, simulator]] : []);
  for (const p of opts.channels ?? []) channels.set(p.channel.name, p.channel);

  const services: Services = {
    config, clock, log, orgId: config.ORG_ID, orgName: org!.name, orgLang: (org!.lang as Lang) ?? 'zh-CN', timeZone: org!.timeZone ?? config.TIME_ZONE,
    quietHours: org!.quietHours ?? config.QUIET_HOURS,
    publicUrl: config.PUBLIC_URL ?? `http://127.0.0.1:${config.PORT}`,
  };
  const recognizer = opts.recognizer ?? createRecognizer(config);
  const bot = new Bot(services, handleMessage, recognizer.provider === 'none' ? undefined : hearing(channels, recognizer, log));
  const defaultChannel = opts.defaultChannel ?? simulator?.name ?? [...channels.keys()][0];
  if (!defaultChannel) throw new Error('no channel: turn the simulator on or configure WeCom or Wechaty');
  const router = new Router(channels, defaultChannel, config.ORG_ID);
  const speech = opts.speech ?? createSpeech(config, log);
  const delivery = new DeliveryWorker({ channels, defaultChannel, router, speech, clock, log, maxAttempts: config.DELIVERY_MAX_ATTEMPTS, claimMs: config.DELIVERY_CLAIM_SECONDS * 1000, concurrency: config.DELIVERY_CONCURRENCY });
  const scheduler = new Scheduler(allJobs, { orgId: config.ORG_ID, clock, log, audience: services, deliver: () => delivery.deliverDue(), publicUrl: () => services.publicUrl,
    record: speech instanceof NoSpeech ? undefined : (text: string) => speech.recording(text) });
  let up = false;

  const context: AppContext = {
    config, log, orgId: config.ORG_ID, clock,
    simulator: simulator ? { channel: simulator, clock: manualClock } : undefined,
    bot, delivery, speech, services, deliversInBackground: !!opts.autoDeliver,
    runScheduled: async () => { await scheduler.runDue(clock.now()); },
    ready: () => up,
  };
  // With delivery in the background, a message's own replies go out as soon as it is handled, beside whatever
  // long run (a month's notes) the worker is in; the handler returns once they have.
  const receive = async (msg: Parameters<Bot['receive']>[0]): Promise<void> => {
    const cause = new Types.ObjectId().toHexString();
    await withCause(cause, () => bot.receive(msg));
    if (opts.autoDeliver) await delivery.deliverDue({ cause }).catch((err) => log.error({ err }, 'delivering the replies to a message failed; the worker retries'));
  };
  for (const ch of channels.values()) await ch.start(receive);
  if (opts.autoDeliver) {
    delivery.start();
    // The minute's run paces its reads of the whole queue as the timer does (a night's held messages are not read
    // sorted every minute for nothing); what the jobs enqueued wakes it (bot/outbox.ts onPending).
    scheduler.start(() => delivery.deliverDue({ tick: true }));
  }

  if (opts.beforeListen) await opts.beforeListen(context);
  const schoolSync = (opts.channels ?? []).find((p) => p.schoolSync)?.schoolSync;
  const wecomLogin = (opts.channels ?? []).find((p) => p.wecomLogin)?.wecomLogin;
  const httpApp = createHttpApp(context, (http) => {
    for (const p of opts.channels ?? []) p.mount?.(http);
  }, schoolSync ? [[WECOM_API_PATH, wecomRoutes({ schoolSync })]] : [], wecomLogin);
  let server: http.Server | undefined;
  let url: string | undefined;
  if (opts.listen) {
    try {
      server = await new Promise<http.Server>((resolve, reject) => {
        // Express 5 hands a listen error (port in use) to this callback too; the server then has no address.
        const s = httpApp.listen(config.PORT, config.HOST, (err?: Error) => (err ? reject(err) : resolve(s)));
      });
    } catch (err) {
      await scheduler.stop();
      await delivery.stop();
      for (const ch of channels.values()) await ch.stop();
      await disconnectDatabase();
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(code === 'EADDRINUSE'
        ? `Port ${config.PORT} on ${config.HOST} is already in use (another copy of the bot?). Stop it or set PORT.`
        : `Cannot listen on ${config.HOST}:${config.PORT}: ${(err as Error).message}`);
    }
    const addr = server.address() as AddressInfo;
    url = `http://${config.HOST}:${addr.port}`;
    // PORT=0 (tests) listens on a free port: links must name the one it got.
    if (!config.PUBLIC_URL) services.publicUrl = `http://127.0.0.1:${addr.port}`;
  }
  up = true;

  return {
    context, http: httpApp, url,
    stop: async () => {
      up = false;
      await scheduler.stop();
      await delivery.stop();
      for (const ch of channels.values()) await ch.stop();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      await disconnectDatabase();
    },
  };
}
