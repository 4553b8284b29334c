/**
 * The WeCom adapters that the environment configures, as ChannelPlugins for startApp. For now:
 * `wecom-app` (teachers 1:1), callback at `/wecom/app/callback`, with sign-in with WeCom for staff (oauth.ts, served at
 * `/admin/login/wecom`); `wecom-aibot` (teachers' groups), long connection or callback at `/wecom/aibot/callback`;
 * `wecom-kf` (parents in WeChat through 微信客服), callback at `/wecom/kf/callback`; `wecom-school` (学校通知 to parents
 * by parent_userid), with the 家校通讯录 sync at `POST /api/wecom/school-sync`.
 */
import path from 'node:path';
import type { ChannelPlugin } from '../../app';
import { systemClock, type Clock } from '../../clock';
import type { Logger } from '../../log';
import { WeComAibotCallbackChannel } from './aibotCallbackChannel';
import { WeComAibotLongConnection } from './aibotLongConnection';
import { createSdkConnection } from './aibotSdk';
import { WeComAppChannel } from './appChannel';
import { WeComKfChannel } from './kfChannel';
import { WeComOAuth } from './oauth';
import { WeComSchoolChannel } from './schoolChannel';
import { syncSchoolDirectory } from './schoolSync';
import { WeComClient, WeComClientOptions } from './client';
import { loadWeComConfig, WeComConfig } from './config';
import { recordingBytes } from './speechMedia';

export interface WeComDeps {
  orgId: string;
  log?: Logger;
  /** Clock for the callbacks' replay window (default: real time). */
  clock?: Clock;
  /** Overrides for every client (tests: shorter backoff, own token cache). */
  client?: Partial<WeComClientOptions>;
  /** Builds the AI bot's long connection (tests: a stub instead of the SDK's WebSocket client). */
  aibotConnection?: typeof createSdkConnection;
  /** Where voice recordings are kept (`<dataDir>/media/`). Default: DATA_DIR from `env`, else ./data. */
  dataDir?: string;
  /**
   * `false`: no per-member pacing of message/send and no pacing of the group webhooks. Only for tests that play days in
   * seconds (the scenario runs over WeCom): those limits are about real minutes.
   */
  pacing?: false;
  /** Where the sign-in pages are (tests: the fake server); default WeCom's own (oauth.ts). */
  oauth?: { oauthBase?: string; ssoBase?: string };
}

export const APP_CALLBACK_PATH = '/wecom/app/callback';
export const AIBOT_CALLBACK_PATH = '/wecom/aibot/callback';
export const KF_CALLBACK_PATH = '/wecom/kf/callback';

/** Builds the configured WeCom channels; [] when none is configured. Throws ConfigError on a half-set adapter. */
export function wecomPlugins(env: Record<string, string | undefined>, deps: WeComDeps): ChannelPlugin[] {
  const cfg: WeComConfig = loadWeComConfig(env);
  const plugins: ChannelPlugin[] = [];
  if (deps.pacing === false) deps = { ...deps, client: { ...deps.client, pacing: false } };
  const dataDir = deps.dataDir ?? path.resolve(env.DATA_DIR || './data');
  /** A client that may fetch the corp's media (media_ids are corp-wide): the app's, else the kf one's. */
  let mediaClient: WeComClient | undefined;
  if (cfg.app && cfg.corpId) {
    const log = deps.log?.child({ channel: 'wecom-app' });
    const client = new WeComClient({
      corpId: cfg.corpId, secret: cfg.app.secret, agentId: cfg.app.agentId, apiBase: cfg.apiBase, log, ...deps.client,
    });
    mediaClient = client;
    const channel = new WeComAppChannel({
      orgId: deps.orgId, client, log, clock: deps.clock,
      keys: { token: cfg.app.token, encodingAESKey: cfg.app.encodingAESKey, receiveId: cfg.corpId },
    });
    // Sign-in with WeCom (GET /admin/login/wecom) is the self-built app's: its corp id, agent id and token.
    const wecomLogin = new WeComOAuth({ client, agentId: cfg.app.agentId, ...deps.oauth, log });
    plugins.push({ channel, mount: (http) => { http.use(APP_CALLBACK_PATH, channel.router); }, wecomLogin });
  }
  if (cfg.aibot) {
    // `wecom-aibot` (teachers' groups): the long connection needs no URL; callback mode mounts /wecom/aibot/callback.
    const a = cfg.aibot;
    const log = deps.log?.child({ channel: 'wecom-aibot' });
    const base = { orgId: deps.orgId, log, clock: deps.clock, rooms: a.rooms };
    if (a.mode === 'long-connection') {
      const connection = (deps.aibotConnection ?? createSdkConnection)({ botId: a.botId!, secret: a.secret!, wsUrl: a.wsUrl, log });
      plugins.push({ channel: new WeComAibotLongConnection({ ...base, connection }) });
    } else {
      const channel = new WeComAibotCallbackChannel({
        ...base, callback: { token: a.token!, encodingAESKey: a.encodingAESKey! }, webhooks: a.webhooks,
        ...(deps.pacing === false ? { webhookLimits: false as const } : {}),
        recording: (id) => recordingBytes(id, path.resolve(dataDir, 'media'), mediaClient),
      });
      plugins.push({ channel, mount: (http) => { http.use(AIBOT_CALLBACK_PATH, channel.router); } });
    }
  }
  if (cfg.kf && cfg.corpId) {
    // `wecom-kf` (parents in WeChat): its own client, as the kf secret may be another app's than wecom-app's.
    const log = deps.log?.child({ channel: 'wecom-kf' });
    const client = new WeComClient({ corpId: cfg.corpId, secret: cfg.kf.secret, apiBase: cfg.apiBase, log, ...deps.client });
    mediaClient ??= client;
    const channel = new WeComKfChannel({
      orgId: deps.orgId, client, log, clock: deps.clock, dataDir, openKfId: cfg.kf.openKfId,
      keys: { token: cfg.kf.token, encodingAESKey: cfg.kf.encodingAESKey, receiveId: cfg.corpId },
    });
    plugins.push({ channel, mount: (http) => { http.use(KF_CALLBACK_PATH, channel.router); } });
  }
  if (cfg.school && cfg.corpId) {
    // `wecom-school` (学校通知): outbound only; the 家校通讯录 sync is an admin route.
    const log = deps.log?.child({ channel: 'wecom-school' });
    const client = new WeComClient({ corpId: cfg.corpId, secret: cfg.school.secret, agentId: cfg.school.agentId, apiBase: cfg.apiBase, log, ...deps.client });
    const channel = new WeComSchoolChannel({ orgId: deps.orgId, client, log, dataDir });
    const clock = deps.clock ?? systemClock;
    // The admin API mounts it (POST /api/wecom/school-sync): a channel offers the capability, the web layer its route.
    plugins.push({ channel, schoolSync: ({ dryRun }) => syncSchoolDirectory(client, { orgId: deps.orgId, now: clock.now(), dryRun, log }) });
  }
  return plugins;
}
