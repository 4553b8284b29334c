/**
 * 微信客服 on a FakeWeCom (registered with `fake.route`, see server.ts): customers' messages wait for
 * `kf/sync_msg` (cursor paging with has_more), `kf/send_msg` is recorded and held to the documented rule
 * (../shared/wecom-api.md §5: at most 5 messages within 48 hours after the customer's last message), and
 * `callbackXml()` builds the decrypted `kf_msg_or_event` callback with a fresh sync Token.
 *
 *   const kf = new FakeKf(fake, { openKfId: 'wkFAKE', corpId, now: () => simClock.now().getTime() });
 *   kf.customerSays('wmDad', '你好');                 // queued for sync_msg, opens a new 48 h window
 *   signedCallback('/wecom/kf/callback', keys, kf.callbackXml())   // POST it to the bot
 *   kf.delivered                                     // messages kf/send_msg accepted (a repeated msgid once)
 *
 * Error codes the documentation does not give are guesses, marked as such: 95001 for a send past the quota or
 * the window (third-party kf SDKs name 95001 "发送消息数量已达上限"), 95000 for a malformed request.
 */
import crypto from 'node:crypto';
import { buildXml } from '../../src/bot/wecom/callbackCrypto';
import type { FakeRequest, FakeWeCom } from './server';

export interface FakeKfMessage {
  msgid: string;
  open_kfid: string;
  external_userid: string;
  send_time: number;
  origin: number;
  msgtype: string;
  text?: { content: string };
  voice?: { media_id: string };
}

export interface FakeKfSent {
  touser: string;
  msgid: string;
  msgtype: string;
  body: any;
  at: number;
}

const WINDOW_MS = 48 * 3600_000;

export class FakeKf {
  readonly messages: FakeKfMessage[] = [];
  /** Messages kf/send_msg accepted, in order (a repeated msgid is answered but not delivered again). */
  readonly delivered: FakeKfSent[] = [];
  /** Sync tokens handed out in callbacks, newest last. */
  readonly tokens: string[] = [];
  /** At most this many messages per sync_msg page (the request's `limit` caps it too). */
  pageSize = 1000;
  readonly openKfId: string;
  readonly corpId: string;
  private readonly now: () => number;
  private readonly lastInbound = new Map<string, number>();
  private readonly sentSince = new Map<string, number>();
  private seq = 0;

  constructor(readonly fake: FakeWeCom, opts: { openKfId: string; corpId: string; now?: () => number }) {
    this.openKfId = opts.openKfId;
    this.corpId = opts.corpId;
    this.now = opts.now ?? Date.now;
    fake.route('kf/sync_msg', (req) => this.sync(req));
    fake.route('kf/send_msg', (req) => this.send(req));
  }

  /** A customer's message, as WeCom would hold it for sync_msg. `content` text, or `{ voice: media_id }`. */
  customerSays(externalUserId: string, content: string | { voice: string }, opts: { origin?: number; msgid?: string } = {}): FakeKfMessage {
    const at = this.now();
    const m: FakeKfMessage = {
      msgid: opts.msgid ?? `kfmsg_${++this.seq}_${crypto.randomBytes(4).toString('hex')}`,
      open_kfid: this.openKfId,
      external_userid: externalUserId,
      send_time: Math.floor(at / 1000),
      origin: opts.origin ?? 3,
      ...(typeof content === 'string'
        ? { msgtype: 'text', text: { content } }
        : { msgtype: 'voice', voice: { media_id: content.voice } }),
    };
    this.messages.push(m);
    if (m.origin === 3) {
      this.lastInbound.set(externalUserId, at);
      this.sentSince.set(externalUserId, 0);
    }
    return m;
  }

  /** The decrypted kf callback (no content: it says "pull"), with a new sync Token. */
  callbackXml(createTime = Math.floor(this.now() / 1000)): string {
    const token = `ENC${crypto.randomBytes(16).toString('hex')}`;
    this.tokens.push(token);
    return buildXml({ ToUserName: this.corpId, CreateTime: createTime, MsgType: 'event', Event: 'kf_msg_or_event', Token: token, OpenKfId: this.openKfId });
  }

  deliveredTo(externalUserId: string): FakeKfSent[] {
    return this.delivered.filter((d) => d.touser === externalUserId);
  }

  private sync(req: FakeRequest): Record<string, unknown> {
    const b = req.body ?? {};
    if (b.open_kfid !== this.openKfId) return { errcode: 95000, errmsg: 'invalid open_kfid (fake; code unconfirmed)' };
    const start = b.cursor ? Number(/^cur_(\d+)$/.exec(String(b.cursor))?.[1] ?? NaN) : 0;
    if (!Number.isInteger(start) || start > this.messages.length) return { errcode: 95000, errmsg: 'invalid cursor (fake; code unconfirmed)' };
    const limit = Math.min(Number(b.limit ?? 1000), 1000, this.pageSize);
    const page = this.messages.slice(start, start + limit);
    const end = start + page.length;
    return { next_cursor: `cur_${end}`, has_more: end < this.messages.length ? 1 : 0, msg_list: page };
  }

  private send(req: FakeRequest): Record<string, unknown> {
    const b = req.body ?? {};
    const touser = String(b.touser ?? '');
    if (!touser || b.open_kfid !== this.openKfId) return { errcode: 95000, errmsg: 'invalid touser or open_kfid (fake; code unconfirmed)' };
    if (b.msgid !== undefined && !/^[0-9a-zA-Z_-]{1,32}$/.test(String(b.msgid))) return { errcode: 95000, errmsg: 'invalid msgid (fake; code unconfirmed)' };
    const repeat = b.msgid && this.delivered.find((d) => d.msgid === b.msgid);
    if (repeat) return { msgid: repeat.msgid };
    if (b.msgtype === 'text') {
      const content = String(b.text?.content ?? '');
      if (!content) return { errcode: 44004, errmsg: 'empty content' };
      if (Buffer.byteLength(content) > 2048) return { errcode: 45002, errmsg: 'content size out of limit' };
    } else if (b.msgtype === 'voice') {
      if (!this.fake.media.has(String(b.voice?.media_id ?? ''))) return { errcode: 40007, errmsg: 'invalid media_id' };
    } else {
      return { errcode: 95000, errmsg: `msgtype ${b.msgtype} not supported by the fake` };
    }
    const last = this.lastInbound.get(touser);
    const now = this.now();
    if (last === undefined || now - last > WINDOW_MS || (this.sentSince.get(touser) ?? 0) >= 5) {
      return { errcode: 95001, errmsg: 'send msg count exceeded or customer not active in 48 hours (fake; code per third-party SDKs)' };
    }
    this.sentSince.set(touser, (this.sentSince.get(touser) ?? 0) + 1);
    const msgid = b.msgid ? String(b.msgid) : `kfout_${++this.seq}`;
    this.delivered.push({ touser, msgid, msgtype: b.msgtype, body: b, at: now });
    return { msgid };
  }
}
