/**
 * Recordings and WeCom media_ids, the one voice-media module of the WeCom adapters (app, kf, 学校通知, the group
 * robot's webhook); media_ids are corp-wide, so the channels share what this keeps.
 *
 * - `speechMediaId`: the media_id of a synthesized recording (OutboundMessage.audio) for a WeCom send: the one uploaded
 *   within the last days (models/speechMedia.ts, keyed by the recording's hash), else the file uploaded now with
 *   `media/upload?type=voice` (AMR-NB ≤ 60 s ≤ 2 MB; the media_id lasts 3 days, and is renewed half a day early).
 *   An upload that fails gives `undefined` and a log line: the caller sends the text alone, never nothing.
 * - `VoiceMedia`: the media_id to forward a recording (OutboundMessage.voice) by: a WeCom media_id as is, or a kept
 *   file under DATA_DIR/media uploaded again.
 * - `recordingBytes`: a recording's bytes, for the group webhook's own upload.
 *
 * Expiry here is real time, not the bot's clock: the 3 days are WeCom's, counted on its servers.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../log';
import { SpeechMedia } from '../../models/speechMedia';
import { PermanentSendError, type OutboundMessage } from '../channel';
import type { WeComClient } from './client';
import { WeComPermanentError, WeComRetryableError } from './errors';

/** 3 days less 12 hours: a media_id is not used near its end, when a queued send could find it expired. */
const MEDIA_ID_USE_MS = (3 * 24 - 12) * 3_600_000;
/** A media_id lasts 3 days (D96484); a fresh upload of a kept file is reused for a little less. */
const UPLOAD_TTL_MS = 3 * 24 * 3600_000 - 3600_000;

type Audio = NonNullable<OutboundMessage['audio']>;

export async function speechMediaId(client: WeComClient, audio: Audio, ctx: { channel: string; key: string; log?: Logger }): Promise<string | undefined> {
  const _id = `${client.corpId}:${audio.hash}`;
  try {
    const kept = await SpeechMedia.findById(_id).lean();
    if (kept && kept.expiresAt.getTime() > Date.now()) return kept.mediaId;
    const data = await fs.readFile(audio.file);
    const up = await client.uploadMedia('voice', data, `${audio.hash}${path.extname(audio.file) || '.amr'}`, 'audio/amr');
    if (!up.media_id) throw new Error('media/upload answered without a media_id');
    await SpeechMedia.updateOne({ _id }, { $set: { mediaId: up.media_id, expiresAt: new Date(Date.now() + MEDIA_ID_USE_MS) } }, { upsert: true });
    return up.media_id;
  } catch (err) {
    ctx.log?.warn({ channel: ctx.channel, key: ctx.key, hash: audio.hash, err: err instanceof Error ? err.message : String(err) },
      'recording not uploaded; the text goes alone');
    return undefined;
  }
}

/**
 * After WeCom refused a voice message by its media_id: on 40007 (the media_id expired or is unknown, e.g. the corp's
 * media were cleared) the kept one is forgotten, so the next message uploads the recording again.
 */
export async function forgetRefusedSpeech(client: WeComClient, audio: Audio | undefined, err: unknown): Promise<void> {
  if (!audio || !(err instanceof WeComPermanentError) || err.errcode !== 40007) return;
  await SpeechMedia.deleteOne({ _id: `${client.corpId}:${audio.hash}` }).catch(() => undefined);
}

/** The kept copy of a WeCom media_id's recording (kf voice, fetched on arrival). */
export function keptVoiceName(mediaId: string): string {
  return `wecom-${mediaId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 150)}.amr`;
}

/** A recording id that names a file under DATA_DIR/media (e.g. `wechaty-…amr`) rather than a WeCom media_id. */
function isFileName(id: string): boolean {
  return /\.[A-Za-z0-9]{2,5}$/.test(id) && !id.includes('/');
}

/** The file under `mediaDir` that holds a recording: the file it names, or the kept copy of a media_id. */
function keptFile(id: string, mediaDir: string): string {
  return path.join(mediaDir, isFileName(id) ? path.basename(id) : keptVoiceName(id));
}

/**
 * The media_id to send for a recording: a WeCom media_id as is (unless `fresh`: it expired), else a local file (a
 * name such as `wechaty-…amr`, or the kept copy `wecom-<media_id>.amr`) uploaded with media/upload and reused for
 * almost the 3 days a media_id lasts. Used by the kf and 学校通知 channels.
 */
export class VoiceMedia {
  private readonly uploads = new Map<string, { mediaId: string; at: number }>();

  constructor(private readonly client: WeComClient, readonly mediaDir: string, private readonly channel: string) {}

  async mediaId(id: string, fresh = false): Promise<string> {
    const isFile = isFileName(id);
    if (!isFile && !fresh) return id;
    const cached = this.uploads.get(id);
    if (!fresh && cached && Date.now() - cached.at < UPLOAD_TTL_MS) return cached.mediaId;
    const file = keptFile(id, this.mediaDir);
    let data: Buffer;
    try {
      data = await fs.readFile(file);
    } catch {
      if (isFile) throw new PermanentSendError(`${this.channel}: recording ${id} is not in ${this.mediaDir}`);
      return id; // no kept copy: nothing better to offer
    }
    const up = await this.client.uploadMedia('voice', data, path.basename(file), 'audio/amr');
    this.uploads.set(id, { mediaId: up.media_id, at: Date.now() });
    if (this.uploads.size > 1000) this.uploads.delete(this.uploads.keys().next().value as string);
    return up.media_id;
  }

  /** Sends with the recording's media_id; on 40007 (expired) once more with a fresh upload of the kept copy. */
  async withMediaId<T>(id: string, send: (mediaId: string) => Promise<T>): Promise<T> {
    const first = await this.mediaId(id);
    try {
      return await send(first);
    } catch (err) {
      if (!(err instanceof WeComPermanentError && err.errcode === 40007)) throw err;
      const again = await this.mediaId(id, true);
      if (again === first) throw err;
      return send(again);
    }
  }
}

/**
 * A recording's bytes for the group webhook: a local file (a name such as `wechaty-…amr` in DATA_DIR/media), the kept
 * copy of a WeCom media_id (`wecom-<media_id>.amr`, kf voice), else media/get while WeCom still has it (3 days).
 */
export async function recordingBytes(id: string, mediaDir: string, client?: WeComClient): Promise<{ data: Buffer; filename: string } | undefined> {
  const file = keptFile(id, mediaDir);
  const name = path.basename(file);
  try {
    return { data: await fs.readFile(file), filename: name };
  } catch {
    if (isFileName(id) || !client) return undefined;
  }
  try {
    const got = await client.getMedia(id);
    return { data: got.data, filename: got.filename ?? name };
  } catch (err) {
    if (err instanceof WeComRetryableError) throw err;
    return undefined; // expired or unknown: the caption goes alone
  }
}
