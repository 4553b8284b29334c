/**
 * The 智能机器人 (AI bot) message shapes and the mapping shared by its two modes (callback URL and long
 * connection): the same JSON body arrives either decrypted from the callback or as a WebSocket frame's `body`.
 *
 * Sources (../shared/wecom-api.md §6): D100719 接收消息 (msgid, aibotid, chatid for groups only, chattype
 * single|group, from.userid, create_time, response_url, msgtype text|image|mixed|voice|file, `text.content`
 * with the "@Bot …" prefix, `mixed.msg_item[]`, `voice.content` already transcribed, `quote{msgtype, text|
 * image|mixed|voice|file}`), the types of `@wecom/aibot-node-sdk` (src/types/message.ts, the same fields).
 * The quote carries the quoted CONTENT only, no id of the quoted message: see aibotQuote.ts.
 */

interface AibotText { content: string }

interface AibotMixedItem { msgtype: string; text?: AibotText; image?: { url?: string } }

export interface AibotQuote {
  msgtype?: string;
  text?: AibotText;
  mixed?: { msg_item?: AibotMixedItem[] };
  voice?: AibotText;
}

/** A decrypted callback body / a long-connection frame body (only the fields we use). */
export interface AibotMessage {
  msgid: string;
  aibotid?: string;
  chatid?: string;
  chattype?: 'single' | 'group' | string;
  from?: { userid?: string };
  create_time?: number;
  response_url?: string;
  msgtype: string;
  text?: AibotText;
  mixed?: { msg_item?: AibotMixedItem[] };
  voice?: AibotText;
  quote?: AibotQuote;
  event?: { eventtype?: string };
}

/** Checks the minimum shape of a body; anything else is refused (callback) or skipped (frame). */
export function isAibotMessage(v: unknown): v is AibotMessage {
  if (!v || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return typeof o.msgid === 'string' && o.msgid.length > 0 && o.msgid.length <= 256 && typeof o.msgtype === 'string';
}

function mixedText(items: AibotMixedItem[] | undefined): string {
  return (items ?? []).filter((i) => i.msgtype === 'text' && typeof i.text?.content === 'string').map((i) => i.text!.content).join('\n');
}

/** The words of a message: text, the text parts of 图文混排, or the transcript of a voice message (1:1 only). */
export function messageText(m: AibotMessage): string | undefined {
  if (m.msgtype === 'text' && typeof m.text?.content === 'string') return m.text.content;
  if (m.msgtype === 'mixed') return mixedText(m.mixed?.msg_item);
  if (m.msgtype === 'voice' && typeof m.voice?.content === 'string') return m.voice.content;
  return undefined;
}

/** The words of the quoted message ('' for a quoted image or file). */
export function quoteText(q: AibotQuote | undefined): string {
  if (!q) return '';
  if (typeof q.text?.content === 'string') return q.text.content;
  if (q.mixed) return mixedText(q.mixed.msg_item);
  if (typeof q.voice?.content === 'string') return q.voice.content;
  return '';
}

/**
 * WeCom clients end an @-mention with U+2005 (four-per-em space); typed by hand it is an ordinary space.
 * In a group the bot only hears messages that @-mention it, and the payload's text keeps that "@Bot " — the bot's
 * name is not in the payload, so the LEADING mentions are dropped (every one: "@Bot @张丽 #27 …" is still about
 * #27), and one mention at the very end ("#27 收到 @Bot"). Mentions inside the text stay: they are the teacher's words.
 */
const LEADING_MENTIONS = /^(?:[\s\u2005]*@[^\s\u2005@]+[\s\u2005]+)+/u;
const TRAILING_MENTION = /[\s\u2005]+@[^\s\u2005@]+[\s\u2005]*$/u;

export function stripMentions(text: string): string {
  // Zero-width characters (ours from toMarkdown, when a teacher copies a line of a post) would hide a leading "#27".
  let out = text.replace(/[\u200b-\u200d\u2060\ufeff]/g, '').replace(LEADING_MENTIONS, '');
  // A message that is only "@Bot" has nothing left once the leading rule runs; the lone mention goes too.
  if (/^[\s\u2005]*@[^\s\u2005@]+[\s\u2005]*$/u.test(out)) return '';
  out = out.replace(TRAILING_MENTION, '');
  return out.replace(/\u2005/g, ' ').trim();
}

/**
 * Our room names (School.teacherRoom, e.g. `teachers`) ↔ WeCom chat ids (e.g. `wrkSFfCgAA…`), from
 * WECOM_AIBOT_ROOMS. A chat id not in the map is its own room name, so a school may also put the chat id itself
 * into its 教师群 column.
 */
export class RoomBook {
  private readonly byChat = new Map<string, string>();
  private readonly byRoom = new Map<string, string>();

  constructor(rooms: Record<string, string> = {}) {
    for (const [room, chatid] of Object.entries(rooms)) {
      this.byRoom.set(room, chatid);
      this.byChat.set(chatid, room);
    }
  }

  roomOf(chatid: string): string {
    return this.byChat.get(chatid) ?? chatid;
  }

  chatidOf(room: string): string {
    return this.byRoom.get(room) ?? room;
  }

  /** Whether this chat id has a room name configured. */
  knows(chatid: string): boolean {
    return this.byChat.has(chatid);
  }

  names(): string[] {
    return [...this.byRoom.keys()];
  }
}

/**
 * Our plain text as WeCom markdown (the only text type of the response_url reply and the long connection's
 * aibot_send_msg; stream replies are markdown too). Our texts are plain: characters that would start markdown
 * structure at the beginning of a line ("# " heading — "#27" is not one, > quote, - * + list, 1. list, ``` code) get a zero-width space
 * in front so that they show as written — whether WeCom honours backslash escapes is not documented.
 * Mentions are the `<@userid>` extension of group-robot markdown (D91770 群机器人配置说明: "text/markdown类型消息支持在
 * content中使用<@userid>扩展语法"); that the AI bot's markdown honours it too is an assumption (unconfirmed).
 */
export function toMarkdown(text: string, mentions: string[] = []): string {
  const body = text.split('\n').map((line) => (/^\s*(#{1,6}\s|>|[-*+]\s|\d+[.)]\s|```)/.test(line) ? `\u200b${line}` : line)).join('\n');
  const tags = mentions.filter((u) => /^[A-Za-z0-9_@.-]{1,64}$/.test(u) && !body.includes(`<@${u}>`)).map((u) => `<@${u}>`);
  return tags.length ? `${body}\n${tags.join(' ')}` : body;
}

/** Text reduced for comparing a quote with what we posted: no mentions, markup, spaces or zero-width characters. */
export function normalizeForMatch(text: string): string {
  return text
    .replace(/<@[^>]*>/g, '')
    .replace(/@[^\s\u2005@]+[\s\u2005]/gu, '')
    .replace(/[\u200b-\u200d\u2060\ufeff]/g, '')
    .replace(/[\s\u2005*_`>]+/gu, '');
}
