/**
 * Inbound normalisation, shared by every channel: what reaches the handlers is clean, bounded text. Control
 * characters, zero-width characters and direction overrides are removed (they can make a message display as
 * something else than what it says), line ends unified, and a text over MAX_INBOUND_CHARS cut to that length.
 * The `issue` tells the bot to answer with a clear message instead of running the handlers.
 */
import { stripInvisible } from '../humanInput';
import type { InboundMessage } from './channel';

/** Longer than any question, note or concern people write in a chat; a 100k-character paste is not one. */
export const MAX_INBOUND_CHARS = 2000;
const MAX_DISPLAY_NAME = 64;

/** Answered by `inbound.<issue>` (src/locales/inbound.ts) instead of the handlers. */
export type InboundIssue = 'tooLong' | 'empty';

export function normaliseInbound(msg: InboundMessage): { msg: InboundMessage; issue?: InboundIssue } {
  // Cut before cleaning too: a multi-megabyte text costs nothing more than a long one.
  let text = stripInvisible(String(msg.text ?? '').slice(0, MAX_INBOUND_CHARS * 4)).replace(/\r\n?/g, '\n').trim();
  const chars = Array.from(text);
  const tooLong = chars.length > MAX_INBOUND_CHARS || String(msg.text ?? '').length > MAX_INBOUND_CHARS * 4;
  if (tooLong) text = chars.slice(0, MAX_INBOUND_CHARS).join('');
  const displayName = msg.displayName === undefined ? undefined : Array.from(stripInvisible(msg.displayName).trim()).slice(0, MAX_DISPLAY_NAME).join('');
  const clean: InboundMessage = { ...msg, text, ...(msg.displayName === undefined ? {} : { displayName }) };
  if (tooLong) return { msg: clean, issue: 'tooLong' };
  if (!text && !msg.voice) return { msg: clean, issue: 'empty' };
  return { msg: clean };
}
