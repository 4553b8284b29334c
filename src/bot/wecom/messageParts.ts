/**
 * An outbound message as WeCom API calls: its text cut to the byte limit, then the recording. A retry after a
 * partial failure resumes where it stopped, so nobody gets the first half twice.
 */
import type { Logger } from '../../log';
import { OutboundMessage, PermanentSendError } from '../channel';
import { WeComPermanentError } from './errors';

/** message/send text limit (D90236). */
const TEXT_MAX_BYTES = 2048;

/** Splits text into pieces of at most `maxBytes` UTF-8 bytes, preferring line breaks. */
export function splitBytes(text: string, maxBytes = TEXT_MAX_BYTES): string[] {
  const out: string[] = [];
  let rest = text;
  while (Buffer.byteLength(rest) > maxBytes) {
    let cut = 0;
    let bytes = 0;
    for (const ch of rest) {
      const b = Buffer.byteLength(ch);
      if (bytes + b > maxBytes) break;
      bytes += b;
      cut += ch.length;
    }
    const nl = rest.lastIndexOf('\n', cut);
    if (nl > cut / 2) cut = nl + 1;
    out.push(rest.slice(0, cut).replace(/\n$/, ''));
    rest = rest.slice(cut);
  }
  if (rest || !out.length) out.push(rest);
  return out;
}

export type Part = { kind: 'text'; content: string } | { kind: 'voice'; mediaId: string };

/**
 * The caption first, so the recording arrives with its context; then the forwarded voice, then the recording of
 * the text itself (`speechId`: the media_id of msg.audio, uploaded by speechMedia.ts; undefined if it could not be).
 */
export function partsOf(msg: OutboundMessage, channel: string, speechId?: string): Part[] {
  const parts: Part[] = [];
  if (msg.text.trim()) for (const content of splitBytes(msg.text)) parts.push({ kind: 'text', content });
  if (msg.voice?.mediaId) parts.push({ kind: 'voice', mediaId: msg.voice.mediaId });
  if (speechId) parts.push({ kind: 'voice', mediaId: speechId });
  if (!parts.length) throw new PermanentSendError(`${channel}: empty message`);
  return parts;
}

/** Recordings WeCom refuses for good (expired after 3 days, not AMR, over 60 s): the caption alone is the delivery. */
const VOICE_REFUSED = [40007, 301017, 45007];

export class PartProgress {
  private readonly done = new Map<string, Set<number>>();

  constructor(private readonly channel: string, private readonly log?: Logger) {}

  /** Sends the parts not sent yet for `key` (`sendOne` gets each with its index); returns the last platform message id. */
  async send(key: string, parts: Part[], sendOne: (part: Part, index: number) => Promise<{ msgid?: string }>): Promise<string | undefined> {
    const done = this.done.get(key) ?? new Set<number>();
    let platformMsgId: string | undefined;
    for (const [i, part] of parts.entries()) {
      if (done.has(i)) continue;
      try {
        platformMsgId = (await sendOne(part, i)).msgid ?? platformMsgId;
      } catch (err) {
        if (part.kind === 'voice' && done.size && err instanceof WeComPermanentError && VOICE_REFUSED.includes(err.errcode ?? 0)) {
          this.log?.warn({ channel: this.channel, key, err: err.message }, 'voice not forwarded; the text went alone');
          break;
        }
        if (done.size) this.remember(key, done);
        throw err;
      }
      done.add(i);
    }
    this.done.delete(key);
    return platformMsgId;
  }

  private remember(key: string, done: Set<number>): void {
    this.done.set(key, done);
    // Bounded: a message that never succeeds must not keep memory forever.
    if (this.done.size > 1000) this.done.delete(this.done.keys().next().value as string);
  }
}
