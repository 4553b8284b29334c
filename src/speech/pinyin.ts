/**
 * Chinese text → toned pinyin for espeak-ng's `cmn-latn-pinyin` voice. Its `cmn` voice reads characters wrongly
 * on Debian's espeak-ng 1.51 (小明 comes out as English letters); pinyin-pro picks the reading of polyphonic
 * characters from their words (长大 zhang3, 重庆 chong2, 行长 hang2 zhang3) and reads names as names.
 */
import { pinyin } from 'pinyin-pro';

const SYLLABLE = /^[a-zü]+[0-5]$/;

export function toTonedPinyin(text: string): string {
  const parts = pinyin(text, { toneType: 'num', type: 'array', nonZh: 'consecutive' });
  return parts.map((p) => {
    // pinyin-pro writes the neutral tone as 0, espeak as 5; ü as v is what espeak's pinyin rules expect.
    if (SYLLABLE.test(p)) return p.replace(/0$/, '5').replace(/ü/g, 'v');
    // Chinese punctuation → pauses espeak knows; other text (digits, Latin) as it is: espeak reads digits in Chinese.
    return p.replace(/[。！？；…]+/g, '. ').replace(/[，、：～—]+/g, ', ').replace(/[“”‘’《》（）()【】「」]/g, ' ');
  }).join(' ').replace(/\s+/g, ' ').trim();
}
