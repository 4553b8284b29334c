/** Spreadsheets the bot writes never carry a formula that came from user input (formula injection). */
import { ValueType, Workbook } from 'exceljs';
import JSZip from 'jszip';
import { buildCardsWorkbook } from '../src/import/cardsWorkbook';
import type { ContactCard } from '../src/import/contactCards';

const NASTY = ['=HYPERLINK("http://x","click")', '+1+1', '-2+3', '@SUM(A1:A9)', '=cmd|\' /C calc\'!A0', '\t=1+1'];

describe('buildCardsWorkbook and user text that looks like a formula', () => {
  const cards: ContactCard[] = NASTY.map((v, i) => ({
    childId: String(i), child: v, school: v, class: NASTY[(i + 1) % NASTY.length],
    codes: [{ for: 'father', name: v, code: `AB${i + 2}CDE` }, { for: 'mother', name: NASTY[(i + 2) % NASTY.length], code: `FG${i + 2}HJK` }],
  }));

  it('reads back as plain strings: no formula cell, no <f> element, the text exactly as given', async () => {
    const buffer = Buffer.from(await buildCardsWorkbook(cards).xlsx.writeBuffer());
    const zip = await JSZip.loadAsync(buffer);
    const sheets = Object.keys(zip.files).filter((f) => /^xl\/worksheets\/sheet\d+\.xml$/.test(f));
    expect(sheets.length).toBeGreaterThan(0);
    for (const f of sheets) expect(await zip.file(f)!.async('string')).not.toMatch(/<f[ >]/);

    const back = new Workbook();
    await back.xlsx.load(buffer as unknown as Parameters<typeof back.xlsx.load>[0]);
    const texts: string[] = [];
    back.worksheets[0].eachRow((row) => row.eachCell((cell) => {
      expect(cell.type).not.toBe(ValueType.Formula);
      if (typeof cell.value === 'string') texts.push(cell.value);
    }));
    for (const v of NASTY) expect(texts.some((t) => t === v || t.endsWith(`：${v}`))).toBe(true);
  });

  it('formats user-text cells as text, so editing one in Excel cannot turn it into a formula', async () => {
    const buffer = Buffer.from(await buildCardsWorkbook(cards).xlsx.writeBuffer());
    const back = new Workbook();
    await back.xlsx.load(buffer as unknown as Parameters<typeof back.xlsx.load>[0]);
    back.worksheets[0].eachRow((row) => row.eachCell((cell) => {
      if (typeof cell.value === 'string' && NASTY.some((v) => String(cell.value).includes(v))) expect(cell.numFmt).toBe('@');
    }));
  });
});
