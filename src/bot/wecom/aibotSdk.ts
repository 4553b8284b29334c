/**
 * The long connection (D101463; ../shared/wecom-api.md §6) through the official `@wecom/aibot-node-sdk`: a
 * WebSocket to wss://openws.work.weixin.qq.com authenticated with the bot's BotID + Secret, no public URL and no
 * callback crypto. Messages arrive as `aibot_msg_callback` frames (`message` event, body = the same JSON as the
 * callback), replies go back on the frame's req_id (`replyStream`), and posts nobody asked for go out with
 * `aibot_send_msg` (`sendMessage(chatid | userid, markdown)`).
 *
 * `AibotConnection` is the part of the SDK's WSClient the channel uses, so that tests can stand a stub in for it
 * (the real connection needs WeCom's servers).
 */
import { WSClient, generateReqId } from '@wecom/aibot-node-sdk';
import type { Logger } from '../../log';
import type { AibotMessage } from './aibotProtocol';

/** A received frame: the reply must echo `headers.req_id`. */
export interface AibotFrame {
  cmd?: string;
  headers: { req_id: string; [k: string]: unknown };
  body?: AibotMessage;
}

/** An SDK answer (ack) frame; a failed one has errcode ≠ 0. */
export interface AibotAck {
  headers?: { req_id?: string };
  errcode?: number;
  errmsg?: string;
  body?: unknown;
}

export type AibotSendBody = { msgtype: 'markdown'; markdown: { content: string } };

export interface AibotConnection {
  on(event: 'message', fn: (frame: AibotFrame) => void): unknown;
  on(event: 'authenticated' | 'connected', fn: () => void): unknown;
  on(event: 'disconnected', fn: (reason: string) => void): unknown;
  on(event: 'reconnecting', fn: (attempt: number) => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  connect(): unknown;
  disconnect(): void;
  readonly isConnected: boolean;
  replyStream(frame: { headers: { req_id: string } }, streamId: string, content: string, finish?: boolean): Promise<AibotAck>;
  sendMessage(chatid: string, body: AibotSendBody): Promise<AibotAck>;
}

export interface SdkConnectionOptions {
  botId: string;
  secret: string;
  /** Private deployments have their own address (the SDK README: 私有部署企业需要在企业管理端查看该长连接地址). */
  wsUrl?: string;
  log?: Logger;
}

export function newStreamId(): string {
  return generateReqId('stream');
}

/** The real SDK client. Reconnects without limit: a village school's line drops and comes back. */
export function createSdkConnection(opts: SdkConnectionOptions): AibotConnection {
  const log = opts.log;
  const client = new WSClient({
    botId: opts.botId,
    secret: opts.secret,
    wsUrl: opts.wsUrl,
    maxReconnectAttempts: -1,
    logger: {
      debug: () => undefined,
      info: (m: string) => log?.info({ channel: 'wecom-aibot', sdk: true }, m),
      warn: (m: string) => log?.warn({ channel: 'wecom-aibot', sdk: true }, m),
      error: (m: string) => log?.error({ channel: 'wecom-aibot', sdk: true }, m),
    },
  });
  // The SDK's typed event map and body unions are wider than what we use; the shapes are checked where they arrive.
  return client as unknown as AibotConnection;
}
