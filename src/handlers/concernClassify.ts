/** Category and urgency of a concern from the org's keyword lists (settings.concerns). Pure, unit-tested. */
import type { ScheduleSettings } from '../scheduler/settings';

export type Category = 'health' | 'safety' | 'study' | 'mood' | 'family' | 'other';
const ORDER: Array<Exclude<Category, 'other'>> = ['safety', 'health', 'mood', 'study', 'family'];

export function classifyConcern(text: string, settings: ScheduleSettings['concerns']): { category: Category; urgent: boolean } {
  const category = ORDER.find((c) => settings.keywords[c].some((w) => text.includes(w))) ?? 'other';
  const urgent = settings.urgentKeywords.some((w) => text.includes(w));
  return { category, urgent };
}
