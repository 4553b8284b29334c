/**
 * Wechaty settings (see .env.example): the channel is on when WECHATY_PUPPET names a puppet. A bad value stops the
 * start with a ConfigError that names the variable, like every other setting.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { WechatyBuilder, log as wechatyLog, type WechatyOptions } from 'wechaty';
import type { ChannelPlugin } from '../app';
import { parseEnv, presentVars } from '../config';
import type { Logger } from '../log';
import { WechatyChannel, WechatyChannelOptions, WechatyPuppet } from './wechatyChannel';

const schema = z.object({
  WECHATY_PUPPET: z.string().regex(/^(@[a-z0-9-]+\/)?wechaty-puppet-[a-z0-9-]+$/, 'expected a puppet package name, e.g. wechaty-puppet-service'),
  WECHATY_PUPPET_SERVICE_TOKEN: z.string().min(8, 'too short for a puppet service token').max(512).optional(),
  WECHATY_NAME: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only').optional(),
}).superRefine((v, ctx) => {
  if (v.WECHATY_PUPPET === 'wechaty-puppet-service' && !v.WECHATY_PUPPET_SERVICE_TOKEN) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['WECHATY_PUPPET_SERVICE_TOKEN'], message: 'required when WECHATY_PUPPET is wechaty-puppet-service (the token your puppet service provider gave you)' });
  }
});

export type WechatyConfig = z.infer<typeof schema>;

/** Undefined when WECHATY_PUPPET is unset or empty: the channel is off. */
export function loadWechatyConfig(env: NodeJS.ProcessEnv = process.env): WechatyConfig | undefined {
  const present = presentVars(env, 'WECHATY_');
  if (!present.WECHATY_PUPPET) return undefined;
  return parseEnv(schema, present);
}

export interface WechatyDeps {
  orgId: string;
  dataDir: string;
  log: Logger;
  /** A ready puppet instance (tests: wechaty-puppet-mock); WECHATY_PUPPET then only switches the channel on. */
  puppet?: WechatyPuppet;
  onProcessed?: WechatyChannelOptions['onProcessed'];
}

export function wechatyPlugin(env: NodeJS.ProcessEnv, deps: WechatyDeps): ChannelPlugin | undefined {
  const cfg = loadWechatyConfig(env);
  if (!cfg) return undefined;
  // Wechaty logs through its own logger (brolog, stdout); keep it quieter than ours unless WECHATY_LOG says otherwise.
  if (!env.WECHATY_LOG) wechatyLog.level(deps.log.level === 'silent' ? 'silent' : deps.log.level === 'debug' || deps.log.level === 'trace' ? 'info' : 'warn');

  const options: WechatyOptions = deps.puppet
    ? { puppet: deps.puppet }
    : {
      puppet: cfg.WECHATY_PUPPET as Extract<WechatyOptions, { puppetOptions?: unknown }>['puppet'],
      puppetOptions: cfg.WECHATY_PUPPET_SERVICE_TOKEN ? { token: cfg.WECHATY_PUPPET_SERVICE_TOKEN } : {},
    };
  if (cfg.WECHATY_NAME) {
    // The name is where Wechaty keeps its session (memory card): DATA_DIR/wechaty/<name>.memory-card.json, not the cwd.
    const dir = path.resolve(deps.dataDir, 'wechaty');
    fs.mkdirSync(dir, { recursive: true });
    options.name = path.join(dir, cfg.WECHATY_NAME);
  }
  const wechaty = WechatyBuilder.build(options);
  return { channel: new WechatyChannel({ wechaty, orgId: deps.orgId, dataDir: deps.dataDir, log: deps.log, onProcessed: deps.onProcessed }) };
}
