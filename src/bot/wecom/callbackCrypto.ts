/**
 * WeCom callback crypto (D91144, see ../shared/wecom-api.md §1): SHA1 signature over the sorted
 * [token, timestamp, nonce, encrypt]; AES-256-CBC with PKCS#7 padding to 32 bytes; plaintext =
 * random(16) + length(4, big-endian) + message + ReceiveId. Signatures and encryption come from the official
 * `@wecom/crypto` (test/wecomClient.test.ts checks them on the official sample vectors). Decryption is done here:
 * the library's decrypt checks neither the padding nor the length field, so bytes encrypted with another key
 * "decrypt" to garbage with an empty ReceiveId — which is the 智能机器人's. Here anything that is not exactly that
 * layout is refused as undecryptable.
 * Also here: constant-time signature comparison, the ReceiveId check (the CorpID for app callbacks, "" for
 * 智能机器人), input validation, and the XML envelope (fast-xml-parser).
 */
import crypto from 'node:crypto';
import * as wecomCrypto from '@wecom/crypto';
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

export interface CallbackKeys {
  /** The callback Token set in the admin console (接收消息 → 设置API接收). */
  token: string;
  /** The 43-character EncodingAESKey set beside it. */
  encodingAESKey: string;
  /** The CorpID for self-built app and kf callbacks; "" for 智能机器人. */
  receiveId: string;
}

export type CryptoFailure = 'signature' | 'decrypt' | 'receiveId' | 'xml';

export class CallbackCryptoError extends Error {
  constructor(readonly reason: CryptoFailure, message: string) {
    super(message);
    this.name = 'CallbackCryptoError';
  }
}

export const AES_KEY_PATTERN = /^[A-Za-z0-9]{43}$/;

export function signature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return wecomCrypto.getSignature(token, timestamp, nonce, encrypt);
}

/** Constant-time check of `msg_signature`. */
export function verifySignature(keys: CallbackKeys, msgSignature: string, timestamp: string, nonce: string, encrypt: string): boolean {
  const expected = Buffer.from(signature(keys.token, timestamp, nonce, encrypt), 'utf8');
  const given = Buffer.from(msgSignature.toLowerCase(), 'utf8');
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

/** Decrypts an `Encrypt` value (or a GET echostr) and checks that it was meant for this ReceiveId. */
export function decrypt(keys: CallbackKeys, encrypt: string): string {
  // Base64 of whole AES blocks, else the decipher would throw deep inside.
  const raw = /^[A-Za-z0-9+/]+={0,2}$/.test(encrypt) ? Buffer.from(encrypt, 'base64') : undefined;
  if (!raw || raw.length < 32 || raw.length % 16 !== 0) throw new CallbackCryptoError('decrypt', 'ciphertext is not base64 of whole AES blocks');
  const key = Buffer.from(`${keys.encodingAESKey}=`, 'base64');
  if (key.length !== 32) throw new CallbackCryptoError('decrypt', 'the EncodingAESKey is not 43 letters and digits');
  let plain: Buffer;
  try {
    const decipher = crypto.createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
    // WeCom pads to 32 bytes (pad values 1–32), which Node's 16-byte auto-padding would refuse.
    decipher.setAutoPadding(false);
    plain = Buffer.concat([decipher.update(raw), decipher.final()]);
  } catch (err) {
    throw new CallbackCryptoError('decrypt', `cannot decrypt: ${(err as Error).message}`);
  }
  const pad = plain[plain.length - 1];
  if (pad < 1 || pad > 32 || !plain.subarray(plain.length - pad).every((b) => b === pad)) {
    throw new CallbackCryptoError('decrypt', 'bad padding (wrong EncodingAESKey?)');
  }
  const body = plain.subarray(0, plain.length - pad);
  const length = body.length >= 20 ? body.readUInt32BE(16) : -1;
  if (length < 0 || length > body.length - 20) throw new CallbackCryptoError('decrypt', 'bad length field (wrong EncodingAESKey?)');
  const message = utf8(body.subarray(20, 20 + length));
  const id = utf8(body.subarray(20 + length));
  if (message === undefined || id === undefined) throw new CallbackCryptoError('decrypt', 'not UTF-8 (wrong EncodingAESKey?)');
  if (id !== keys.receiveId) throw new CallbackCryptoError('receiveId', 'message was encrypted for another ReceiveId (CorpID)');
  return message;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function utf8(bytes: Buffer): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

export function encrypt(keys: CallbackKeys, message: string): string {
  return wecomCrypto.encrypt(keys.encodingAESKey, message, keys.receiveId);
}

const parser = new XMLParser({
  // Everything stays a string: MsgId is a 64-bit number that a JS number would round.
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  trimValues: true,
});

const builder = new XMLBuilder({ cdataPropName: '__cdata', suppressEmptyNode: false });

export type XmlFields = Record<string, unknown>;

/** Parses `<xml>…</xml>` into its child elements (strings; nested elements as objects). Throws on anything else. */
export function parseXml(xml: string): XmlFields {
  // WeCom never sends a DTD; refusing one rules out entity-expansion tricks.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new CallbackCryptoError('xml', 'XML with a DTD is refused');
  if (XMLValidator.validate(xml) !== true) throw new CallbackCryptoError('xml', 'malformed XML');
  const doc = parser.parse(xml) as { xml?: unknown };
  if (!doc.xml || typeof doc.xml !== 'object') throw new CallbackCryptoError('xml', 'expected an <xml> root element');
  return doc.xml as XmlFields;
}

/** Builds `<xml>…</xml>`: strings as CDATA (as WeCom does), numbers as plain text. */
export function buildXml(fields: Record<string, string | number>): string {
  const node: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) node[k] = typeof v === 'number' ? v : { __cdata: v };
  return builder.build({ xml: node }) as string;
}

/** A field as a string ('' when absent). */
export function field(fields: XmlFields, name: string): string {
  const v = fields[name];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

export interface SignedEnvelope {
  /** Query string parameters WeCom puts on the callback URL. */
  query: { msg_signature: string; timestamp: string; nonce: string };
  /** The POST body: `<xml><ToUserName/><AgentID/><Encrypt/></xml>`. */
  body: string;
  encrypt: string;
}

/**
 * What WeCom POSTs for a plaintext message: encrypted, signed, wrapped. Used by the fake server and tests
 * to play WeCom, and by anyone who needs to sign a message the same way.
 */
export function sealCallback(keys: CallbackKeys, plaintextXml: string, opts: { timestamp?: string | number; nonce?: string; agentId?: string | number } = {}): SignedEnvelope {
  // A signature's timestamp is real time: WeCom's receiver checks it against its own clock.
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = opts.nonce ?? String(crypto.randomInt(1e9, 1e10));
  const enc = encrypt(keys, plaintextXml);
  const outer: Record<string, string | number> = { ToUserName: keys.receiveId };
  if (opts.agentId !== undefined) outer.AgentID = String(opts.agentId);
  outer.Encrypt = enc;
  return { query: { msg_signature: signature(keys.token, timestamp, nonce, enc), timestamp, nonce }, body: buildXml(outer), encrypt: enc };
}

/** A passive (synchronous) reply: `<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>` signed over the new Encrypt. */
export function sealPassiveReply(keys: CallbackKeys, plaintextXml: string, timestamp: string | number, nonce: string): string {
  const enc = encrypt(keys, plaintextXml);
  const ts = String(timestamp);
  return buildXml({ Encrypt: enc, MsgSignature: signature(keys.token, ts, nonce, enc), TimeStamp: Number(ts), Nonce: nonce });
}
