/** The rich context a handler gets (after grammY): the message, who sent it, a translator, reply and push. */
import type { Clock } from '../clock';
import type { Config } from '../config';
import type { Logger } from '../log';
import { Lang, Params, Style, translate, translator, T } from '../locales';
import { splitVoice } from '../locales/voice';
import { InboundMessage } from './channel';
import { enqueue } from './outbox';
import { enqueueText, notify, recipient } from './notify';
import { Person, resolvePerson } from './sender';

export interface Services {
  config: Config;
  clock: Clock;
  log: Logger;
  orgId: string;
  orgName: string;
  orgLang: Lang;
  timeZone: string;
  quietHours: string;
  /** Base of links to the console (PUBLIC_URL, or this server's own address). */
  publicUrl: string;
}

export interface PushOptions {
  /** Idempotency key: the same key is delivered once. */
  key: string;
  kind: string;
  room?: string;
  urgent?: boolean;
}

export class BotContext {
  readonly t: T;
  readonly now: Date;
  private replyCount = 0;
  /** Replies that reached the outbox (a failed enqueue still used its number). */
  private enqueued = 0;
  /** The sender's open multi-step dialog, loaded once per message. */
  dialog?: { kind: string; data: Record<string, unknown> };

  constructor(readonly msg: InboundMessage, public person: Person, readonly services: Services) {
    this.t = translator(person.lang, person.style);
    this.now = services.clock.now();
  }

  get orgId(): string {
    return this.services.orgId;
  }

  /**
   * Answers the sender, in their language and style. `style` overrides theirs for a text that must arrive whole
   * and be read, not heard (a sign-in link: voice style would split it and read it aloud).
   */
  async reply(key: string, params?: Params, style: Style = this.person.style): Promise<void> {
    await this.replyText(translate(this.person.lang, style, key, params), style);
  }

  async replyText(text: string, style: Style = this.person.style): Promise<void> {
    for (const piece of pieces(text, style)) {
      const n = this.replyCount++;
      await enqueue({
        orgId: this.orgId,
        key: `reply:${this.msg.channel}:${this.msg.platformId}:${n}`,
        to: this.msg.from,
        room: this.msg.room,
        text: piece,
        style,
        kind: 'reply',
        channel: this.msg.channel,
        inReplyTo: this.msg.platformId,
        dueAt: this.now,
      });
      this.enqueued++;
    }
  }

  /** Whether the sender already has an answer to this message on its way. */
  get answered(): boolean {
    return this.enqueued > 0;
  }

  /** Sends a message to someone else, rendered in their language and style (held in quiet hours unless urgent). */
  async push(address: string, key: string, params: Params, opts: PushOptions): Promise<void> {
    await notify(this.services, this.now, { to: address, key: opts.key, kind: opts.kind, room: opts.room, urgent: opts.urgent, render: (t) => t(key, params) });
  }

  /** A translator in another person's language and style, for composing a message to them. */
  async translatorFor(address: string): Promise<{ t: T; style: Style }> {
    return recipient(this.services, address);
  }

  async pushText(address: string, text: string, style: Style, opts: PushOptions): Promise<void> {
    await enqueueText(this.services, this.now, { to: address, key: opts.key, kind: opts.kind, room: opts.room, urgent: opts.urgent }, text, style);
  }

  /** Re-reads the sender after a handler changed who they are (bound, switched style). */
  async refreshPerson(): Promise<void> {
    this.person = await resolvePerson(this.orgId, this.msg.from, this.services.orgLang);
    (this as { t: T }).t = translator(this.person.lang, this.person.style);
  }
}

/** Voice style allows at most 80 characters per message: longer texts (a teacher's answer) go as several. */
function pieces(text: string, style: Style): string[] {
  return style === 'voice' ? splitVoice(text) : [text];
}

export type Next = () => Promise<void>;
export type Middleware = (ctx: BotContext, next: Next) => Promise<void>;

/** One composable chain: each middleware handles the message or calls next(). */
export function compose(middlewares: Middleware[]): (ctx: BotContext) => Promise<void> {
  return async (ctx) => {
    const run = async (i: number): Promise<void> => {
      const mw = middlewares[i];
      if (mw) await mw(ctx, () => run(i + 1));
    };
    await run(0);
  };
}
