/**
 * The `wechaty` channel: one WeChat / WeCom account driven through a Wechaty puppet (DESIGN.md §3). Addresses are
 * the puppet's contact ids (1:1) and room ids (groups); a staff member's address must be their contact id there.
 *
 * Inbound: text and voice, 1:1 and rooms. In a room the bot only listens when it is @-mentioned, or when the text
 * starts with `#` (teachers answering a case, "#27 …"); everything else said in a group is not for the bot.
 * Voice files are saved under DATA_DIR/media/ and the file name is the `mediaId`, so a recording can be forwarded
 * later (to the teachers' room, to the pairing teacher) even after the platform's copy has expired.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { FileBox } from 'file-box';
import { qrcodeValueToImageUrl, types, type Wechaty, type Message, type Contact, type Room } from 'wechaty';
import type { Logger } from '../log';
import { Channel, ChannelCapabilities, InboundHandler, InboundMessage, OutboundMessage, PermanentSendError, RetryableSendError, SendResult } from './channel';

export type WechatyPuppet = Wechaty['puppet'];

export interface WechatyChannelOptions {
  /** A Wechaty instance (not started); the channel starts and stops it. */
  wechaty: Wechaty;
  orgId: string;
  /** Voice files are kept in `<dataDir>/media/`. */
  dataDir: string;
  log: Logger;
  /** Called once per platform message after it was handled or ignored (tests wait on it). */
  onProcessed?: (messageId: string, outcome: 'handled' | 'ignored' | 'failed') => void;
}

/** How a WeChat client shows a quoted reply in the text (padlocal and similar puppets): the quote, a dashed line, the reply. */
const QUOTE_SEPARATOR = /\n- - - - - - - - - - - - - - -\n/;
const NOT_FOUND = /not (exist|found)|no payload|unknown (contact|room)|invalid (contact|room)/i;
const VOICE_EXT: Record<string, string> = { 'audio/silk': '.sil', 'audio/amr': '.amr', 'audio/mpeg': '.mp3', 'audio/ogg': '.ogg', 'audio/wav': '.wav' };

export class WechatyChannel implements Channel {
  readonly name = 'wechaty';
  /**
   * The account's contacts and rooms. A quote arrives as text (dropped, no id); kept recordings are forwarded, the
   * recording of a text is not sent (yet).
   */
  readonly capabilities: ChannelCapabilities = { reaches: ['family', 'staff', 'room'], quotes: false, voice: true, audio: false };
  private onMessage?: InboundHandler;
  /** One chain per conversation+sender: a person's messages are handled in the order they were said. */
  private readonly queues = new Map<string, Promise<void>>();
  /** Parts of a message already sent (text before voice), so that a retry in this process does not repeat them. */
  private readonly partsSent = new Map<string, number>();
  private readonly listener = (m: Message): void => { this.enqueue(m); };

  constructor(private readonly opts: WechatyChannelOptions) {}

  get wechaty(): Wechaty {
    return this.opts.wechaty;
  }

  private get mediaDir(): string {
    return path.resolve(this.opts.dataDir, 'media');
  }

  async start(onMessage: InboundHandler): Promise<void> {
    this.onMessage = onMessage;
    const { wechaty, log } = this.opts;
    wechaty.on('message', this.listener);
    // A login QR code (puppets that need one) is logged for the operator to open; a puppet service needs none.
    wechaty.on('scan', (qrcode, status) => log.warn({ status, url: qrcodeValueToImageUrl(qrcode) }, 'wechaty: open this QR code and scan it to log in'));
    wechaty.on('login', (user) => log.info({ user: user.id }, 'wechaty: logged in'));
    wechaty.on('logout', (user) => log.warn({ user: user.id }, 'wechaty: logged out; sends wait until it logs in again'));
    wechaty.on('error', (err) => log.error({ err }, 'wechaty error'));
    await wechaty.start();
  }

  async stop(): Promise<void> {
    this.opts.wechaty.off('message', this.listener);
    await this.idle();
    this.onMessage = undefined;
    await this.opts.wechaty.stop();
  }

  /** Resolves when every inbound message received so far has been handled. */
  async idle(): Promise<void> {
    while (this.queues.size) await Promise.all([...this.queues.values()]);
  }

  private enqueue(m: Message): void {
    let key = m.id;
    try { key = `${m.room()?.id ?? ''}:${m.talker().id}`; } catch { /* no talker: a chain of its own */ }
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.then(() => this.process(m));
    this.queues.set(key, next);
    void next.finally(() => { if (this.queues.get(key) === next) this.queues.delete(key); });
  }

  private async process(m: Message): Promise<void> {
    let outcome: 'handled' | 'ignored' | 'failed' = 'ignored';
    try {
      const msg = await this.toInbound(m);
      if (msg && this.onMessage) {
        await this.onMessage(msg);
        outcome = 'handled';
      }
    } catch (err) {
      outcome = 'failed';
      this.opts.log.error({ err, channel: this.name, platformId: m.id }, 'wechaty: inbound message failed');
    }
    this.opts.onProcessed?.(m.id, outcome);
  }

  /** The message as the bot sees it, or undefined when it is not for the bot. */
  private async toInbound(m: Message): Promise<InboundMessage | undefined> {
    if (m.self()) return undefined;
    const type = m.type();
    if (type !== types.Message.Text && type !== types.Message.Audio) return undefined;
    const talker = m.talker();
    const room = m.room();
    let text = type === types.Message.Text ? m.text() : '';
    let mentions: string[] = [];
    if (room) {
      const selfId = this.wechaty.currentUser.id;
      const mentioned = await m.mentionList();
      mentions = mentioned.map((c) => c.id).filter((id) => id !== selfId);
      // mentionText() drops the "@name" parts, so "@助手 #27 明天去" reads "#27 明天去".
      if (type === types.Message.Text) text = await m.mentionText();
      const forUs = mentioned.some((c) => c.id === selfId) || /^[#＃]/.test(stripQuote(text).trim());
      if (!forUs) return undefined;
    }
    text = stripQuote(text).trim();
    const voice = type === types.Message.Audio ? await this.keepVoice(m) : undefined;
    return {
      channel: this.name, orgId: this.opts.orgId, from: talker.id, room: room?.id, text, mentions,
      ...(voice ? { voice } : {}),
      platformId: m.id, displayName: talker.name() || undefined, at: m.date(),
    };
  }

  /** Saves the recording to DATA_DIR/media/wechaty-<message id>.<ext>; that file name is the media id. */
  private async keepVoice(m: Message): Promise<InboundMessage['voice']> {
    try {
      const box = await m.toFileBox();
      const ext = (path.extname(box.name) || VOICE_EXT[box.mediaType] || '.sil').toLowerCase();
      const mediaId = `wechaty-${m.id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100)}${ext.replace(/[^.a-z0-9]/g, '')}`;
      await fs.mkdir(this.mediaDir, { recursive: true });
      const tmp = path.join(this.mediaDir, `.${mediaId}.tmp`);
      const data = await box.toBuffer();
      await fs.writeFile(tmp, data);
      await fs.rename(tmp, path.join(this.mediaDir, mediaId));
      return { mediaId, format: ext.slice(1), data };
    } catch (err) {
      // The message still reaches the bot (as an empty voice message) rather than vanishing.
      this.opts.log.error({ err, platformId: m.id }, 'wechaty: could not keep a voice message');
      return { format: 'unknown' };
    }
  }

  async send(msg: OutboundMessage): Promise<SendResult> {
    const w = this.wechaty;
    if (!w.isLoggedIn) throw new RetryableSendError('wechaty: the account is not logged in');
    const voice = msg.voice ? await this.voiceBox(msg.voice.mediaId) : undefined;
    const text = msg.text.trim() ? msg.text : '';
    if (!text && !voice) {
      if (msg.voice) throw new PermanentSendError(`wechaty: voice file "${msg.voice.mediaId}" is not kept here and there is no text`);
      return { route: this.name };
    }

    const room = msg.room ? await this.find('room', msg.room) : undefined;
    const conversation: Room | Contact = room ?? await this.find('contact', msg.to);
    const done = this.partsSent.get(msg.key) ?? 0;
    let platformMsgId: string | undefined;
    try {
      if (text && done < 1) {
        platformMsgId = room && msg.mentions?.length
          ? await this.sayWithMentions(room, text, msg.mentions)
          : (await conversation.say(text))?.id;
        this.partsSent.set(msg.key, 1);
      }
      if (voice) {
        const sent = await conversation.say(voice);
        platformMsgId ??= sent?.id;
      }
    } catch (err) {
      const e = classify(err, `wechaty: send to ${msg.room ? 'room' : 'contact'} ${msg.room ?? msg.to}`);
      if (e instanceof PermanentSendError) this.partsSent.delete(msg.key);
      throw e;
    }
    this.partsSent.delete(msg.key);
    return { route: this.name, platformMsgId };
  }

  /**
   * Room.say(text, ...contacts) always puts "@name" in front; our texts already place the mention where the
   * template wants it, so the puppet gets the text (with any missing "@name" added) and the ids to notify.
   */
  private async sayWithMentions(room: Room, text: string, mentionIds: string[]): Promise<string | undefined> {
    const contacts: Contact[] = [];
    for (const id of mentionIds) {
      const c = await this.wechaty.Contact.find({ id }).catch(() => undefined);
      if (c) contacts.push(c);
    }
    const missing: string[] = [];
    for (const c of contacts) {
      const name = (await room.alias(c).catch(() => undefined)) || c.name();
      if (!text.includes(`@${name}`)) missing.push(`@${name}`);
    }
    const full = missing.length ? `${missing.join('\u2005')} ${text}` : text;
    return (await this.wechaty.puppet.messageSendText(room.id, full, contacts.map((c) => c.id))) ?? undefined;
  }

  private async find(kind: 'room', id: string): Promise<Room>;
  private async find(kind: 'contact', id: string): Promise<Contact>;
  private async find(kind: 'room' | 'contact', id: string) {
    const { puppet, Room, Contact } = this.wechaty;
    try {
      // Room/Contact.find() turn every lookup error into "not found"; the puppet's own error tells an unknown id
      // (never retried) from a puppet service that is briefly away (retried).
      if (kind === 'room') await puppet.roomPayload(id);
      else await puppet.contactPayload(id);
    } catch (err) {
      throw classify(err, `wechaty: ${kind} ${id}`);
    }
    const found = kind === 'room' ? await Room.find({ id }) : await Contact.find({ id });
    if (!found) throw new RetryableSendError(`wechaty: ${kind} ${id} could not be loaded`);
    return found;
  }

  /** A kept recording as a FileBox; base64 so that any puppet (and the mock) can carry it. */
  private async voiceBox(mediaId: string): Promise<FileBox | undefined> {
    // Only our own file names: a media id from another channel is not a path here.
    if (!/^[A-Za-z0-9_.-]+$/.test(mediaId) || mediaId.startsWith('.')) return undefined;
    try {
      const buf = await fs.readFile(path.join(this.mediaDir, mediaId));
      return FileBox.fromBase64(buf.toString('base64'), mediaId);
    } catch {
      this.opts.log.warn({ mediaId }, 'wechaty: voice file not found, sending the text only');
      return undefined;
    }
  }
}

function stripQuote(text: string): string {
  const parts = text.split(QUOTE_SEPARATOR);
  return parts[parts.length - 1];
}

/** Unknown recipient → never retried; anything else (puppet service down, network, not logged in) → retried. */
function classify(err: unknown, what: string): Error {
  if (err instanceof PermanentSendError || err instanceof RetryableSendError) return err;
  const reason = (err as Error)?.message ?? String(err);
  return NOT_FOUND.test(reason) ? new PermanentSendError(`${what}: ${reason}`) : new RetryableSendError(`${what}: ${reason}`);
}
