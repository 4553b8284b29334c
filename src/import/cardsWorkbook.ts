/**
 * Printable contact cards (联系卡) as an .xlsx: two cards side by side, four rows of cards per A4 page,
 * each card boxed by a dashed cut line. Pure: no database, so it can be tested on its own.
 * Phone numbers are never printed — a ContactCard carries none, and nothing else is read here.
 */
import * as ExcelJS from 'exceljs';
import { CARD_NO_FAMILY, CARD_NOTE, CARD_ROLE_LABEL } from './cardText';
import type { ContactCard } from './contactCards';

export const CARDS_SHEET = '联系卡';
export const CARD_INSTRUCTION = '用微信给学校的家校联系号发送：绑定 + 绑定码';

/** A child has at most father, mother and guardian, so every card gets three member rows: all cards are the same height. */
const MEMBER_ROWS = 3;
/** Row heights in points: school·class, child, column labels, members ×3, instruction. */
const CARD_ROW_HEIGHTS = [18, 24, 15, 26, 26, 26, 40];
const GAP_ROW_HEIGHT = 12;
/** (18+24+15+3×26+40) + 12 = 187 pt per band; 4 bands = 748 pt, under A4's 842 pt less 0.4" margins (~784 pt). */
const BANDS_PER_PAGE = 4;
const CARDS_PER_BAND = 2;
/** Columns per card: role, name, code; one narrow gutter column between the two cards. */
const CARD_COLS = 3;
/** 2×(9+14+17)+3 = 83 characters ≈ 460 pt: fits A4's 595 pt less margins at 100 % scale. */
const COL_WIDTHS = [9, 14, 17];
const GUTTER_WIDTH = 3;

/**
 * TEXT: names come from imported files and may start with = + - @ (=HYPERLINK(…) in a name column). exceljs writes
 * every string as a string, never as a formula; the text format '@' also keeps Excel from turning it into one when
 * someone edits the cell and presses Enter.
 */
const MONO = 'Courier New';
const GREY = { argb: 'FF666666' };
const CUT = { style: 'dashed', color: { argb: 'FF999999' } } as const;

export function buildCardsWorkbook(cards: ContactCard[]): ExcelJS.Workbook {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'liushou-family-bot';
  wb.created = new Date(0); // fixed, so the same cards give the same file
  const ws = wb.addWorksheet(CARDS_SHEET, {
    views: [{ showGridLines: false }],
    pageSetup: {
      paperSize: 9, // A4
      orientation: 'portrait',
      horizontalCentered: true,
      fitToPage: false, // real size: the row heights above are what decides four bands per page
      margins: { left: 0.4, right: 0.4, top: 0.4, bottom: 0.4, header: 0.2, footer: 0.2 },
    },
    headerFooter: { oddFooter: '&C&8第 &P 页 / 共 &N 页' },
  });

  const widths = [...COL_WIDTHS, GUTTER_WIDTH, ...COL_WIDTHS];
  widths.forEach((w, i) => { ws.getColumn(i + 1).width = w; });

  const bandHeight = CARD_ROW_HEIGHTS.length + 1; // + gap row
  for (let i = 0; i < cards.length; i++) {
    const band = Math.floor(i / CARDS_PER_BAND);
    const top = band * bandHeight + 1;
    const left = (i % CARDS_PER_BAND) * (CARD_COLS + 1) + 1;
    if (i % CARDS_PER_BAND === 0) {
      CARD_ROW_HEIGHTS.forEach((h, r) => { ws.getRow(top + r).height = h; });
      ws.getRow(top + CARD_ROW_HEIGHTS.length).height = GAP_ROW_HEIGHT;
      // A page break after every fourth band, so that no card is split across two sheets of paper.
      const last = band === Math.floor((cards.length - 1) / CARDS_PER_BAND);
      if ((band + 1) % BANDS_PER_PAGE === 0 && !last) ws.getRow(top + CARD_ROW_HEIGHTS.length).addPageBreak();
    }
    drawCard(ws, cards[i], top, left);
  }
  return wb;
}

function drawCard(ws: ExcelJS.Worksheet, card: ContactCard, top: number, left: number): void {
  const right = left + CARD_COLS - 1;
  const line = (row: number, value: string, font: Partial<ExcelJS.Font>, wrap = false): void => {
    ws.mergeCells(row, left, row, right);
    const cell = ws.getCell(row, left);
    cell.value = value;
    cell.numFmt = '@'; // see TEXT below
    cell.font = font;
    // Shrink rather than spill: a long school name must not run past the cut line.
    cell.alignment = { vertical: 'middle', horizontal: 'left', indent: 1, ...(wrap ? { wrapText: true } : { shrinkToFit: true }) };
  };

  line(top, [card.school, card.class].filter(Boolean).join(' · '), { size: 10, color: GREY });
  line(top + 1, `学生：${card.child}`, { size: 14, bold: true });
  ['家长', '姓名', '绑定码'].forEach((label, c) => {
    const cell = ws.getCell(top + 2, left + c);
    cell.value = label;
    cell.font = { size: 9, color: GREY };
    cell.alignment = { vertical: 'bottom', horizontal: c === 0 ? 'left' : 'center', indent: c === 0 ? 1 : 0 };
  });

  for (let m = 0; m < MEMBER_ROWS; m++) {
    const member = card.codes[m];
    const row = top + 3 + m;
    if (!member) {
      if (m === 0) line(row, CARD_NO_FAMILY, { size: 10, color: GREY });
      continue;
    }
    const role = ws.getCell(row, left);
    role.value = CARD_ROLE_LABEL[member.for] ?? member.for;
    role.font = { size: 11 };
    role.alignment = { vertical: 'middle', indent: 1 };
    const name = ws.getCell(row, left + 1);
    name.value = member.name;
    name.numFmt = '@';
    name.font = { size: 12 };
    name.alignment = { vertical: 'middle', horizontal: 'center', shrinkToFit: true };
    const code = ws.getCell(row, left + 2);
    code.value = member.code;
    code.font = { name: MONO, size: 20, bold: true };
    code.alignment = { vertical: 'middle', horizontal: 'center' };
    // A text cell, so that a code of digits only could never turn into a number.
    code.numFmt = '@';
  }

  line(top + 3 + MEMBER_ROWS, `${CARD_INSTRUCTION}\n${CARD_NOTE}`, { size: 9 }, true);
  cutLine(ws, top, left, top + CARD_ROW_HEIGHTS.length - 1, right);
}

/** A dashed box around the card: what the scissors follow. */
function cutLine(ws: ExcelJS.Worksheet, top: number, left: number, bottom: number, right: number): void {
  for (let r = top; r <= bottom; r++) {
    for (let c = left; c <= right; c++) {
      const border: Partial<ExcelJS.Borders> = {};
      if (r === top) border.top = CUT;
      if (r === bottom) border.bottom = CUT;
      if (c === left) border.left = CUT;
      if (c === right) border.right = CUT;
      if (Object.keys(border).length) ws.getCell(r, c).border = border;
    }
  }
}
