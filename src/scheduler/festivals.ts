/**
 * The festivals children write a letter home for (亲情书信), with their dates computed by 6tail's lunar calendar
 * (lunar-typescript), not a table: lunar new year, Qingming (a solar term), Dragon Boat, Mid-Autumn, Double Ninth.
 */
import { Lunar, Solar } from 'lunar-typescript';

type FestivalId = 'spring' | 'qingming' | 'dragonBoat' | 'midAutumn' | 'doubleNinth';

export interface Festival { id: FestivalId; date: string }

/** Lunar month/day of the lunar year that starts in `year` (non-leap month), as a solar YYYY-MM-DD. */
function lunarDay(year: number, month: number, day: number): string {
  return Lunar.fromYmd(year, month, day).getSolar().toYmd();
}

/** 清明 of the Gregorian year: read from the solar-term table of the lunar year that contains April 1st. */
function qingming(year: number): string {
  const term = Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()['清明'];
  if (!term || term.getYear() !== year) throw new Error(`no 清明 found for ${year}`);
  return term.toYmd();
}

/** The five festivals of a Gregorian year, in date order. */
export function festivalsOfYear(year: number): Festival[] {
  const list: Festival[] = [
    { id: 'spring', date: lunarDay(year, 1, 1) },
    { id: 'qingming', date: qingming(year) },
    { id: 'dragonBoat', date: lunarDay(year, 5, 5) },
    { id: 'midAutumn', date: lunarDay(year, 8, 15) },
    { id: 'doubleNinth', date: lunarDay(year, 9, 9) },
  ];
  return list.sort((a, b) => a.date.localeCompare(b.date));
}
