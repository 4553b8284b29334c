/**
 * WeCom media_ids of our synthesized recordings (src/speech), one per corp and recording hash, so the same
 * recording is uploaded with media/upload once per 3 days (a media_id's life) rather than once per message.
 * Written by an upsert on the unique _id: on FerretDB two senders may both upload and the last one wins, which is
 * harmless (both media_ids work).
 */
import { Schema, model } from 'mongoose';

const speechMediaSchema = new Schema({
  /** `<corpId>:<recording hash>`. */
  _id: { type: String, required: true },
  mediaId: { type: String, required: true },
  /** When the bot stops using it: a while before WeCom's 3 days are over. */
  expiresAt: { type: Date, required: true },
});
export const SpeechMedia = model('SpeechMedia', speechMediaSchema, 'speechmedia');
