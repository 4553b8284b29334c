/** Category and urgency of a concern from the org's keyword lists (settings.concerns). Pure, unit-tested. */
import type { ScheduleSettings } from '../domain/settings';

export type Category = 'health' | 'safety' | 'study' | 'mood' | 'family' | 'other';
const ORDER: Array<Exclude<Category, 'other'>> = ['safety', 'health', 'mood', 'study', 'family'];

/**
 * A keyword right after a negation does not count: "摔了一跤，没有受伤" is not an injury, "不发烧了" not a fever.
 * Only the words just before the keyword are looked at, so keywords that themselves begin with 不 (不想活,
 * 不见了) still count.
 */
const NEGATION = /(没有|没|未|无|不是|不再|不)$/;
/** "是不是发烧了", "有没有受伤": a question, i.e. a worry, not a denial. */
const QUESTION = /(是不是|有没有)$/;

function mentions(text: string, word: string): boolean {
  const w = word.toLowerCase();
  for (let i = text.indexOf(w); i >= 0; i = text.indexOf(w, i + 1)) {
    const before = text.slice(Math.max(0, i - 3), i);
    if (QUESTION.test(before) || !NEGATION.test(before)) return true;
  }
  return false;
}

export function classifyConcern(raw: string, settings: ScheduleSettings['concerns']): { category: Category; urgent: boolean } {
  // Lists may hold English or pinyin words as well: match without regard to case.
  const text = raw.toLowerCase();
  const category = ORDER.find((c) => settings.keywords[c].some((w) => mentions(text, w))) ?? 'other';
  const urgent = settings.urgentKeywords.some((w) => mentions(text, w));
  return { category, urgent };
}
