/**
 * Recognition of inbound voice messages (issue 12): the channel fetches the recording, the recognizer
 * (src/speech/recognizer.ts) turns it into text. Any failure leaves the message as it came — a recording the
 * handlers forward to the teacher — and is logged, so a voice message is never lost to a recognition outage.
 */
import type { Logger } from '../log';
import type { Recognizer, VoiceAudio } from '../speech/recognizer';
import type { Channel, InboundMessage } from './channel';

/** What was said in `msg`, or undefined when it is not a voice message or could not be heard. */
export type Hear = (msg: InboundMessage) => Promise<string | undefined>;

/** The adapters' format names → the recognizer's (Wechaty keeps WeChat's SILK files as .sil). */
const FORMATS: Record<string, VoiceAudio['format']> = { amr: 'amr', silk: 'silk', sil: 'silk', slk: 'silk', mp3: 'mp3', wav: 'wav' };

export function hearing(channels: ReadonlyMap<string, Channel>, recognizer: Recognizer, log: Logger): Hear {
  return async (msg) => {
    if (!msg.voice) return undefined;
    try {
      const format = FORMATS[msg.voice.format?.toLowerCase() ?? 'amr'] ?? 'amr';
      const audio = msg.voice.data ? { data: msg.voice.data, format } : await channels.get(msg.channel)?.voiceAudio?.(msg);
      if (!audio) return undefined;
      const started = Date.now(); // how long the service took, for the log: not business time
      const text = await recognizer.transcribe(audio);
      log.info({ channel: msg.channel, platformId: msg.platformId, provider: recognizer.provider, ms: Date.now() - started, heard: text.length > 0 }, 'voice message recognised');
      return text;
    } catch (err) {
      log.warn({ channel: msg.channel, platformId: msg.platformId, err: (err as Error).message }, 'voice message not recognised; it goes on as a recording');
      return undefined;
    }
  };
}
