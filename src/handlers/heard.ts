/**
 * A recognised voice message (bot/hearing.ts set `voice.transcript`) is read like typed text from here on: the
 * transcript, with digits and the words the bot listens for put back (spoken.ts), becomes the message's text.
 * The recording stays on the message: what nobody understood still reaches the teacher (concerns.ts).
 */
import type { Middleware } from '../bot/context';
import { settingsOf } from './settings';
import { understandSpoken } from './spoken';

export const heardVoice: Middleware = async (ctx, next) => {
  const transcript = ctx.msg.voice?.transcript;
  if (transcript) {
    const { keywords, urgentKeywords } = (await settingsOf(ctx)).schedule.concerns;
    ctx.msg.text = understandSpoken(transcript, [...Object.values(keywords).flat(), ...urgentKeywords]);
  }
  return next();
};
