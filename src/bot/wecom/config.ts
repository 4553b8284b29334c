/**
 * WeCom settings from the environment (listed in .env.example). An adapter is "configured" when all its
 * variables are set; a half-configured adapter stops the start with a ConfigError naming what is missing,
 * because silently falling back to the simulator would leave a school wondering why nothing arrives.
 * Other adapters (kf, 学校通知, aibot) add their own group beside `app` the same way.
 */
import { z } from 'zod';
import { invalidConfig, parseEnv, presentVars, readGroup } from '../../config';
import { readAibotConfig, WeComAibotConfig } from './aibotConfig';
import { AES_KEY_PATTERN } from './callbackCrypto';
import { DEFAULT_API_BASE } from './client';

interface WeComAppConfig {
  agentId: number;
  secret: string;
  token: string;
  encodingAESKey: string;
}

/** 微信客服 (`wecom-kf`): an app allowed to call the kf APIs, the kf callback, and the kf account. */
interface WeComKfConfig {
  secret: string;
  token: string;
  encodingAESKey: string;
  openKfId: string;
}

/** 学校通知 (`wecom-school`): the 家校 app (in 家长可使用的应用). */
interface WeComSchoolConfig {
  agentId: number;
  secret: string;
}

export interface WeComConfig {
  corpId?: string;
  apiBase: string;
  /** The self-built app (teachers 1:1): set when every WECOM_APP_* variable is. */
  app?: WeComAppConfig;
  /** 微信客服 for parents: set when every WECOM_KF_* variable is. */
  kf?: WeComKfConfig;
  /** 学校通知 for parents: set when every WECOM_SCHOOL_* variable is. */
  school?: WeComSchoolConfig;
  /** The 智能机器人 in the teachers' groups (aibotConfig.ts): long connection or callback URL. */
  aibot?: WeComAibotConfig;
}

const base = z.object({
  WECOM_CORP_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'the CorpID from 我的企业 → 企业信息 (e.g. ww0123456789abcdef)').optional(),
  WECOM_API_BASE: z.string().url('expected a URL such as https://qyapi.weixin.qq.com').default(DEFAULT_API_BASE),
});

const app = z.object({
  WECOM_APP_AGENT_ID: z.coerce.number().int().positive('the AgentId shown on the app page (a number such as 1000002)'),
  WECOM_APP_SECRET: z.string().min(8, 'the app\'s Secret from its page in the admin console'),
  WECOM_APP_TOKEN: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'the callback Token: up to 32 letters and digits'),
  WECOM_APP_AES_KEY: z.string().regex(AES_KEY_PATTERN, 'the callback EncodingAESKey: exactly 43 letters and digits'),
});

const kf = z.object({
  WECOM_KF_SECRET: z.string().min(8, 'the Secret of an app listed in 微信客服 → 可调用接口的应用 (or the 微信客服 Secret)'),
  WECOM_KF_TOKEN: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'the kf callback Token: up to 32 letters and digits'),
  WECOM_KF_AES_KEY: z.string().regex(AES_KEY_PATTERN, 'the kf callback EncodingAESKey: exactly 43 letters and digits'),
  WECOM_KF_OPEN_KFID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'the 客服账号ID (open_kfid, starts with wk) of the API-managed kf account'),
});

const school = z.object({
  WECOM_SCHOOL_AGENT_ID: z.coerce.number().int().positive('the AgentId of the 家校 app (a number such as 1000005)'),
  WECOM_SCHOOL_SECRET: z.string().min(8, 'the 家校 app\'s Secret from its page in the admin console'),
});


export function loadWeComConfig(env: Record<string, string | undefined> = process.env): WeComConfig {
  const present = presentVars(env);
  const baseVars = parseEnv(base, present);
  const appVars = readGroup(present, app, 'the WeCom self-built app');
  const corpId = baseVars.WECOM_CORP_ID;
  if (appVars && !corpId) invalidConfig([{ path: ['WECOM_CORP_ID'], message: 'required when WECOM_APP_* is set' }]);
  const kfVars = readGroup(present, kf, '微信客服 (wecom-kf)');
  const schoolVars = readGroup(present, school, '学校通知 (wecom-school)');
  if ((kfVars || schoolVars) && !corpId) invalidConfig([{ path: ['WECOM_CORP_ID'], message: `required when ${kfVars ? 'WECOM_KF_*' : 'WECOM_SCHOOL_*'} is set` }]);
  return {
    corpId,
    apiBase: baseVars.WECOM_API_BASE,
    app: appVars && {
      agentId: appVars.WECOM_APP_AGENT_ID,
      secret: appVars.WECOM_APP_SECRET,
      token: appVars.WECOM_APP_TOKEN,
      encodingAESKey: appVars.WECOM_APP_AES_KEY,
    },
    kf: kfVars && {
      secret: kfVars.WECOM_KF_SECRET, token: kfVars.WECOM_KF_TOKEN, encodingAESKey: kfVars.WECOM_KF_AES_KEY, openKfId: kfVars.WECOM_KF_OPEN_KFID,
    },
    school: schoolVars && { agentId: schoolVars.WECOM_SCHOOL_AGENT_ID, secret: schoolVars.WECOM_SCHOOL_SECRET },
    aibot: readAibotConfig(present, baseVars.WECOM_API_BASE),
  };
}

/** True when at least one WeCom adapter is configured (npm start then uses WeCom rather than the simulator). */
export function isWeComConfigured(cfg: WeComConfig): boolean {
  return Boolean(cfg.app || cfg.aibot || cfg.kf || cfg.school);
}
