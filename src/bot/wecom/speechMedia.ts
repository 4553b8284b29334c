/**
 * The media_id of a synthesized recording (OutboundMessage.audio) for a WeCom send: the one uploaded within the
 * last days (models/speechMedia.ts, keyed by the recording's hash), else the file uploaded now with
 * `media/upload?type=voice` (AMR-NB ≤ 60 s ≤ 2 MB; the media_id lasts 3 days, and is renewed half a day early).
 * An upload that fails gives `undefined` and a log line: the caller sends the text alone, never nothing.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../log';
import { SpeechMedia } from '../../models/speechMedia';
import type { OutboundMessage } from '../channel';
import type { WeComClient } from './client';
import { WeComPermanentError } from './errors';

/** 3 days less 12 hours: a media_id is not used near its end, when a queued send could find it expired. */
const MEDIA_ID_USE_MS = (3 * 24 - 12) * 3_600_000;

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
