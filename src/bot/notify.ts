/**
 * Pushing a message to someone (not a reply): rendered in the recipient's language and style, split for voice,
 * held until quiet hours end unless urgent, and written to the outbox under an idempotency key.
 */
import { Style, T, translator, Lang } from '../locales';
import { splitVoice } from '../locales/voice';
import { afterQuietHours } from '../localTime';
import { enqueueMany, noticeKeyUsed, OutboxItem } from './outbox';
import { resolvePerson } from './sender';

export interface Audience { orgId: string; orgLang: Lang; quietHours: string; timeZone: string }

export interface Notice {
  to: string;
  /** Idempotency key: a notice with the same key goes out once, ever. */
  key: string;
  kind: string;
  render: (t: T) => string;
  room?: string;
  urgent?: boolean;
  /** Force a style (rooms are always text); default: the recipient's own. */
  style?: Style;
  /** Forward a voice recording along with the text. */
  voiceMediaId?: string;
  /** Addresses to @-mention (room posts). */
  mentions?: string[];
}

/** The recipient's translator and style, for composing a message to them. */
export async function recipient(aud: Audience, address: string): Promise<{ t: T; style: Style; kind: string }> {
  const p = await resolvePerson(aud.orgId, address, aud.orgLang);
  return { t: translator(p.lang, p.style), style: p.style, kind: p.kind };
}

/** Returns false when a notice with this key was already in the outbox. */
export async function notify(aud: Audience, now: Date, notice: Notice): Promise<boolean> {
  // The jobs derive their notices afresh every minute: one already sent costs a lookup of its key, not the
  // recipient's records, a rendering and an insert that the key then refuses — at county size that was thousands
  // of wasted writes a minute.
  if (await noticeKeyUsed(aud.orgId, notice.key)) return false;
  const who = notice.style ? { t: translator(aud.orgLang, notice.style), style: notice.style } : await recipient(aud, notice.to);
  return enqueueText(aud, now, notice, notice.render(who.t), who.style);
}

export async function enqueueText(aud: Audience, now: Date, notice: Omit<Notice, 'render'>, text: string, style: Style): Promise<boolean> {
  return (await enqueueMany(noticeItems(aud, now, notice, text, style))).some(Boolean);
}

/** The outbox documents of one notice: one, or the pieces of a voice message (each under its own key). */
export function noticeItems(aud: Audience, now: Date, notice: Omit<Notice, 'render'>, text: string, style: Style): OutboxItem[] {
  const dueAt = notice.urgent ? now : afterQuietHours(now, aud.quietHours, aud.timeZone);
  const parts = style === 'voice' ? splitVoice(text) : [text];
  return parts.map((piece, i) => ({
    orgId: aud.orgId,
    key: parts.length > 1 ? `${notice.key}:${i}` : notice.key,
    to: notice.to,
    room: notice.room,
    text: piece,
    style,
    kind: notice.kind,
    urgent: notice.urgent,
    dueAt,
    // The recording and mentions go with the first piece only.
    ...(i === 0 && notice.voiceMediaId ? { voiceMediaId: notice.voiceMediaId } : {}),
    ...(i === 0 && notice.mentions?.length ? { mentions: notice.mentions } : {}),
  }));
}
