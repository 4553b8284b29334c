/**
 * Messages for import errors, keyed by RowError.code (plus `unreadable` from readTable).
 * Placeholders: {{field}} = columnLabel(field, lang); {{allowed}} (Chinese choices) or {{allowedEn}},
 * {{min}}/{{max}} and {{firstRow}} come from RowError.params.
 */
export const importErrorsZh: Record<string, string> = {
  unreadable: '文件无法读取：请上传 UTF-8 的 CSV 或 .xlsx 文件',
  missing_column: '表头缺少“{{field}}”这一列',
  required: '“{{field}}”没有填写',
  invalid_date: '“{{field}}”不对：请填真实的日期，写成 2015-03-08',
  invalid_choice: '“{{field}}”只能填：{{allowed}}',
  invalid_phone: '“{{field}}”不是有效的电话：请填 11 位手机号，或带区号的座机',
  invalid_number: '“{{field}}”请填 {{min}} 到 {{max}} 之间的整数',
  invalid_userid: '“{{field}}”格式不对：只能用字母、数字和 _ - @ .，最多 64 个字符',
  duplicate_in_file: '“{{field}}”和第 {{firstRow}} 行重复了',
  same_userid_other_name: '“{{field}}”和第 {{firstRow}} 行是同一个账号，姓名却不同：同一个人在两所学校任职时，两行的姓名要一致；不是同一个人就请改用各自的账号',
  role_needs_county: '“{{field}}”：教育局人员只能由教育局导入，这一行没有导入',
  unknown_teacher: '“{{field}}”里的账号 {{value}} 不在教职工名单里：请先导入教职工',
  teacher_other_school: '“{{field}}”里的老师 {{value}} 不是这所学校的',
  school_out_of_scope: '“{{field}}”：{{value}} 不是您负责的学校，这一行没有导入',
  address_taken: '“{{field}}”这个账号已被一位家长绑定，不能再用作教职工账号',
  binary: '文件无法读取：这不是表格文字，像是图片或其他二进制文件。请上传 CSV 或 .xlsx 文件',
  too_many_rows: '文件无法读取：一次最多导入 {{max}} 行，这个文件有 {{rows}} 行。请分成几个文件导入',
  duplicate_column: '表头里“{{field}}”这一列出现了两次：请删掉或改名其中一列',
  too_long: '“{{field}}”太长了：最多 {{max}} 个字',
};

export const importErrorsEn: Record<string, string> = {
  unreadable: 'The file cannot be read: please upload a UTF-8 CSV or an .xlsx file',
  missing_column: 'The header has no "{{field}}" column',
  required: '"{{field}}" is empty',
  invalid_date: '"{{field}}" is not a valid date: write a real date like 2015-03-08',
  invalid_choice: '"{{field}}" must be one of: {{allowedEn}}',
  invalid_phone: '"{{field}}" is not a valid phone number: use an 11-digit mobile or a landline with area code',
  invalid_number: '"{{field}}" must be a whole number from {{min}} to {{max}}',
  invalid_userid: '"{{field}}" is not a valid WeCom account: letters, digits and _ - @ . only, at most 64 characters',
  duplicate_in_file: '"{{field}}" repeats row {{firstRow}}',
  same_userid_other_name: '"{{field}}" is the account of row {{firstRow}} under another name: one person in two schools has the same name on both rows; two people need an account each',
  role_needs_county: '"{{field}}": only county staff may import county (教育局) staff; this row was not imported',
  unknown_teacher: '"{{field}}": {{value}} is not on the staff list; import the staff first',
  teacher_other_school: '"{{field}}": teacher {{value}} belongs to another school',
  school_out_of_scope: '"{{field}}": {{value}} is not a school you lead; this row was not imported',
  address_taken: '"{{field}}": this account is already bound to a family member and cannot be a staff account',
  binary: 'The file cannot be read: it is not spreadsheet text but an image or other binary file; upload a CSV or an .xlsx file',
  too_many_rows: 'The file cannot be read: at most {{max}} rows are imported at once, and this file has {{rows}}; split it into several files',
  duplicate_column: 'The header has the "{{field}}" column twice: delete or rename one of them',
  too_long: '"{{field}}" is too long: at most {{max}} characters',
};
