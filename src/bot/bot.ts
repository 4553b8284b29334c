/** Inbound flow: normalise → de-duplicate → resolve the sender → run the handler chain. Replies go to the outbox. */
import { firstSighting, sightedAt } from '../models/inboundLog';
import { usedKeys } from './outbox';
import { noteRoute } from '../models/route';
import { BotContext, Services } from './context';
import { InboundMessage } from './channel';
import { MAX_INBOUND_CHARS, normaliseInbound } from './inbound';
import { cleanText } from '../humanInput';
import { resolvePerson } from './sender';
import type { Hear } from './hearing';

export type Handle = (ctx: BotContext) => Promise<void>;

export class Bot {
  /** `hear`: speech recognition of voice messages (bot/hearing.ts), when a recognizer is configured. */
  constructor(private readonly services: Services, private readonly handle: Handle, private readonly hear?: Hear) {}

  /** Returns false when the message was a repeat and was dropped. */
  async receive(raw: InboundMessage): Promise<boolean> {
    const { orgId, log } = this.services;
    const normalised = normaliseInbound(raw);
    const { issue } = normalised;
    let { msg } = normalised;
    if (!(await firstSighting(orgId, msg.channel, msg.platformId, msg.from, msg.at)) && !(await this.neverAnswered(msg))) {
      log.info({ channel: msg.channel, platformId: msg.platformId }, 'duplicate inbound message dropped');
      return false;
    }
    await noteRoute(orgId, msg.room ?? msg.from, msg.channel, msg.at);
    const person = await resolvePerson(orgId, msg.from, this.services.orgLang);
    // Who and where, never what: message text stays out of the logs.
    log.info({ channel: msg.channel, from: msg.from, room: msg.room, platformId: msg.platformId, sender: person.kind }, 'inbound message');
    // Families and people not yet bound (a grandparent saying the code on their card); staff answer in writing.
    if (msg.voice && !issue && this.hear && person.kind !== 'staff') {
      const transcript = await this.hear(msg);
      if (transcript !== undefined) msg = { ...msg, voice: { ...msg.voice, transcript: cleanText(transcript) } };
    }
    const ctx = new BotContext(msg, person, this.services);
    try {
      if (issue) {
        // Said back to the sender, never run through the handlers; an empty post in a group chat is not worth a reply.
        if (issue === 'tooLong' || !msg.room) await ctx.reply(`inbound.${issue}`, { max: MAX_INBOUND_CHARS });
        return true;
      }
      await this.handle(ctx);
    } catch (err) {
      log.error({ err, platformId: msg.platformId }, 'handler failed');
      // Only when they have no answer yet: a handler that replied and then failed (the database went away after the
      // reply was queued) must not add "something went wrong" to an answer the sender already has.
      if (!ctx.answered) await ctx.reply('error.internal').catch(() => undefined);
    }
    return true;
  }

  /**
   * A repeat of a message seen a while ago that got no reply: its first processing was cut off (the database went
   * away between the de-duplication record and the reply), so the platform's retry is processed again rather than
   * dropped. Replies have keys made from the message id, so this can add the missing reply but never a second one.
   * A repeat within REPROCESS_AFTER_MS may still be in progress elsewhere and is dropped.
   */
  private async neverAnswered(msg: InboundMessage): Promise<boolean> {
    const { orgId, log } = this.services;
    const seen = await sightedAt(orgId, msg.channel, msg.platformId);
    // Real time, as `seenAt` is: how long ago an instance started on it, not a time of the (simulated) business day.
    if (!seen || Date.now() - seen.getTime() < REPROCESS_AFTER_MS) return false;
    const replied = await usedKeys(orgId, [`reply:${msg.channel}:${msg.platformId}:0`]);
    if (replied.size) return false;
    log.warn({ channel: msg.channel, platformId: msg.platformId }, 'a repeat of a message that was never answered: processing it again');
    return true;
  }
}

/** Longer than a message takes to handle, shorter than the gap before a platform's later retries. */
const REPROCESS_AFTER_MS = 10_000;
