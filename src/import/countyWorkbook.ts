/**
 * The county report as an .xlsx (GET /api/reports/county.xlsx): the sheets 花名册 (one row per child), 统计 (counts
 * per school and class) and 关爱落实 (the month's care per school and pairing teacher). Each sheet is one table:
 * a header row (frozen, with filters), columns sized to their contents. Pure: no database; the numbers are the
 * report's (domain/countyReport.ts), the same the dashboard's JSON answers.
 *
 * No phone numbers and no binding codes: a report travels by e-mail and USB stick. Names come from imported files
 * and may start with = + - @: exceljs writes strings as strings, and text columns carry the text format '@' so
 * that Excel does not turn one into a formula when someone edits the cell.
 */
import * as ExcelJS from 'exceljs';
import type { CareCounts, ChildRow, CountyReport, MemberView, RosterCounts } from '../domain/countyReport';
import { onTimeRate, UNKNOWN_GRADE } from '../domain/countyReport';
import { CADENCE_KINDS } from '../domain/cadences';
import { Lang, translator } from '../locales';
import { columnLabel, GENDER_CHOICES, LEFT_BEHIND_CHOICES, LITERACY_CHOICES, LIVING_WITH_CHOICES, RosterKey } from './columns';
import { LEFT_BEHIND, LIVING_WITH } from '../models/child';

/** The sheets' names are part of the public contract (DESIGN.md §4 "County report"), whatever the language. */
const ROSTER_SHEET = '花名册';
const STATS_SHEET = '统计';
const CARE_SHEET = '关爱落实';

type Cell = string | number | null;
interface Column { header: string; kind: 'text' | 'number' | 'percent' }

const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE8EEF7' } };
const MIN_WIDTH = 6;
const MAX_WIDTH = 40;

/** Width in Excel's character units: a CJK character takes two. */
function displayWidth(v: Cell): number {
  if (v === null) return 0;
  const s = typeof v === 'number' ? String(Math.round(v * 100) / 100) : v;
  return [...s].reduce((n, ch) => n + (/[\u2e80-\uffff]/.test(ch) ? 2 : 1), 0);
}

/** One sheet: header row frozen and filtered, each column as wide as its longest cell (within bounds). */
function addTable(wb: ExcelJS.Workbook, name: string, columns: Column[], rows: Cell[][]): ExcelJS.Worksheet {
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1, xSplit: 0 }] });
  const header = ws.addRow(columns.map((c) => c.header));
  header.font = { bold: true };
  header.alignment = { vertical: 'middle', wrapText: true };
  header.eachCell((cell) => { cell.fill = HEADER_FILL; });
  for (const r of rows) ws.addRow(r);
  columns.forEach((c, i) => {
    const col = ws.getColumn(i + 1);
    const widest = Math.max(displayWidth(c.header), ...rows.map((r) => displayWidth(r[i] ?? null)));
    col.width = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, widest + 2));
    if (c.kind === 'text') col.numFmt = '@';
    if (c.kind === 'percent') col.numFmt = '0.0%';
  });
  ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns.length } };
  return ws;
}

export function buildCountyWorkbook(report: CountyReport, lang: Lang = 'zh-CN'): ExcelJS.Workbook {
  const t = translator(lang, 'text');
  const zh = lang !== 'en';
  const yesNo = (b: boolean) => t(b ? 'report.yes' : 'report.no');
  const choice = <V extends string>(table: Readonly<Record<V, string>>, v: string | null | undefined): string => {
    if (!v) return t('report.unknown');
    return zh ? (table as Record<string, string>)[v] ?? v : v;
  };
  const gradeLabel = (g: string | null) => (!g || g === UNKNOWN_GRADE ? t('report.unknownGrade') : g);
  const text = (header: string): Column => ({ header, kind: 'text' });
  const num = (header: string): Column => ({ header, kind: 'number' });
  const roster = (key: RosterKey) => text(columnLabel(key, lang));

  const wb = new ExcelJS.Workbook();
  wb.creator = 'liushou-family-bot';
  wb.created = report.at;

  // 花名册: the record's fields (the roster import's columns, without phones), grade, pairing teacher, binding.
  const member = (m: MemberView | null, pick: (m: MemberView) => string | number | null) => (m ? pick(m) ?? '' : '');
  const bound = (m: MemberView | null) => (m ? yesNo(m.bound) : t('report.none'));
  const rosterColumns: Array<[Column, (c: ChildRow) => Cell]> = [
    [roster('school'), (c) => c.school],
    [roster('class'), (c) => c.class],
    [text(t('report.col.grade')), (c) => gradeLabel(c.grade)],
    [roster('child_name'), (c) => c.child],
    [roster('gender'), (c) => choice(GENDER_CHOICES, c.gender)],
    [roster('birth_date'), (c) => c.birthDate],
    [roster('student_no'), (c) => c.studentNo ?? ''],
    [roster('left_behind'), (c) => choice(LEFT_BEHIND_CHOICES, c.leftBehind)],
    [roster('living_with'), (c) => choice(LIVING_WITH_CHOICES, c.livingWith)],
    [roster('boarding'), (c) => yesNo(c.boarding)],
    [roster('priority'), (c) => yesNo(c.priority)],
    [roster('father_name'), (c) => member(c.father, (m) => m.name)],
    [roster('father_work_city'), (c) => member(c.father, (m) => m.workCity)],
    [roster('mother_name'), (c) => member(c.mother, (m) => m.name)],
    [roster('mother_work_city'), (c) => member(c.mother, (m) => m.workCity)],
    [roster('guardian_name'), (c) => member(c.guardian, (m) => m.name)],
    [roster('guardian_relation'), (c) => member(c.guardian, (m) => m.relation)],
    [num(columnLabel('guardian_age', lang)), (c) => c.guardian?.age ?? null],
    [roster('guardian_literacy'), (c) => member(c.guardian, (m) => (m.literacy ? choice(LITERACY_CHOICES, m.literacy) : ''))],
    [text(t('report.col.teacher')), (c) => c.teacher ?? ''],
    [text(t('report.col.complete')), (c) => yesNo(c.complete)],
    [text(t('report.col.boundFather')), (c) => bound(c.father)],
    [text(t('report.col.boundMother')), (c) => bound(c.mother)],
    [text(t('report.col.boundGuardian')), (c) => bound(c.guardian)],
  ];
  addTable(wb, ROSTER_SHEET, rosterColumns.map(([c]) => c), report.children.map((c) => rosterColumns.map(([, get]) => get(c))));

  // 统计: a row for the total, then each school followed by its classes.
  const statColumns: Array<[Column, (r: RosterCounts) => Cell]> = [
    [num(t('report.col.children')), (r) => r.children],
    ...[...LEFT_BEHIND, 'unknown' as const].map((k): [Column, (r: RosterCounts) => Cell] =>
      [num(t('report.col.leftBehind', { value: k === 'unknown' ? t('report.unknown') : choice(LEFT_BEHIND_CHOICES, k) })), (r) => r.leftBehind[k]]),
    ...[...LIVING_WITH, 'unknown' as const].map((k): [Column, (r: RosterCounts) => Cell] =>
      [num(t('report.col.livingWith', { value: k === 'unknown' ? t('report.unknown') : choice(LIVING_WITH_CHOICES, k) })), (r) => r.livingWith[k]]),
    [num(t('report.col.boarding')), (r) => r.boarding],
    ...(['male', 'female', 'unknown'] as const).map((k): [Column, (r: RosterCounts) => Cell] =>
      [num(t('report.col.gender', { value: k === 'unknown' ? t('report.unknown') : choice(GENDER_CHOICES, k) })), (r) => r.gender[k]]),
    ...report.grades.map((g): [Column, (r: RosterCounts) => Cell] => [num(t('report.col.gradeCount', { grade: gradeLabel(g) })), (r) => r.grades[g] ?? 0]),
    [num(t('report.col.priority')), (r) => r.priority],
    [num(t('report.col.paired')), (r) => r.paired],
    [num(t('report.col.complete')), (r) => r.complete],
    [num(t('report.col.boundFather')), (r) => r.bound.father],
    [num(t('report.col.boundMother')), (r) => r.bound.mother],
    [num(t('report.col.boundGuardian')), (r) => r.bound.guardian],
    [num(t('report.col.anyParent')), (r) => r.bound.anyParent],
  ];
  const statRows: Array<[string, string, string, string, string, RosterCounts]> = [
    [t('report.level.total'), '', '', '', '', report.totals.roster],
    ...report.schools.flatMap((s): Array<[string, string, string, string, string, RosterCounts]> => [
      [t('report.level.school'), s.school, '', '', '', s.roster],
      ...report.classes.filter((c) => c.schoolId === s.schoolId)
        .map((c): [string, string, string, string, string, RosterCounts] => [t('report.level.class'), c.school, c.class, gradeLabel(c.grade), c.headTeacher ?? '', c.roster]),
    ]),
  ];
  addTable(wb, STATS_SHEET,
    [text(t('report.level.header')), roster('school'), roster('class'), text(t('report.col.grade')), text(t('report.col.headTeacher')), ...statColumns.map(([c]) => c)],
    statRows.map(([level, school, cls, grade, head, r]) => [level, school, cls, grade, head, ...statColumns.map(([, get]) => get(r))]));

  // 关爱落实: a row for the total, then each school followed by its pairing teachers.
  const careColumns: Array<[Column, (c: CareCounts) => Cell]> = [
    [num(t('report.col.notesDue')), (c) => c.notes.expected],
    [num(t('report.col.notesWritten')), (c) => c.notes.written],
    [num(t('report.col.notesSent')), (c) => c.notes.delivered],
    [num(t('report.col.notesMissing')), (c) => c.notes.missing],
    [num(t('report.col.callsDone')), (c) => c.calls.done],
    [num(t('report.col.callsMissed')), (c) => c.calls.missed],
    [num(t('report.col.letters')), (c) => c.letters.reminded],
    [num(t('report.col.contactsLogged')), (c) => c.contacts.logged],
    ...CADENCE_KINDS.flatMap((k) => (['done', 'due', 'overdue'] as const).map((s): [Column, (c: CareCounts) => Cell] =>
      [num(t('report.col.cadence', { kind: t(`cadences.kind.${k}`), status: t(`report.col.cadenceStatus.${s}`) })), (c) => c.contacts.kinds[k][s]])),
    [num(t('report.col.cases')), (c) => c.cases.opened],
    [num(t('report.col.casesUrgent')), (c) => c.cases.urgent],
    [num(t('report.col.casesAnswered')), (c) => c.cases.answered],
    [num(t('report.col.casesRuled')), (c) => c.cases.withRule],
    [num(t('report.col.casesOnTime')), (c) => c.cases.onTime],
    [{ header: t('report.col.onTimeRate'), kind: 'percent' }, (c) => onTimeRate(c.cases)],
  ];
  const careRows: Array<[string, string, string, number, CareCounts]> = [
    [t('report.level.total'), '', '', report.totals.roster.paired, report.totals.care],
    ...report.schools.flatMap((s): Array<[string, string, string, number, CareCounts]> => [
      [t('report.level.school'), s.school, '', s.roster.paired, s.care],
      ...report.teachers.filter((x) => x.schoolId === s.schoolId)
        .map((x): [string, string, string, number, CareCounts] => [t('report.level.teacher'), x.school, x.teacher, x.children, x.care]),
    ]),
  ];
  addTable(wb, CARE_SHEET,
    [text(t('report.level.header')), roster('school'), text(t('report.col.teacher')), num(t('report.col.pairedChildren')), ...careColumns.map(([c]) => c)],
    careRows.map(([level, school, teacher, children, c]) => [level, school, teacher, children, ...careColumns.map(([, get]) => get(c))]));
  return wb;
}
