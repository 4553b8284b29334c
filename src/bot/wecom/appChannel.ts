/**
 * `wecom-app`: teachers and staff 1:1 through the corp's self-built app. Inbound from the app's encrypted
 * callback (text, and voice with its MediaId kept for media/get within 3 days); outbound by message/send
 * to the member's userid (the staff address, Staff.wecomUserId).
 *
 * Errors pass through from the client as the outbox's RetryableSendError (throttling, pacing, -1, network)
 * or PermanentSendError (81013 not in the visible range, 60020 untrusted IP, 48002 no permission, … with
 * the operator message). A message sent in several parts (a long text, a voice with its caption) remembers
 * which parts went out, so that the outbox's retry does not repeat them.
 */
import { systemClock, type Clock } from '../../clock';
import type { Logger } from '../../log';
import { Channel, ChannelCapabilities, InboundHandler, InboundMessage, OutboundMessage, PermanentSendError, SendResult } from '../channel';
import { CallbackKeys, field, XmlFields } from './callbackCrypto';
import { CallbackRouter, createCallbackRouter, dedupeKey } from './callbackRouter';
import type { VoiceAudio } from '../../speech/recognizer';
import type { WeComClient } from './client';
import { PartProgress, partsOf } from './messageParts';
import { forgetRefusedSpeech, speechMediaId } from './speechMedia';

export interface WeComAppChannelOptions {
  orgId: string;
  client: WeComClient;
  /** The app's callback Token and EncodingAESKey; receiveId = the CorpID. */
  keys: CallbackKeys;
  /** Clock for the callback's replay window and the messages' time. */
  clock?: Clock;
  log?: Logger;
  replayWindowMs?: number;
}

export class WeComAppChannel implements Channel {
  readonly name = 'wecom-app';
  /** Members of the corp 1:1, first for staff; text, forwarded recordings and the recording of the text. */
  readonly capabilities: ChannelCapabilities = { reaches: ['staff'], prefers: { staff: 0 }, quotes: false, voice: true, audio: true };
  readonly callback: CallbackRouter;
  private onMessage?: InboundHandler;
  private readonly clock: Clock;
  /** Outbox key → indexes of parts already sent (bounded; only matters between an error and its retry). */
  private readonly parts: PartProgress;

  constructor(private readonly opts: WeComAppChannelOptions) {
    this.clock = opts.clock ?? systemClock;
    this.parts = new PartProgress(this.name, opts.log);
    this.callback = createCallbackRouter({
      name: this.name, keys: opts.keys, clock: this.clock, log: opts.log, replayWindowMs: opts.replayWindowMs,
      onMessage: (fields) => this.receive(fields),
    });
  }

  get router() {
    return this.callback.router;
  }

  /** The app's API client (e.g. to fetch a voice message with getMedia). */
  get client(): WeComClient {
    return this.opts.client;
  }

  async start(onMessage: InboundHandler): Promise<void> {
    this.onMessage = onMessage;
  }

  async stop(): Promise<void> {
    await this.callback.idle();
    this.onMessage = undefined;
  }

  /** Resolves when every accepted callback has gone through the bot. */
  idle(): Promise<void> {
    return this.callback.idle();
  }

  /** A voice message's recording (media/get, AMR), for recognition while WeCom keeps it (3 days). */
  async voiceAudio(msg: InboundMessage): Promise<VoiceAudio | undefined> {
    if (!msg.voice?.mediaId) return undefined;
    return { data: (await this.opts.client.getMedia(msg.voice.mediaId)).data, format: 'amr' };
  }

  /** The decrypted callback → an InboundMessage (text or voice); other types and events are logged and skipped. */
  toInbound(fields: XmlFields): InboundMessage | undefined {
    const type = field(fields, 'MsgType');
    const from = field(fields, 'FromUserName');
    const agentId = field(fields, 'AgentID');
    if (agentId && this.opts.client.agentId !== undefined && agentId !== String(this.opts.client.agentId)) {
      this.opts.log?.warn({ channel: this.name, agentId }, 'wecom-app callback for another agent ignored');
      return undefined;
    }
    if (!from || (type !== 'text' && type !== 'voice')) {
      this.opts.log?.info({ channel: this.name, type, event: field(fields, 'Event') }, 'wecom-app callback not handled');
      return undefined;
    }
    const base = {
      channel: this.name, orgId: this.opts.orgId, from, mentions: [], platformId: dedupeKey(fields), at: this.clock.now(),
    };
    if (type === 'text') return { ...base, text: field(fields, 'Content') };
    // A voice message's transcript, when WeCom provides one (Recognition), is its text.
    return { ...base, text: field(fields, 'Recognition'), voice: { mediaId: field(fields, 'MediaId'), format: field(fields, 'Format') || undefined } };
  }

  private async receive(fields: XmlFields): Promise<void> {
    const msg = this.toInbound(fields);
    if (!msg) return;
    if (!this.onMessage) {
      this.opts.log?.error({ channel: this.name, platformId: msg.platformId }, 'wecom-app message arrived before the channel started: dropped');
      return;
    }
    await this.onMessage(msg);
  }

  async send(msg: OutboundMessage): Promise<SendResult> {
    if (msg.room) throw new PermanentSendError(`wecom-app sends 1:1 only; room "${msg.room}" needs the group adapter`);
    // A voice-style person gets the text and its recording (uploaded once per 3 days; if not, the text alone).
    const speechId = msg.audio ? await speechMediaId(this.opts.client, msg.audio, { channel: this.name, key: msg.key, log: this.opts.log }) : undefined;
    const platformMsgId = await this.parts.send(msg.key, partsOf(msg, this.name, speechId), (part) => (part.kind === 'text'
      ? this.opts.client.sendText(msg.to, part.content)
      : this.opts.client.sendVoice(msg.to, part.mediaId).catch(async (err: unknown) => {
        if (part.mediaId === speechId) await forgetRefusedSpeech(this.opts.client, msg.audio, err);
        throw err;
      })));
    return { route: this.name, platformMsgId };
  }
}
