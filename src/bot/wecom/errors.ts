/**
 * WeCom error codes: what each means for the sender (retry, refetch the token, or give up) and what an
 * operator must do about it. Sources: ../shared/wecom-api.md (D90455 全局错误码, WxJava WxCpErrorMsgEnum).
 *
 * The client throws `WeComRetryableError` / `WeComPermanentError`, which ARE the outbox's
 * RetryableSendError / PermanentSendError, so an adapter's `send` can let them through unchanged.
 */
import { PermanentSendError, RetryableSendError } from '../channel';

/**
 * - `token`: the access token is bad; drop it, fetch a new one and retry once.
 * - `retry`: WeCom is busy or throttling; back off and retry (in process a few times, then through the outbox).
 * - `permanent`: the request or the configuration is wrong; retrying cannot help until someone fixes it.
 */
export type ErrorKind = 'token' | 'retry' | 'permanent';

interface ErrorInfo {
  kind: ErrorKind;
  /** What an operator (the school's WeCom admin) should do. */
  hint: string;
  /** For `retry`: how long the outbox should wait once in-process retries are exhausted. */
  retryAfterMs?: number;
}

const TABLE: Record<number, ErrorInfo> = {
  [-1]: { kind: 'retry', hint: 'WeCom is busy (系统繁忙); the message will be retried.', retryAfterMs: 5_000 },
  40001: { kind: 'token', hint: 'Invalid secret or access_token: check WECOM_*_SECRET against the app page in the admin console (应用管理 → app → Secret).' },
  40013: { kind: 'permanent', hint: 'Invalid CorpID: check WECOM_CORP_ID (我的企业 → 企业信息 → 企业ID).' },
  40014: { kind: 'token', hint: 'Invalid access_token; a new one is fetched automatically.' },
  40003: { kind: 'permanent', hint: 'Invalid UserID: the recipient is not a member of this corp; check the staff list\'s 企业微信账号.' },
  40004: { kind: 'permanent', hint: 'Invalid media type for upload.' },
  40006: { kind: 'permanent', hint: 'Invalid media size (too large or empty).' },
  40007: { kind: 'permanent', hint: 'Invalid media_id: it may be older than 3 days or belong to another corp.' },
  40029: { kind: 'permanent', hint: 'Invalid sign-in code (sign-in with WeCom): a code works once and for 5 minutes; the person signs in again.' },
  40056: { kind: 'permanent', hint: 'Invalid agentid: check WECOM_APP_AGENT_ID (应用管理 → app → AgentId).' },
  40091: { kind: 'permanent', hint: 'The secret is invalid: reset it in the admin console and update the WECOM_*_SECRET setting.' },
  41001: { kind: 'token', hint: 'access_token missing; a new one is fetched automatically.' },
  42001: { kind: 'token', hint: 'access_token expired; a new one is fetched automatically.' },
  44004: { kind: 'permanent', hint: 'Empty text message: nothing to send.' },
  45002: { kind: 'permanent', hint: 'Message too long for WeCom (text ≤ 2048 bytes).' },
  45007: { kind: 'permanent', hint: 'Voice longer than 60 s: WeCom rejects it.' },
  45009: { kind: 'retry', hint: 'WeCom rate limit reached (接口调用超过限制, also >30 messages a minute to one member); sending resumes after a pause.', retryAfterMs: 60_000 },
  45033: { kind: 'retry', hint: 'Too many concurrent WeCom calls (接口并发调用超过限制); retried shortly.', retryAfterMs: 2_000 },
  48002: { kind: 'permanent', hint: 'The app lacks permission for this API (API接口无权限调用): in the admin console give the app the permission (e.g. for 学校通知 add it to 家长可使用的应用, for 微信客服 to 可调用接口的应用).' },
  50001: { kind: 'permanent', hint: 'The sign-in redirect\'s host is not the app\'s trusted domain: set PUBLIC_URL\'s host as the app\'s 可信域名 (网页授权及JS-SDK) and its 企业微信授权登录 授权回调域.' },
  60011: { kind: 'permanent', hint: 'No privilege for this member or department: widen the app\'s 可见范围 (visible range).' },
  60020: { kind: 'permanent', hint: 'This server\'s IP is not trusted: add its public IP to the app\'s 企业可信IP (应用管理 → app → 企业可信IP).' },
  60111: { kind: 'permanent', hint: 'UserID not found in the corp: check the staff list\'s 企业微信账号.' },
  81013: { kind: 'permanent', hint: 'Recipient not reachable: the user is not in the app\'s visible range (可见范围) or left the corp.' },
  82001: { kind: 'permanent', hint: 'No valid recipient: the member is outside the app\'s visible range.' },
  95001: { kind: 'permanent', hint: '微信客服 message quota used up for this window: the family must write again before more can be sent there (the bot falls back to 学校通知).' },
  95018: { kind: 'permanent', hint: '微信客服 session state does not allow sending (the session was taken by a human servicer or ended).' },
  301002: { kind: 'permanent', hint: 'The access token belongs to another agent: use the secret of the app whose agentid is sent (WECOM_*_SECRET and WECOM_*_AGENT_ID must be from the same app).' },
  301017: { kind: 'permanent', hint: 'Voice must be AMR.' },
};

function errorInfo(errcode: number): ErrorInfo {
  return TABLE[errcode] ?? { kind: 'permanent', hint: 'See https://developer.work.weixin.qq.com/document/path/90313 (全局错误码).' };
}

export function classify(errcode: number): ErrorKind {
  return errorInfo(errcode).kind;
}

/** One line for the log and the outbox's lastError: `wecom message/send 60020 (errmsg): hint`. */
export function operatorMessage(api: string, errcode: number, errmsg?: string): string {
  return `wecom ${api} ${errcode}${errmsg ? ` (${errmsg})` : ''}: ${errorInfo(errcode).hint}`;
}

/** Throttled, busy, token trouble or network: the outbox retries after `retryAfterMs` (or its own backoff). */
export class WeComRetryableError extends RetryableSendError {
  constructor(readonly api: string, readonly errcode: number | undefined, message: string, retryAfterMs?: number) {
    super(message, retryAfterMs);
    this.name = 'WeComRetryableError';
  }
}

/** A request or configuration that cannot work until an operator fixes it; `message` says what to fix. */
export class WeComPermanentError extends PermanentSendError {
  constructor(readonly api: string, readonly errcode: number | undefined, message: string) {
    super(message);
    this.name = 'WeComPermanentError';
  }
}

export type WeComError = WeComRetryableError | WeComPermanentError;

/** The error to throw for a WeCom answer with this errcode (token errors left over after the retry count as retryable). */
export function errorFor(api: string, errcode: number, errmsg?: string): WeComError {
  const info = errorInfo(errcode);
  const message = operatorMessage(api, errcode, errmsg);
  // 40001 from gettoken itself means the configured secret is wrong: that is permanent (see client.ts).
  return info.kind === 'permanent'
    ? new WeComPermanentError(api, errcode, message)
    : new WeComRetryableError(api, errcode, message, info.retryAfterMs);
}
