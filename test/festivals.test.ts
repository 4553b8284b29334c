/** Festival dates come from the lunar-calendar library; checked against the published dates of several years. */
import { festivalsOfYear } from '../src/scheduler/festivals';

const KNOWN: Record<number, Record<string, string>> = {
  // Published by the State Council holiday notices / the Purple Mountain Observatory calendar.
  2025: { spring: '2025-01-29', qingming: '2025-04-04', dragonBoat: '2025-05-31', midAutumn: '2025-10-06', doubleNinth: '2025-10-29' },
  2026: { spring: '2026-02-17', qingming: '2026-04-05', dragonBoat: '2026-06-19', midAutumn: '2026-09-25', doubleNinth: '2026-10-18' },
  2027: { spring: '2027-02-06', qingming: '2027-04-05', dragonBoat: '2027-06-09', midAutumn: '2027-09-15', doubleNinth: '2027-10-08' },
};

describe('festivalsOfYear', () => {
  it.each(Object.keys(KNOWN).map(Number))('%i: the five letter festivals on their known dates', (year) => {
    const got = Object.fromEntries(festivalsOfYear(year).map((f) => [f.id, f.date]));
    expect(got).toEqual(KNOWN[year]);
  });

  it('lists them in date order, all within the year, for decades (no table that runs out)', () => {
    for (let year = 2020; year <= 2060; year++) {
      const list = festivalsOfYear(year);
      expect(list).toHaveLength(5);
      expect(list.map((f) => f.date)).toEqual([...list.map((f) => f.date)].sort());
      for (const f of list) expect(f.date.startsWith(`${year}-`)).toBe(true);
      // Qingming is always April 4–6; Spring Festival between Jan 21 and Feb 20.
      const q = list.find((f) => f.id === 'qingming')!.date;
      expect(['04-04', '04-05', '04-06']).toContain(q.slice(5));
      const s = list.find((f) => f.id === 'spring')!.date.slice(5);
      expect(s >= '01-21' && s <= '02-20').toBe(true);
    }
  });
});
