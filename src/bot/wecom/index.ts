/**
 * The WeCom adapters that the environment configures, as ChannelPlugins for startApp. For now:
 * `wecom-app` (teachers 1:1), callback at `/wecom/app/callback`. kf, 学校通知 and aibot join here later.
 */
import type { ChannelPlugin } from '../../app';
import type { Clock } from '../../clock';
import type { Logger } from '../../log';
import { WeComAppChannel } from './appChannel';
import { WeComClient, WeComClientOptions } from './client';
import { loadWeComConfig, WeComConfig } from './config';

export interface WeComDeps {
  orgId: string;
  log?: Logger;
  /** Clock for the callbacks' replay window (default: real time). */
  clock?: Clock;
  /** Overrides for every client (tests: shorter backoff, own token cache). */
  client?: Partial<WeComClientOptions>;
}

export const APP_CALLBACK_PATH = '/wecom/app/callback';

/** Builds the configured WeCom channels; [] when none is configured. Throws ConfigError on a half-set adapter. */
export function wecomPlugins(env: Record<string, string | undefined>, deps: WeComDeps): ChannelPlugin[] {
  const cfg: WeComConfig = loadWeComConfig(env);
  const plugins: ChannelPlugin[] = [];
  if (cfg.app && cfg.corpId) {
    const log = deps.log?.child({ channel: 'wecom-app' });
    const client = new WeComClient({
      corpId: cfg.corpId, secret: cfg.app.secret, agentId: cfg.app.agentId, apiBase: cfg.apiBase, log, ...deps.client,
    });
    const channel = new WeComAppChannel({
      orgId: deps.orgId, client, log, clock: deps.clock,
      keys: { token: cfg.app.token, encodingAESKey: cfg.app.encodingAESKey, receiveId: cfg.corpId },
    });
    plugins.push({ channel, mount: (http) => { http.use(APP_CALLBACK_PATH, channel.router); } });
  }
  return plugins;
}

export { loadWeComConfig, isWeComConfigured } from './config';
export { WeComClient, TokenCache, Pacer } from './client';
export { WeComAppChannel } from './appChannel';
export { WeComRetryableError, WeComPermanentError, operatorMessage } from './errors';
