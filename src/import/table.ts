import { parse } from 'csv-parse/sync';
import { Workbook, type CellValue } from 'exceljs';
import iconv from 'iconv-lite';

/** Data rows one file may hold: a county's roster fits many times over; more is a mistake or an attack. */
export const MAX_ROWS = 50_000;

/** Rows read at most: MAX_ROWS data rows below a header that may sit under a few title rows. */
const MAX_TABLE_ROWS = MAX_ROWS + 10;

function tooManyRows(rows: number): never {
  throw new TableError('too_many_rows', `the file has about ${rows} rows; at most ${MAX_ROWS} are read`, { max: MAX_ROWS, rows });
}

/** Why a file is refused whole; each code has an `importError.<code>` message. */
export type TableErrorCode = 'unreadable' | 'binary' | 'too_many_rows';

export class TableError extends Error {
  constructor(
    readonly code: TableErrorCode,
    message: string,
    readonly params: Record<string, number> = {},
  ) {
    super(message);
    this.name = 'TableError';
  }
}

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/**
 * Reads an uploaded .xlsx (first visible worksheet) or CSV (UTF-8, or the GB18030/GBK that Excel on Chinese
 * Windows saves) into trimmed strings. Index 0 is the spreadsheet's row 1, so a row number is index + 1; empty
 * rows inside the table are kept as rows of '' so those numbers stay right. All rows have the same width.
 */
export async function readTable(body: Buffer): Promise<string[][]> {
  if (!body || body.length === 0) throw new TableError('unreadable', 'the file is empty');
  const rows = body.subarray(0, 4).equals(ZIP_MAGIC) ? await readXlsx(body) : readCsv(body);
  while (rows.length > 0 && rows[rows.length - 1].every((c) => c === '')) rows.pop();
  if (rows.length === 0) throw new TableError('unreadable', 'the file has no rows');
  if (rows.length > MAX_TABLE_ROWS) tooManyRows(rows.length);
  const width = rows.reduce((w, r) => Math.max(w, r.length), 0);
  return rows.map((r) => (r.length < width ? r.concat(Array<string>(width - r.length).fill('')) : r));
}

/** Control characters no spreadsheet writes into a CSV: their presence means the bytes are not text. */
const BINARY = /[\u0000-\u0008\u000e-\u001f\u007f\ufffd]/;

/** UTF-8 (a BOM dropped) when the bytes are valid UTF-8, else GB18030 (a superset of GBK and GB2312). */
function decodeText(body: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return iconv.decode(body, 'gb18030');
  }
}

function readCsv(body: Buffer): string[][] {
  // A UTF-16 export starts with its BOM; decoded as anything else it would be mojibake, so it is refused.
  if (body.length >= 2 && ((body[0] === 0xff && body[1] === 0xfe) || (body[0] === 0xfe && body[1] === 0xff))) {
    throw new TableError('unreadable', 'the file is UTF-16 text; save it as CSV UTF-8');
  }
  const text = decodeText(body);
  if (BINARY.test(text)) throw new TableError('binary', 'the file is binary, not CSV text');
  let records: string[][];
  try {
    // Parsing stops one record past the cap: a file of a million rows is refused without reading it all.
    records = parse(text, { relax_column_count: true, skip_empty_lines: false, to: MAX_TABLE_ROWS + 1 }) as string[][];
  } catch (e) {
    throw new TableError('unreadable', `the CSV cannot be parsed: ${(e as Error).message}`);
  }
  if (records.length > MAX_TABLE_ROWS) tooManyRows(text.split('\n').length);
  return records.map((r) => r.map((c) => c.trim()));
}

async function readXlsx(body: Buffer): Promise<string[][]> {
  const workbook = new Workbook();
  teachExceljsCjkDateFormats();
  try {
    // exceljs's d.ts declares its own `Buffer` (an ArrayBuffer); at runtime a Node Buffer is what it wants.
    await workbook.xlsx.load(body as unknown as Parameters<typeof workbook.xlsx.load>[0]);
  } catch (e) {
    throw new TableError('unreadable', `the .xlsx file cannot be read: ${(e as Error).message}`);
  }
  // A hidden first sheet is usually a list of choices for drop-downs, not the table the clerk sees.
  const sheet = workbook.worksheets.find((s) => s.state === 'visible') ?? workbook.worksheets[0];
  if (!sheet) throw new TableError('unreadable', 'the .xlsx file has no worksheet');
  const rows: string[][] = [];
  sheet.eachRow({ includeEmpty: true }, (row, rowNumber) => {
    const cells: string[] = [];
    row.eachCell({ includeEmpty: true }, (cell, col) => {
      cells[col - 1] = cellText(cell.value);
    });
    rows[rowNumber - 1] = Array.from(cells, (c) => c ?? '');
  });
  return Array.from(rows, (r) => r ?? []);
}

function cellText(v: CellValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number') return numberText(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) return dateText(v);
  if ('richText' in v) return v.richText.map((part) => part.text).join('').trim();
  // The declared type says string, but exceljs puts rich text here when the link text is formatted.
  if ('hyperlink' in v) return cellText(v.text as CellValue);
  if ('formula' in v || 'sharedFormula' in v) return cellText(v.result ?? null);
  return ''; // an error value such as #N/A
}

/** Plain decimal: a phone stored as a number must come back as 13800138000, never 1.38e10. */
function numberText(n: number): string {
  if (!Number.isFinite(n)) return '';
  const s = String(n);
  return /e/i.test(s) ? n.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 }) : s;
}

/** exceljs turns a date serial into the UTC instant of that wall-clock time, so read it back in UTC. */
function dateText(d: Date): string {
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

let cjkFormatsTaught = false;

/**
 * exceljs knows codes only for the en-US built-in number formats; cells that zh-CN Excel or WPS saved
 * with a built-in CJK date format (ids 27–36 and 50–58, e.g. 2015年3月8日) would load as bare serial
 * numbers. Filling in the zh-CN codes changes reading only: exceljs built its code → id table for
 * writing when it was loaded.
 */
function teachExceljsCjkDateFormats(): void {
  if (cjkFormatsTaught) return;
  cjkFormatsTaught = true;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const formats = require('exceljs/lib/xlsx/defaultnumformats') as Record<string, { f?: string; 'zh-cn'?: string }>;
    for (const format of Object.values(formats)) if (!format.f && format['zh-cn']) format.f = format['zh-cn'];
  } catch {
    // A newer exceljs moved the table: such dates then arrive as numbers and fail date validation.
  }
}
