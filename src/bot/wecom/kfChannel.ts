/**
 * `wecom-kf` (微信客服): parents and guardians chat from their own WeChat with the school's kf account
 * (../shared/wecom-api.md §5).
 *
 * In: the kf callback (`/wecom/kf/callback`, same encrypted XML as the app callback) only says "there is
 * something": event `kf_msg_or_event` with a `Token` (valid 10 min) and the `OpenKfId`. We then pull with
 * `kf/sync_msg` from the cursor persisted in MongoDB (models/kfCursor.ts), page after page until `has_more` is 0
 * (bounded), saving the cursor after each page. Customer messages (origin 3) become InboundMessages: from =
 * external_userid, platformId = msgid (the Bot's durable de-duplication drops a message pulled twice), text and
 * voice. A voice message's recording is fetched with media/get and KEPT as a file under DATA_DIR/media/
 * (`wecom-<media_id>.amr`); the InboundMessage carries the WeCom media_id, which the corp's other apps can
 * forward for 3 days (the concern goes to the teacher with it), and after that the kept file is uploaded again.
 * Callbacks are not de-duplicated by the callback router here (a kf event has no MsgId and no FromUserName, so
 * two events in one second would look alike): a repeated callback only pulls again from the saved cursor.
 *
 * Out: `kf/send_msg` to the external_userid, with `msgid` derived from the outbox key and part number, so a retry
 * of a send that WeCom may already have taken carries the same id and is not a second message. 微信客服 allows 5
 * messages within 48 hours after the customer's last message (models/kfSession.ts counts them, race-safe);
 * outside the window or over the quota `send` throws a FallbackSendError ('kf_window_closed', 'kf_quota'), and
 * the delivery worker hands the message to the next route (学校通知). `reach()` tells the router beforehand.
 * Voice out: `kf/send_msg` voice with a media_id; a local recording (a file name in DATA_DIR/media) or an expired
 * WeCom media_id with a kept copy is uploaded with media/upload first.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { systemClock, type Clock } from '../../clock';
import type { Logger } from '../../log';
import { loadKfCursor, saveKfCursor, KfCursor } from '../../models/kfCursor';
import { claimKfSlot, KF_QUOTA, KF_WINDOW_MS, KfQuotaSlot, KfSession, kfSessionsOf, noteKfInbound } from '../../models/kfSession';
import { Channel, ChannelCapabilities, InboundHandler, InboundMessage, OutboundMessage, PermanentSendError, Reach, RetryableSendError, SendResult } from '../channel';
import { FallbackSendError } from '../router';
import { CallbackKeys, field, XmlFields } from './callbackCrypto';
import { CallbackRouter, createCallbackRouter } from './callbackRouter';
import type { WeComClient } from './client';
import { Part, splitBytes } from './messageParts';
import { WeComPermanentError } from './errors';
import { forgetRefusedSpeech, keptVoiceName, speechMediaId, VoiceMedia } from './speechMedia';
import { findByValues } from '../../models/manyValues';

export interface WeComKfChannelOptions {
  orgId: string;
  /** A client whose secret may call the 微信客服 APIs (WECOM_KF_SECRET). */
  client: WeComClient;
  /** The kf callback's Token and EncodingAESKey; receiveId = the CorpID. */
  keys: CallbackKeys;
  /** The kf account (open_kfid) this channel serves. */
  openKfId: string;
  /** Voice recordings are kept in `<dataDir>/media/`. */
  dataDir: string;
  /** For the callbacks' replay window and the 48-hour window (default: real time). */
  clock?: Clock;
  log?: Logger;
  replayWindowMs?: number;
  /** kf/sync_msg pages per pull before stopping (the next callback continues). Default 50. */
  maxPages?: number;
  /** kf/sync_msg `limit` (max 1000). Default 1000. */
  pageSize?: number;
}

interface KfMessage {
  msgid: string;
  open_kfid?: string;
  external_userid?: string;
  send_time?: number;
  /** 3 customer, 4 system event, 5 servicer. */
  origin?: number;
  msgtype: string;
  text?: { content?: string };
  voice?: { media_id?: string };
}

interface SyncPage {
  next_cursor?: string;
  has_more?: number;
  msg_list?: KfMessage[];
}

/** Sends stop this long before the 48 hours are over: a message queued at the edge would be refused. */
const WINDOW_MARGIN_MS = 5 * 60_000;
/** kf send_msg errcodes: 95001 "发送消息数量已达上限" (quota used up) and 95018 (session state). 95001 per
 * third-party kf SDKs; what WeCom answers past the 48 hours is unconfirmed, so our own count decides first. */
const KF_QUOTA_USED = 95001;
const KF_SESSION_STATE = 95018;
/** The callback's sync token is valid 10 minutes (D94670): WeCom's real minutes, so measured with Date.now. */
const SYNC_TOKEN_TTL_MS = 9 * 60_000;

/** `msgid` of kf/send_msg: ≤ 32 bytes of [0-9a-zA-Z_-], the same for every attempt of one message part. */
export function kfMsgId(partKey: string): string {
  return crypto.createHash('sha256').update(partKey).digest('base64url').slice(0, 32);
}

export class WeComKfChannel implements Channel {
  readonly name = 'wecom-kf';
  /** Families in WeChat, first while their window is open (`reach`): 5 messages within 48 h of their last one. */
  readonly capabilities: ChannelCapabilities = {
    reaches: ['family'], prefers: { family: 0 }, quotes: false, voice: true, audio: true,
    sendWindow: { hours: KF_WINDOW_MS / 3_600_000, messages: KF_QUOTA },
  };
  readonly callback: CallbackRouter;
  private onMessage?: InboundHandler;
  private readonly clock: Clock;
  private running?: Promise<void>;
  private dirty = false;
  private token?: { value: string; at: number };
  private readonly voice: VoiceMedia;
  /** Outbox keys whose recording WeCom refused: their retry sends the text (bounded). */
  private readonly speechRefused = new Set<string>();

  constructor(private readonly opts: WeComKfChannelOptions) {
    this.clock = opts.clock ?? systemClock;
    this.voice = new VoiceMedia(opts.client, path.resolve(opts.dataDir, 'media'), this.name);
    this.callback = createCallbackRouter({
      name: this.name, keys: opts.keys, clock: this.clock, log: opts.log, replayWindowMs: opts.replayWindowMs,
      // No de-duplication of the callbacks themselves (see the header): pulling again is harmless.
      rememberKeys: 0,
      onMessage: (fields) => this.onCallback(fields),
    });
  }

  get router() {
    return this.callback.router;
  }

  get client(): WeComClient {
    return this.opts.client;
  }

  async start(onMessage: InboundHandler): Promise<void> {
    this.onMessage = onMessage;
    // These models may have been registered after the database connected: make sure their indexes exist.
    await Promise.all([KfCursor.createIndexes(), KfSession.createIndexes(), KfQuotaSlot.createIndexes()]);
  }

  async stop(): Promise<void> {
    await this.idle();
    this.onMessage = undefined;
  }

  /** Resolves when every accepted callback has been pulled and gone through the bot. */
  async idle(): Promise<void> {
    await this.callback.idle();
    while (this.running) await this.running;
  }

  private async onCallback(fields: XmlFields): Promise<void> {
    const event = field(fields, 'Event');
    if (field(fields, 'MsgType') !== 'event' || event !== 'kf_msg_or_event') {
      this.opts.log?.info({ channel: this.name, type: field(fields, 'MsgType'), event }, 'wecom-kf callback not handled');
      return;
    }
    const openKfId = field(fields, 'OpenKfId');
    if (openKfId && openKfId !== this.opts.openKfId) {
      this.opts.log?.warn({ channel: this.name, openKfId }, 'wecom-kf callback for another kf account ignored (set WECOM_KF_OPEN_KFID)');
      return;
    }
    await this.pull(field(fields, 'Token') || undefined);
  }

  /**
   * Pulls everything new. One pull at a time per process; a callback during a pull makes it run once more
   * (with the newest token) and waits for that.
   */
  pull(token?: string): Promise<void> {
    if (token) this.token = { value: token, at: Date.now() };
    if (this.running) {
      this.dirty = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.dirty = false;
          const tok = this.token && Date.now() - this.token.at < SYNC_TOKEN_TTL_MS ? this.token.value : undefined;
          await this.syncOnce(tok).catch((err) => this.opts.log?.error({ err, channel: this.name }, 'wecom-kf sync_msg failed; the next callback continues from the saved cursor'));
        } while (this.dirty);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private async syncOnce(token?: string): Promise<void> {
    const { orgId, openKfId } = this.opts;
    let cursor = await loadKfCursor(orgId, openKfId);
    const maxPages = this.opts.maxPages ?? 50;
    for (let page = 1; page <= maxPages; page++) {
      const res = await this.opts.client.post<SyncPage>('/cgi-bin/kf/sync_msg', {
        cursor, token, limit: this.opts.pageSize ?? 1000, voice_format: 0, open_kfid: openKfId,
      });
      for (const m of res.msg_list ?? []) await this.receive(m);
      // Saved only after the page went through the bot: a crash re-reads it, and its messages are dropped as repeats.
      if (res.next_cursor) {
        cursor = res.next_cursor;
        await saveKfCursor(orgId, openKfId, cursor, this.clock.now());
      }
      if (!res.has_more) return;
      if (!res.next_cursor) {
        this.opts.log?.warn({ channel: this.name }, 'wecom-kf sync_msg said has_more without a next_cursor; stopping');
        return;
      }
    }
    this.opts.log?.warn({ channel: this.name, maxPages }, 'wecom-kf sync stopped after the page limit; the next callback continues');
  }

  /** One pulled message → the 48-hour window, and (text, voice) the bot. */
  private async receive(m: KfMessage): Promise<void> {
    const from = m.external_userid;
    if (m.origin !== 3 || !from || !m.msgid) return; // servicer messages, system events
    if (m.open_kfid && m.open_kfid !== this.opts.openKfId) return;
    const now = this.clock.now();
    // WeCom's send time starts the window; never later than now (clock skew), and now when missing.
    const sentAt = m.send_time && m.send_time * 1000 <= now.getTime() ? new Date(m.send_time * 1000) : now;
    await noteKfInbound(this.opts.orgId, this.opts.openKfId, from, sentAt, m.msgid);

    const base = { channel: this.name, orgId: this.opts.orgId, from, mentions: [], platformId: m.msgid, at: now };
    let msg: InboundMessage;
    if (m.msgtype === 'text') {
      msg = { ...base, text: m.text?.content ?? '' };
    } else if (m.msgtype === 'voice' && m.voice?.media_id) {
      const data = await this.keepVoice(m.voice.media_id);
      // voice_format 0 in sync_msg: AMR. The bytes go along for recognition (bot/hearing.ts).
      msg = { ...base, text: '', voice: { mediaId: m.voice.media_id, format: 'amr', ...(data ? { data } : {}) } };
    } else {
      this.opts.log?.info({ channel: this.name, type: m.msgtype }, 'wecom-kf message type not handled');
      return;
    }
    if (!this.onMessage) {
      this.opts.log?.error({ channel: this.name, platformId: m.msgid }, 'wecom-kf message arrived before the channel started: dropped');
      return;
    }
    await this.onMessage(msg);
  }

  /** media/get → DATA_DIR/media/wecom-<media_id>.amr (and its bytes). A failure is logged: the media_id still works for 3 days. */
  private async keepVoice(mediaId: string): Promise<Buffer | undefined> {
    try {
      const file = await this.opts.client.getMedia(mediaId);
      await fs.mkdir(this.voice.mediaDir, { recursive: true });
      await fs.writeFile(path.join(this.voice.mediaDir, keptVoiceName(mediaId)), file.data);
      return file.data;
    } catch (err) {
      this.opts.log?.warn({ channel: this.name, err: (err as Error).message }, 'wecom-kf voice not downloaded; its media_id stays usable for 3 days');
      return undefined;
    }
  }

  // ---- Out ----

  /** Whether a message to `address` can go out now: a window open and quota left. */
  async reach(address: string): Promise<Reach> {
    const window = await this.windowOf(address);
    if (!window) return 'closed';
    const used = await KfQuotaSlot.countDocuments({ orgId: this.opts.orgId, openKfId: this.opts.openKfId, externalUserId: address, windowId: window });
    return used < KF_QUOTA ? 'open' : 'closed';
  }

  /** `reach` for a page of deliveries: two queries, whatever their number. */
  async reachMany(addresses: string[]): Promise<Map<string, Reach>> {
    const { orgId, openKfId } = this.opts;
    const sessions = await kfSessionsOf(orgId, openKfId, addresses);
    const now = this.clock.now().getTime();
    const windows = new Map(sessions.filter((s) => now - s.lastInboundAt.getTime() < KF_WINDOW_MS - WINDOW_MARGIN_MS).map((s) => [s.externalUserId, s.windowId]));
    const used = new Map<string, number>();
    if (windows.size) {
      const slots = await findByValues(KfQuotaSlot, [...windows.keys()], (externalUserId) => KfQuotaSlot.find({ orgId, openKfId, externalUserId }, { externalUserId: 1, windowId: 1 }).lean());
      for (const slot of slots) if (windows.get(slot.externalUserId) === slot.windowId) used.set(slot.externalUserId, (used.get(slot.externalUserId) ?? 0) + 1);
    }
    return new Map(addresses.map((a) => [a, windows.has(a) && (used.get(a) ?? 0) < KF_QUOTA ? 'open' : 'closed']));
  }

  /** The open window's id, or undefined when the customer has not written within 48 hours. */
  private async windowOf(address: string): Promise<string | undefined> {
    const s = await KfSession.findOne({ orgId: this.opts.orgId, openKfId: this.opts.openKfId, externalUserId: address }).lean();
    if (!s) return undefined;
    return this.clock.now().getTime() - s.lastInboundAt.getTime() < KF_WINDOW_MS - WINDOW_MARGIN_MS ? s.windowId : undefined;
  }

  async send(msg: OutboundMessage): Promise<SendResult> {
    if (msg.room) throw new PermanentSendError(`wecom-kf sends 1:1 only; room "${msg.room}" needs another route`);
    if (!msg.text.trim() && !msg.voice?.mediaId) throw new PermanentSendError('wecom-kf: empty message');
    const { orgId, openKfId } = this.opts;
    const to = msg.to;
    const window = await this.windowOf(to);
    if (!window) throw new FallbackSendError('kf_window_closed', `wecom-kf: ${to} has not written within 48 hours; 微信客服 may not send until they write again`);

    // 微信客服 allows 5 messages per 48 hours after the person last wrote: a voice-style person (msg.audio) gets
    // the recording ALONE (one of the 5), not the text and then the recording (two). If the recording could not be
    // uploaded, the text goes instead.
    const speechId = msg.audio && !this.speechRefused.has(msg.key) ? await speechMediaId(this.opts.client, msg.audio, { channel: this.name, key: msg.key, log: this.opts.log }) : undefined;
    const parts: Part[] = [];
    if (msg.text.trim() && !speechId) for (const content of splitBytes(msg.text)) parts.push({ kind: 'text', content });
    if (msg.voice?.mediaId) parts.push({ kind: 'voice', mediaId: msg.voice.mediaId });
    if (speechId) parts.push({ kind: 'voice', mediaId: speechId });

    const partKeys = parts.map((_, i) => `${msg.key}#${i}`);
    const mine = await KfQuotaSlot.find({ orgId, partKey: { $in: partKeys } }).lean();
    const sent = new Set(mine.filter((s) => s.sent).map((s) => s.partKey));
    const held = new Map(mine.filter((s) => !s.sent && s.windowId === window).map((s) => [s.partKey, s._id as string]));
    const need = partKeys.filter((k) => !sent.has(k) && !held.has(k)).length;
    if (need) {
      const used = await KfQuotaSlot.countDocuments({ orgId, openKfId, externalUserId: to, windowId: window });
      // Not even a part: the whole message takes the next route rather than arriving in two places.
      if (used + need > KF_QUOTA) throw new FallbackSendError('kf_quota', `wecom-kf: the 5 messages allowed since ${to} last wrote are used up (${used} sent, ${need} more needed)`);
    }

    let platformMsgId: string | undefined;
    let textSent = sent.size > 0;
    for (const [i, part] of parts.entries()) {
      const partKey = partKeys[i];
      if (sent.has(partKey)) continue;
      const slot = held.get(partKey) ?? await claimKfSlot(orgId, openKfId, to, window, partKey, this.clock.now());
      if (!slot) throw new FallbackSendError('kf_quota', `wecom-kf: the 5 messages allowed since ${to} last wrote are used up`);
      try {
        const res = await this.sendPart(to, part, kfMsgId(partKey));
        await KfQuotaSlot.updateOne({ _id: slot }, { $set: { sent: true } });
        platformMsgId = res.msgid ?? platformMsgId;
        if (part.kind === 'text') textSent = true;
      } catch (err) {
        if (isDuplicateMsgId(err)) {
          // An earlier attempt of this very part reached WeCom (its answer was lost): it counts as sent.
          await KfQuotaSlot.updateOne({ _id: slot }, { $set: { sent: true } });
          continue;
        }
        if (!(err instanceof WeComPermanentError)) throw err; // retryable: the slot stays with this part for the retry
        await KfQuotaSlot.deleteOne({ _id: slot }); // refused: not one of the 5
        if (err.errcode === KF_QUOTA_USED) {
          await this.fillQuota(to, window);
          throw new FallbackSendError('kf_quota', `wecom-kf: WeCom says the messages allowed for ${to} are used up (${err.message})`);
        }
        if (err.errcode === KF_SESSION_STATE) throw new FallbackSendError('kf_session_state', `wecom-kf: ${err.message}`);
        // The recording of the text (sent instead of it) refused: forget a stale media_id and retry soon — with
        // fresh upload, or with the text if the upload fails — so the message is not lost.
        if (part.kind === 'voice' && part.mediaId === speechId && !textSent && [40007, 301017, 45007].includes(err.errcode ?? 0)) {
          await forgetRefusedSpeech(this.opts.client, msg.audio, err);
          this.speechRefused.add(msg.key);
          if (this.speechRefused.size > 1000) this.speechRefused.delete(this.speechRefused.values().next().value as string);
          throw new RetryableSendError(`wecom-kf: recording refused (${err.message}); the retry sends the text`, 1_000);
        }
        // An expired or rejected recording after its caption went out: the caption is the fallback.
        if (part.kind === 'voice' && textSent && [40007, 301017, 45007].includes(err.errcode ?? 0)) {
          this.opts.log?.warn({ channel: this.name, key: msg.key, err: err.message }, 'voice not forwarded; the text went alone');
          break;
        }
        throw err;
      }
    }
    return { route: this.name, platformMsgId };
  }

  /** WeCom counted the quota as used (e.g. a servicer also wrote): take the free slots so the router stops choosing kf. */
  private async fillQuota(to: string, window: string): Promise<void> {
    while (await claimKfSlot(this.opts.orgId, this.opts.openKfId, to, window, 'wecom:95001', this.clock.now()));
  }

  private async sendPart(to: string, part: Part, msgid: string): Promise<{ msgid?: string }> {
    const base = { touser: to, open_kfid: this.opts.openKfId, msgid };
    if (part.kind === 'text') return this.opts.client.post('/cgi-bin/kf/send_msg', { ...base, msgtype: 'text', text: { content: part.content } });
    return this.voice.withMediaId(part.mediaId, (mediaId) => this.opts.client.post('/cgi-bin/kf/send_msg', { ...base, msgtype: 'voice', voice: { media_id: mediaId } }));
  }
}

/** WeCom refuses a msgid used before (errcode unconfirmed: recognised by its errmsg). */
function isDuplicateMsgId(err: unknown): boolean {
  return err instanceof WeComPermanentError && /msgid/i.test(err.message) && /(exist|dup|repeat|used|重复)/i.test(err.message);
}
