/**
 * What a transcript of a voice message means (issue 12). Recognition writes homophones — "回忆" for 回一, "发骚"
 * for 发烧, "进况" for 近况 — so a transcript is read on toneless pinyin (pinyin-pro, with the usual 模糊音 folded): digits said as words become
 * digits ("幺三五七" → 1357, "回一" → 1), and a stretch that sounds like a menu or concern word is written as that
 * word, so the handlers understand it as if it had been typed. Pure, unit-tested.
 */
import { pinyin } from 'pinyin-pro';
import { CONCERN_WORDS_ZH } from './intent';

const DIGITS: Record<string, string> = { ling: '0', yi: '1', yao: '1', er: '2', liang: '2', san: '3', si: '4', wu: '5', liu: '6', qi: '7', ba: '8', jiu: '9' };
/** Said before a menu digit: 回一, 回复二, 按三, 选四, 我选一, 我要四, 发一, 输入二, 第一. */
const LEADS = [['hui', 'fu'], ['hui'], ['an'], ['xuan'], ['wo', 'xuan'], ['wo', 'yao'], ['fa'], ['shu', 'ru'], ['di']];
/** One character alone that sounds like a digit but is a word people say on its own (吧, 爸). */
const NOT_A_DIGIT = new Set(['吧', '爸', '把', '吗', '嘛']);
/** What the bot's menus and questions listen for (intent.ts, styleSwitch.ts), said aloud. */
const MENU_WORDS = ['近况', '情况', '怎么样', '表现', '成绩', '学习', '成长记录', '老师是谁', '哪个老师', '老师电话', '班主任', '代理家长',
  '亲情电话', '打电话', '通话时间', '帮助', '菜单', '反映情况', '反映问题', '我要反映', '求助', '语音模式', '文字模式'];
/**
 * The sounds many speakers (and recognisers) do not tell apart — 模糊音: zh/z, ch/c, sh/s, n/l, in/ing, en/eng —
 * folded for matching words (not digits: 十 is not 四).
 */
function fuzzy(py: string): string {
  return py.replace(/^([zcs])h/, '$1').replace(/^l/, 'n').replace(/(i|e)ng$/, '$1n');
}
/** Punctuation recognition adds, and spaces: not part of what was said. */
const PUNCT = /[\s。．.，,、！!？?；;：:“”"'‘’…~～]/u;

interface Char {
  origin: string;
  /** Toneless pinyin of a Chinese character; '' for anything else. */
  py: string;
}

function chars(text: string): Char[] {
  return pinyin(text, { toneType: 'none', type: 'all', v: true }).map((c) => ({ origin: c.origin, py: c.isZh ? c.pinyin : '' }));
}

/** The digits said, when the whole utterance is digits (with an optional lead word), else undefined. */
export function spokenDigits(transcript: string): string | undefined {
  const cs = chars(transcript).filter((c) => !PUNCT.test(c.origin));
  if (!cs.length || cs.every((c) => NOT_A_DIGIT.has(c.origin))) return undefined;
  const lead = LEADS.find((l) => cs.length > l.length && l.every((py, i) => cs[i]!.py === py) && digitOf(cs[l.length]!) !== undefined);
  const rest = lead ? cs.slice(lead.length) : cs;
  const digits = rest.map(digitOf);
  return digits.every((d) => d !== undefined) ? digits.join('') : undefined;
}

function digitOf(c: Char): string | undefined {
  if (/^[0-9０-９]$/.test(c.origin)) return c.origin.normalize('NFKC');
  return c.py ? DIGITS[c.py] : undefined;
}

/**
 * Rewrites stretches that sound like one of `words` (two or more Chinese characters) as that word; longer words
 * first, and a character is rewritten at most once. Everything else is kept as recognised.
 */
function soundsLike(transcript: string, words: readonly string[]): string {
  const cs = chars(transcript);
  const taken = new Array<boolean>(cs.length).fill(false);
  const candidates = [...new Set(words)].filter((w) => /^\p{Script=Han}{2,}$/u.test(w)).sort((a, b) => b.length - a.length);
  for (const word of candidates) {
    const wp = chars(word).map((c) => fuzzy(c.py));
    for (let i = 0; i + wp.length <= cs.length; i++) {
      const span = cs.slice(i, i + wp.length);
      if (span.some((c, k) => taken[i + k] || !c.py || fuzzy(c.py) !== wp[k])) continue;
      [...word].forEach((ch, k) => { cs[i + k]!.origin = ch; taken[i + k] = true; });
      i += wp.length - 1;
    }
  }
  return cs.map((c) => c.origin).join('');
}

/**
 * A transcript as the handlers should read it: digits when digits were said, else the words the bot listens for
 * (its menus, the concern words, the org's own keyword lists) put back where they were heard, without the
 * punctuation recognition adds at the end.
 */
export function understandSpoken(transcript: string, orgWords: readonly string[] = []): string {
  const digits = spokenDigits(transcript);
  if (digits !== undefined) return digits;
  return soundsLike(transcript, [...MENU_WORDS, ...CONCERN_WORDS_ZH, ...orgWords]).replace(/[。．.，,、！!？?\s]+$/u, '').trim();
}
