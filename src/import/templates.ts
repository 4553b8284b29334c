/**
 * Downloadable import templates: an .xlsx per kind with the Chinese headers (required ones marked) and one
 * example row, so a school fills in a file the import reads as it is.
 */
import ExcelJS from 'exceljs';
import { ROSTER_COLUMNS, STAFF_COLUMNS } from './columns';

const EXAMPLES: Record<'staff' | 'roster', Record<string, string>> = {
  staff: {
    school: '阳光小学', name: '张丽', wecom_userid: 'zhangli', phone: '13900001111', role: '班主任', class: '三年级1班',
    party_member: '是', max_children: '3', teacher_room: '',
  },
  roster: {
    school: '阳光小学', class: '三年级1班', child_name: '王小明', gender: '男', birth_date: '2016-05-12', student_no: '',
    left_behind: '双亲外出', living_with: '祖辈', boarding: '否', priority: '是', father_name: '王建国', father_phone: '13800138001',
    father_work_city: '广东东莞', mother_name: '刘芳', mother_phone: '13800138002', mother_work_city: '浙江义乌',
    guardian_name: '王奶奶', guardian_relation: '祖母', guardian_phone: '13800138003', guardian_age: '68', guardian_literacy: '不识字',
    teacher_wecom_userid: 'zhangli',
  },
};

export async function importTemplate(kind: 'staff' | 'roster'): Promise<Buffer> {
  const columns = kind === 'staff' ? STAFF_COLUMNS : ROSTER_COLUMNS;
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(kind === 'staff' ? '教职工' : '花名册');
  ws.columns = columns.map((c) => ({ header: c.zh, key: c.key, width: Math.max(10, c.zh.length * 2 + 4) }));
  ws.addRow(Object.fromEntries(columns.map((c) => [c.key, EXAMPLES[kind][c.key] ?? ''])));
  const header = ws.getRow(1);
  header.font = { bold: true };
  columns.forEach((c, i) => {
    if (c.required) header.getCell(i + 1).fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFE699' } };
    // Phones, codes and dates stay text: Excel would otherwise turn 13800138001 into 1.38E+10.
    ws.getColumn(i + 1).numFmt = '@';
  });
  ws.views = [{ state: 'frozen', ySplit: 1 }];
  return Buffer.from(await wb.xlsx.writeBuffer());
}
