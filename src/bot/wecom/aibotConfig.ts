/**
 * The 智能机器人's settings (listed in .env.example), read by config.ts's loadWeComConfig:
 *
 * - Long connection (preferred: no public URL): WECOM_AIBOT_BOT_ID + WECOM_AIBOT_SECRET (智能机器人 → API模式 →
 *   长连接), optional WECOM_AIBOT_WS_URL for a private deployment.
 * - Callback URL: WECOM_AIBOT_TOKEN + WECOM_AIBOT_AES_KEY (API模式 → URL回调; the URL is /wecom/aibot/callback).
 * - Either mode: WECOM_AIBOT_ROOMS (`teachers=CHATID,hope-teachers=CHATID2`: our room names → group chat ids) and,
 *   for callback mode's posts nobody asked for, WECOM_AIBOT_ROOM_WEBHOOKS (`teachers=KEY` or `teachers=URL` of the
 *   group's 群机器人 webhook).
 *
 * A bot runs in one mode: setting both groups is refused, as is a half-set group or room lists without a bot.
 */
import { z } from 'zod';
import { invalidConfig, readGroup } from '../../config';
import { AES_KEY_PATTERN } from './callbackCrypto';

export interface WeComAibotConfig {
  mode: 'long-connection' | 'callback';
  botId?: string;
  secret?: string;
  wsUrl?: string;
  token?: string;
  encodingAESKey?: string;
  /** Room name → chat id. */
  rooms: Record<string, string>;
  /** Room name (or chat id) → full webhook URL. */
  webhooks: Record<string, string>;
}

const connection = z.object({
  WECOM_AIBOT_BOT_ID: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'the BotID shown on the bot\'s page (智能机器人 → API模式)'),
  WECOM_AIBOT_SECRET: z.string().min(8, 'the bot\'s Secret for the long connection (智能机器人 → API模式 → 长连接)'),
});

const callback = z.object({
  WECOM_AIBOT_TOKEN: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'the callback Token: up to 32 letters and digits'),
  WECOM_AIBOT_AES_KEY: z.string().regex(AES_KEY_PATTERN, 'the callback EncodingAESKey: exactly 43 letters and digits'),
});


function fail(name: string, message: string): never {
  invalidConfig([{ path: [name], message }]);
}

/** `a=b,c=d` (commas, semicolons or spaces between pairs; each split at its first "="). */
function parsePairs(name: string, value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of (value ?? '').split(/[,;\s]+/).filter(Boolean)) {
    const eq = item.indexOf('=');
    const key = item.slice(0, eq).trim();
    const val = item.slice(eq + 1).trim();
    if (eq <= 0 || !val || !/^[^\s=,;]{1,128}$/.test(key)) fail(name, `"${item.split('?')[0]}" is not ROOM=VALUE`);
    if (out[key] !== undefined) fail(name, `room "${key}" is listed twice`);
    out[key] = val;
  }
  return out;
}

function webhookUrl(name: string, room: string, value: string, apiBase: string): string {
  if (/^https?:\/\//i.test(value)) {
    try {
      return new URL(value).toString();
    } catch {
      fail(name, `room "${room}": not a URL`);
    }
  }
  // Never echo the key: it is a secret that lets anyone post to the group.
  if (!/^[A-Za-z0-9-]{8,128}$/.test(value)) fail(name, `room "${room}": expected the webhook key (the part after key= in the 群机器人's Webhook地址) or the whole address`);
  return `${apiBase.replace(/\/+$/, '')}/cgi-bin/webhook/send?key=${value}`;
}

export function readAibotConfig(env: Record<string, string | undefined>, apiBase: string): WeComAibotConfig | undefined {
  const conn = readGroup(env, connection, 'the WeCom AI bot\'s long connection');
  const cb = readGroup(env, callback, 'the WeCom AI bot\'s callback URL');
  const rooms = parsePairs('WECOM_AIBOT_ROOMS', env.WECOM_AIBOT_ROOMS);
  const hooks = parsePairs('WECOM_AIBOT_ROOM_WEBHOOKS', env.WECOM_AIBOT_ROOM_WEBHOOKS);
  if (conn && cb) fail('WECOM_AIBOT_*', 'set either WECOM_AIBOT_BOT_ID + WECOM_AIBOT_SECRET (long connection) or WECOM_AIBOT_TOKEN + WECOM_AIBOT_AES_KEY (callback URL), as the bot is set up in the admin console — not both');
  if (!conn && !cb) {
    const stray = ['WECOM_AIBOT_ROOMS', 'WECOM_AIBOT_ROOM_WEBHOOKS', 'WECOM_AIBOT_WS_URL'].find((n) => env[n]);
    if (stray) fail(stray, 'needs the AI bot itself: WECOM_AIBOT_BOT_ID + WECOM_AIBOT_SECRET, or WECOM_AIBOT_TOKEN + WECOM_AIBOT_AES_KEY');
    return undefined;
  }
  const chats = new Set<string>();
  for (const [room, chatid] of Object.entries(rooms)) {
    if (!/^[A-Za-z0-9_@.-]{1,128}$/.test(chatid)) fail('WECOM_AIBOT_ROOMS', `room "${room}": "${chatid}" is not a chat id`);
    if (chats.has(chatid)) fail('WECOM_AIBOT_ROOMS', `chat id "${chatid}" is given to two rooms`);
    chats.add(chatid);
  }
  const webhooks = Object.fromEntries(Object.entries(hooks).map(([room, v]) => [room, webhookUrl('WECOM_AIBOT_ROOM_WEBHOOKS', room, v, apiBase)]));
  const wsUrl = env.WECOM_AIBOT_WS_URL;
  if (wsUrl && !/^wss?:\/\/\S+$/i.test(wsUrl)) fail('WECOM_AIBOT_WS_URL', 'expected a wss:// address');
  if (wsUrl && !conn) fail('WECOM_AIBOT_WS_URL', 'is for the long connection (WECOM_AIBOT_BOT_ID + WECOM_AIBOT_SECRET)');
  return conn
    ? { mode: 'long-connection', botId: conn.WECOM_AIBOT_BOT_ID, secret: conn.WECOM_AIBOT_SECRET, wsUrl: wsUrl || undefined, rooms, webhooks }
    : { mode: 'callback', token: cb!.WECOM_AIBOT_TOKEN, encodingAESKey: cb!.WECOM_AIBOT_AES_KEY, rooms, webhooks };
}
