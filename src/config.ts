/** Every setting comes from the environment (listed in .env.example); a bad value stops the start and names the variable. */
import crypto from 'node:crypto';
import { z } from 'zod';

const bool = z.enum(['0', '1', 'true', 'false', 'yes', 'no', '']).transform((v) => v === '1' || v === 'true' || v === 'yes');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM-HH:MM, e.g. 21:30-07:30');

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'expected a mongodb:// or mongodb+srv:// URI').optional(),
  MONGODB_DB: z.string().regex(/^[A-Za-z0-9_-]{1,60}$/, 'letters, digits, _ and - only').default('liushou'),
  DATA_DIR: z.string().min(1).default('./data'),
  /** Where staff open the console (sign-in links); default http://127.0.0.1:{PORT}. */
  PUBLIC_URL: z.string().url().regex(/^https?:\/\//, 'expected an http:// or https:// address').optional(),
  ADMIN_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  DEMO: bool.default('0'),
  /** auto = on only when no WeCom or Wechaty channel is configured. */
  SIMULATOR: z.enum(['auto', '0', '1']).default('auto'),
  ORG_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('default'),
  ORG_NAME: z.string().min(1).default('示范县教育局'),
  TIME_ZONE: z.string().default('Asia/Shanghai').refine(isTimeZone, 'unknown IANA time zone'),
  QUIET_HOURS: hhmm.default('21:30-07:30'),
  DEFAULT_LANG: z.enum(['zh-CN', 'en']).default('zh-CN'),
  SHOW_TEACHER_PHONE: bool.default('0'),
  BIND_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  BIND_LOCK_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(60),
  /** Org-wide: this many wrong codes (any addresses) within the window pause code binding for new addresses. */
  BIND_ORG_MAX_FAILURES: z.coerce.number().int().min(1).max(100_000).default(30),
  BIND_ORG_WINDOW_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(10),
  BIND_ORG_PAUSE_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(60),
  DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(12),
  DELIVERY_CLAIM_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(32),
  /**
   * The 微信客服 link families open to reach the bot (https://work.weixin.qq.com/kfid/…): printed as a QR code on the
   * contact cards. Unset: the cards say in words where to send the code.
   */
  WECOM_KF_LINK: z.string().url().regex(/^https:\/\/\S+$/, 'expected the https:// link of the 微信客服 account (微信客服 → the account → 客服链接)')
    .max(500, 'at most 500 characters (it must fit a QR code)').optional(),
  /**
   * The Chinese font the printable cards (PDF) embed: a .ttf, .otf or .ttc with Chinese glyphs. Unset: Debian's
   * fonts-noto-cjk (and a few other common places) are looked for.
   */
  CJK_FONT_PATH: z.string().min(1).optional(),
  /** Recordings of voice-style messages: auto = espeak when espeak-ng and sox are installed, else none. */
  SPEECH_PROVIDER: z.enum(['auto', 'espeak', 'tencent', 'none']).default('auto'),
  /** Pace of the recordings, 1 = the provider's normal; a little slower suits older listeners. */
  SPEECH_SPEED: z.coerce.number().min(0.5, 'at least 0.5').max(2, 'at most 2').default(0.9),
  TENCENTCLOUD_SECRET_ID: z.string().min(1).optional(),
  TENCENTCLOUD_SECRET_KEY: z.string().min(1).optional(),
  TENCENTCLOUD_REGION: z.string().regex(/^[a-z]+(-[a-z]+)+$/, 'a region such as ap-guangzhou').default('ap-guangzhou'),
  SPEECH_TENCENT_VOICE_TYPE: z.coerce.number().int().min(0).default(101001),
  SPEECH_TENCENT_ENDPOINT: z.string().regex(/^(https?:\/\/)?[A-Za-z0-9.-]+(:\d+)?\/?$/, 'a host (tts.tencentcloudapi.com) or http(s)://host:port').optional(),
  /** Understanding guardians' voice messages: tencent = Tencent Cloud 一句话识别; none = forwarded as recordings. */
  SPEECH_RECOGNITION: z.enum(['tencent', 'none']).default('none'),
  /** Tencent's recognition engine: 8k_zh suits WeCom's 8 kHz AMR voice messages. */
  SPEECH_ASR_ENGINE: z.string().regex(/^(8k|16k)_[a-z_]+$/, 'an engine such as 8k_zh or 16k_zh_dialect').default('8k_zh'),
  SPEECH_ASR_ENDPOINT: z.string().regex(/^(https?:\/\/)?[A-Za-z0-9.-]+(:\d+)?\/?$/, 'a host (asr.tencentcloudapi.com) or http(s)://host:port').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
}).superRefine((c, ctx) => {
  if (c.SPEECH_PROVIDER !== 'tencent' && c.SPEECH_RECOGNITION !== 'tencent') return;
  for (const name of ['TENCENTCLOUD_SECRET_ID', 'TENCENTCLOUD_SECRET_KEY'] as const) {
    if (!c[name]) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [name], message: 'required with SPEECH_PROVIDER=tencent or SPEECH_RECOGNITION=tencent' });
  }
});

export type Config = z.infer<typeof schema> & { adminTokenGenerated: boolean };

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export class ConfigError extends Error {}

/** Stops the start naming each variable and what is wrong with it; every config loader says it the same way. */
export function invalidConfig(issues: Array<{ path: PropertyKey[]; message: string }>): never {
  throw new ConfigError(`Invalid configuration:\n${issues.map((i) => `  ${i.path.map(String).join('.')}: ${i.message}`).join('\n')}`);
}

/** The variables that are set (an empty variable in .env means "use the default"), optionally of one prefix. */
export function presentVars(env: Record<string, string | undefined>, prefix = ''): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[0].startsWith(prefix) && e[1] !== undefined && e[1] !== ''));
}

/** Parses the variables with `schema`, or stops the start saying which are wrong (see invalidConfig). */
export function parseEnv<T extends z.ZodTypeAny>(schema: T, vars: Record<string, string | undefined>): z.infer<T> {
  const parsed = schema.safeParse(vars);
  if (!parsed.success) invalidConfig(parsed.error.issues);
  return parsed.data;
}

/**
 * One adapter's group of variables: undefined when none of them is set, a ConfigError naming the missing ones when
 * only some are (`what` says whose they are).
 */
export function readGroup<S extends z.ZodRawShape>(env: Record<string, string | undefined>, schema: z.ZodObject<S>, what: string): z.infer<z.ZodObject<S>> | undefined {
  const names = Object.keys(schema.shape);
  const set = names.filter((n) => env[n]);
  if (!set.length) return undefined;
  const missing = names.filter((n) => !env[n]);
  if (missing.length) {
    invalidConfig(missing.map((n) => ({ path: [n], message: `required for ${what} (because ${set.join(', ')} ${set.length > 1 ? 'are' : 'is'} set)` })));
  }
  return parseEnv(schema, Object.fromEntries(names.map((n) => [n, env[n]])));
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const data = parseEnv(schema, presentVars(env));
  const generated = !data.ADMIN_TOKEN;
  return {
    ...data,
    ADMIN_TOKEN: data.ADMIN_TOKEN ?? crypto.randomBytes(18).toString('base64url'),
    adminTokenGenerated: generated,
  };
}
