/**
 * Printable contact cards (联系卡) as a PDF: A4 portrait, two columns by four rows of cards, dashed cut lines
 * between them. Each card: the school and class, the child, one row per family member (father / mother /
 * guardian, their name, their binding code in large monospace), what to do with the code in words, and — when the
 * 微信客服 link is configured — a QR code to it with "扫码后发送绑定码".
 * Pure: cards and a font in, the PDF out; no database, no file. Phone numbers are never printed — a ContactCard
 * carries none. The Chinese text is real text in an embedded subset of the CJK font (cjkFont.ts), so the PDF can be
 * searched and read back (pdftotext).
 */
import PDFDocument from 'pdfkit';
import * as QRCode from 'qrcode';
import { CARD_NO_FAMILY, CARD_NOTE, CARD_ROLE_LABEL } from './cardText';
import type { ContactCard } from './contactCards';
import type { CjkFont } from './cjkFont';

export const PDF_INSTRUCTION = '在企业微信/微信里给学校的家校联系助手发送绑定码';
export const PDF_QR_CAPTION = '扫码后发送绑定码';

/** A4 in points. */
const PAGE_W = 595.28;
const PAGE_H = 841.89;
const COLS = 2;
const ROWS = 4;
const CARDS_PER_PAGE = COLS * ROWS;
const MARGIN_X = 28; // ≈ 10 mm: inside what any office printer prints
const MARGIN_TOP = 28;
const MARGIN_BOTTOM = 36; // room for the page footer
const CARD_W = (PAGE_W - 2 * MARGIN_X) / COLS;
const CARD_H = (PAGE_H - MARGIN_TOP - MARGIN_BOTTOM) / ROWS;
const PAD = 12;
const QR_SIZE = 64;
/** Member rows: three fit (father, mother, guardian); more would share the same height. */
const MEMBER_ROW = 28;
const MEMBER_BLOCK = 3 * MEMBER_ROW;

const CJK = 'cjk';
const MONO = 'Courier-Bold'; // one of PDF's standard fonts: the codes are Latin letters and digits only
const BLACK = '#000000';
const GREY = '#555555';
const CUT = '#999999';

export interface CardsPdfOptions {
  font: Pick<CjkFont, 'data' | 'postscriptName'>;
  /** The 微信客服 link (WECOM_KF_LINK): a QR code to it on every card. */
  kfLink?: string;
}

/**
 * The PDF of `cards`, in their order. Yields to the event loop after each page: a school's few hundred cards take a
 * second or so of CPU, and the bot keeps answering messages meanwhile.
 */
export async function renderContactCardsPdf(cards: ContactCard[], opts: CardsPdfOptions): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4', margin: 0, autoFirstPage: false,
    info: { Title: '联系卡 contact cards', Creator: 'liushou-family-bot' },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  done.catch(() => undefined); // awaited at the end; meanwhile a failure must not count as unhandled
  doc.registerFont(CJK, opts.font.data, opts.font.postscriptName);
  const qr = opts.kfLink ? qrRuns(opts.kfLink) : undefined;

  const pages = Math.max(1, Math.ceil(cards.length / CARDS_PER_PAGE));
  for (let p = 0; p < pages; p++) {
    doc.addPage();
    const onPage = cards.slice(p * CARDS_PER_PAGE, (p + 1) * CARDS_PER_PAGE);
    onPage.forEach((card, i) => {
      const x = MARGIN_X + (i % COLS) * CARD_W;
      const y = MARGIN_TOP + Math.floor(i / COLS) * CARD_H;
      doc.save();
      doc.rect(x, y, CARD_W, CARD_H).clip(); // a long name shrinks, and is cut at the card's edge at worst
      drawCard(doc, card, x + PAD, y + PAD, qr);
      doc.restore();
    });
    cutLines(doc, Math.max(1, Math.ceil(onPage.length / COLS)));
    line(doc, `第 ${p + 1} / ${pages} 页　沿虚线剪开，每个孩子一张`, CJK, 7, GREY, MARGIN_X, PAGE_H - 16, PAGE_W - 2 * MARGIN_X, 'center');
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  doc.end();
  return done;
}

type Doc = InstanceType<typeof PDFDocument>;

function drawCard(doc: Doc, card: ContactCard, x: number, y: number, qr?: QrRuns): void {
  const w = CARD_W - 2 * PAD;
  const left = qr ? w - QR_SIZE - 10 : w; // what the text beside the QR code may take
  if (qr) {
    drawQr(doc, qr, x + w - QR_SIZE, y);
    line(doc, PDF_QR_CAPTION, CJK, 7.5, BLACK, x + w - QR_SIZE - 6, y + QR_SIZE + 10, QR_SIZE + 12, 'center');
  }
  line(doc, [card.school, card.class].filter(Boolean).join('　'), CJK, 9.5, GREY, x, y + 10, left);
  line(doc, card.child, CJK, 18, BLACK, x, y + 34, left);

  const top = y + 44;
  if (!card.codes.length) line(doc, CARD_NO_FAMILY, CJK, 10, GREY, x, top + 16, left);
  const rowH = Math.min(MEMBER_ROW, MEMBER_BLOCK / card.codes.length);
  const scale = rowH / MEMBER_ROW;
  card.codes.forEach((m, i) => {
    const base = top + i * rowH + 20 * scale;
    const codeSize = 22 * scale;
    doc.font(MONO).fontSize(codeSize);
    const codeW = doc.widthOfString(m.code);
    line(doc, CARD_ROLE_LABEL[m.for] ?? m.for, CJK, 10.5 * scale, GREY, x, base, 36);
    line(doc, m.name, CJK, 11.5 * scale, BLACK, x + 38, base, left - 38 - codeW - 6);
    line(doc, m.code, MONO, codeSize, BLACK, x + left - codeW, base, codeW);
  });

  line(doc, PDF_INSTRUCTION, CJK, 9, BLACK, x, top + MEMBER_BLOCK + 19, w);
  line(doc, CARD_NOTE, CJK, 8, GREY, x, top + MEMBER_BLOCK + 33, w);
}

/**
 * One line of text whose baseline is at `y`, never wrapped: shrunk to fit `width` (down to 5 pt; beyond that the
 * card's clip cuts it).
 */
function line(doc: Doc, text: string, font: string, size: number, color: string, x: number, y: number, width: number, align: 'left' | 'center' = 'left'): void {
  doc.font(font).fontSize(size);
  const natural = doc.widthOfString(text);
  if (natural > width) doc.fontSize(Math.max(5, (size * width) / natural));
  const dx = align === 'center' ? Math.max(0, (width - doc.widthOfString(text)) / 2) : 0;
  doc.fillColor(color).text(text, x + dx, y, { lineBreak: false, baseline: 'alphabetic' });
}

/** The dashed lines to cut along: the grid of the rows of cards used on this page. */
function cutLines(doc: Doc, rows: number): void {
  doc.save().lineWidth(0.5).dash(4, { space: 3 }).strokeColor(CUT);
  const bottom = MARGIN_TOP + rows * CARD_H;
  for (let r = 0; r <= rows; r++) {
    const y = MARGIN_TOP + r * CARD_H;
    doc.moveTo(MARGIN_X, y).lineTo(PAGE_W - MARGIN_X, y);
  }
  for (let c = 0; c <= COLS; c++) {
    const x = MARGIN_X + c * CARD_W;
    doc.moveTo(x, MARGIN_TOP).lineTo(x, bottom);
  }
  doc.stroke().undash().restore();
}

/** A QR code as runs of dark modules per row ([row, first column, length]), computed once for all cards. */
interface QrRuns { size: number; runs: Array<[number, number, number]> }

function qrRuns(text: string): QrRuns {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const runs: QrRuns['runs'] = [];
  for (let r = 0; r < modules.size; r++) {
    let start = -1;
    for (let c = 0; c <= modules.size; c++) {
      const dark = c < modules.size && modules.get(r, c);
      if (dark && start < 0) start = c;
      if (!dark && start >= 0) {
        runs.push([r, start, c - start]);
        start = -1;
      }
    }
  }
  return { size: modules.size, runs };
}

/** Vector squares: sharp at any printer's resolution. The card's padding is its quiet zone. */
function drawQr(doc: Doc, qr: QrRuns, x: number, y: number): void {
  const m = QR_SIZE / qr.size;
  for (const [r, c, n] of qr.runs) doc.rect(x + c * m, y + r * m, n * m, m);
  doc.fillColor(BLACK).fill();
}
