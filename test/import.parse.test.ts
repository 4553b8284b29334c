import { Workbook } from 'exceljs';
// jszip (a devDependency, the version exceljs itself uses): used only to hand-edit a workbook the way zh-CN Excel saves it.
import JSZip from 'jszip';
import { columnLabel, mapHeader, MAX_CELL_CHARS, ROSTER_COLUMNS, STAFF_COLUMNS } from '../src/import/columns';
import { parseRoster, type RosterOptions } from '../src/import/rosterRows';
import { parseStaff } from '../src/import/staffRows';
import { MAX_ROWS, readTable, TableError } from '../src/import/table';
import type { RowError } from '../src/import/types';
import { importErrorsEn, importErrorsZh } from '../src/locales/importErrors';

const NOW: RosterOptions = { now: new Date('2026-06-01T04:00:00Z') }; // 2026-06-01 in Shanghai

const csv = (text: string) => Buffer.from(text, 'utf8');
const codes = (errors: RowError[]) => errors.map((e) => `${e.row}:${e.field}:${e.code}`);

async function xlsx(rows: unknown[][], edit?: (ws: import('exceljs').Worksheet) => void): Promise<Buffer> {
  const wb = new Workbook();
  const ws = wb.addWorksheet('名单');
  rows.forEach((r) => ws.addRow(r));
  edit?.(ws);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const STAFF_ZH = '学校*,姓名*,企业微信账号*,电话,职务,班级,党员,最多帮扶人数,教师群';
const ROSTER_ZH =
  '学校,班级,学生姓名,性别,出生日期,学号,留守类型,监护情况,寄宿,重点帮扶,父亲姓名,父亲电话,父亲务工地,' +
  '母亲姓名,母亲电话,母亲务工地,监护人姓名,监护人关系,监护人电话,监护人年龄,监护人文化程度,帮扶教师企业微信账号';

describe('readTable: CSV', () => {
  it('strips the BOM, accepts CRLF and quoted commas, trims cells', async () => {
    const rows = await readTable(csv('\ufeff学校,姓名\r\n" 青山小学 ","李,明"\r\n'));
    expect(rows).toEqual([
      ['学校', '姓名'],
      ['青山小学', '李,明'],
    ]);
  });

  it('keeps empty rows in the middle, drops trailing ones, pads short rows', async () => {
    const rows = await readTable(csv('a,b,c\n1,2,3\n\n,,\n4\n\n,,\n'));
    expect(rows).toEqual([
      ['a', 'b', 'c'],
      ['1', '2', '3'],
      ['', '', ''],
      ['', '', ''],
      ['4', '', ''],
    ]);
  });

  it('refuses empty, blank, UTF-16 and broken input as unreadable', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('学校,姓名\n', 'utf16le')]);
    const bad = [Buffer.alloc(0), csv('\ufeff\r\n\r\n'), utf16, csv('a,"b\n1,2'), Buffer.from('PK\x03\x04garbage')];
    for (const body of bad) {
      const err = await readTable(body).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TableError);
      expect((err as TableError).code).toBe('unreadable');
    }
  });

  it('decodes a GBK / GB18030 CSV, as Excel on Chinese Windows saves it', async () => {
    const gbk = Buffer.from([0xd1, 0xa7, 0xd0, 0xa3, 0x2c, 0xd0, 0xd5, 0xc3, 0xfb]); // 学校,姓名 in GBK
    expect(await readTable(gbk)).toEqual([['学校', '姓名']]);
    // 𠀀 (U+20000) needs GB18030's four-byte form; GBK has no code for it.
    const gb18030 = Buffer.from([0xd1, 0xa7, 0xd0, 0xa3, 0x0a, 0x95, 0x32, 0x82, 0x36]);
    expect(await readTable(gb18030)).toEqual([['学校'], ['\u{20000}']]);
  });

  it('refuses binary garbage as binary, whatever it is labelled', async () => {
    let seed = 42;
    const random = Buffer.from(Array.from({ length: 4096 }, () => (seed = (seed * 1103515245 + 12345) % 2147483648) % 256));
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), random]);
    for (const body of [random, png]) {
      const err = await readTable(body).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TableError);
      expect((err as TableError).code).toBe('binary');
    }
  });

  it(`refuses more than ${MAX_ROWS} data rows before reading them`, async () => {
    const big = csv(`学校,姓名\n${'阳光小学,某\n'.repeat(MAX_ROWS + 20)}`);
    const err = await readTable(big).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TableError);
    expect(err).toMatchObject({ code: 'too_many_rows', params: { max: MAX_ROWS, rows: expect.any(Number) } });
    expect((err as TableError).params.rows).toBeGreaterThanOrEqual(MAX_ROWS + 21);
    // The cap itself is accepted.
    expect(await readTable(csv(`学校,姓名\n${'阳光小学,某\n'.repeat(MAX_ROWS)}`))).toHaveLength(MAX_ROWS + 1);
  });
});

describe('readTable: xlsx', () => {
  it('turns dates, numbers, rich text, formulas and links into plain strings', async () => {
    const body = await xlsx(
      [
        ['出生日期', '电话', '姓名', '公式', '链接', '小数'],
        [new Date(Date.UTC(2015, 2, 8)), 13800138000, { richText: [{ text: '王' }, { text: '小明 ' }] }, { formula: 'B2+1', result: 13800138001 }, { text: 'x@y.cn', hyperlink: 'mailto:x@y.cn' }, 0.0000001],
        [],
        ['', 3.5],
      ],
      (ws) => {
        ws.getCell('A4').value = { formula: 'A2+1', result: new Date(Date.UTC(2015, 2, 9)) };
      },
    );
    const savedTz = process.env.TZ;
    process.env.TZ = 'America/Los_Angeles'; // local getters would say 2015-03-07 here
    try {
      expect(await readTable(body)).toEqual([
        ['出生日期', '电话', '姓名', '公式', '链接', '小数'],
        ['2015-03-08', '13800138000', '王小明', '13800138001', 'x@y.cn', '0.0000001'],
        ['', '', '', '', '', ''],
        ['2015-03-09', '3.5', '', '', '', ''],
      ]);
    } finally {
      process.env.TZ = savedTz;
    }
  });

  it('reads a date saved with a built-in zh-CN format (numFmtId 31) as a date, not a serial', async () => {
    const body = await xlsx([['出生日期'], [new Date(Date.UTC(2015, 2, 8))]]);
    const zip = await JSZip.loadAsync(body);
    const styles = (await zip.file('xl/styles.xml')!.async('string')).replace(/numFmtId="14"/g, 'numFmtId="31"');
    expect(styles).toContain('numFmtId="31"');
    zip.file('xl/styles.xml', styles);
    const edited = await zip.generateAsync({ type: 'nodebuffer' });
    expect(await readTable(edited)).toEqual([['出生日期'], ['2015-03-08']]);
  });

  it('feeds parseRoster end to end', async () => {
    const body = await xlsx([
      ['学校', '班级', '学生姓名', '出生日期', '父亲姓名', '父亲电话', '监护人姓名', '监护人年龄'],
      ['青山小学', '三(1)班', '王小明', new Date(Date.UTC(2016, 8, 1)), '王大山', 13800138000, '李奶奶', 68],
    ]);
    const result = parseRoster(await readTable(body), NOW);
    expect(result.errors).toEqual([]);
    expect(result.rows).toEqual([
      {
        row: 2,
        data: {
          school: '青山小学',
          className: '三(1)班',
          childName: '王小明',
          birthDate: '2016-09-01',
          boarding: false,
          priority: false,
          father: { name: '王大山', phone: '13800138000' },
          guardian: { name: '李奶奶', age: 68 },
        },
      },
    ]);
  });
});

describe('headers', () => {
  it('matches Chinese or English, ignores case, a trailing * and unknown columns', () => {
    const { index, missingRequired } = mapHeader([' 序号 ', 'SCHOOL*', '姓名 *', 'WeCom_UserID', '备注'], STAFF_COLUMNS);
    expect(index).toEqual({ school: 1, name: 2, wecom_userid: 3 });
    expect(missingRequired).toEqual([]);
  });

  it('lists every missing required column', () => {
    expect(mapHeader(['学校', '学号'], ROSTER_COLUMNS).missingRequired).toEqual(['class', 'child_name', 'birth_date']);
  });

  it('labels columns in either language', () => {
    expect(columnLabel('wecom_userid', 'zh-CN')).toBe('企业微信账号');
    expect(columnLabel('guardian_literacy', 'zh-CN')).toBe('监护人文化程度');
    expect(columnLabel('birth_date', 'en')).toBe('birth_date');
  });
});

describe('parseStaff', () => {
  it('reads Chinese headers and values, with defaults for blank cells', async () => {
    const rows = await readTable(
      csv(
        `${STAFF_ZH}\r\n` +
          '青山小学,张  老师,zhangls,138 0013 8000,班主任,三(1)班,是,2,青山教师群\r\n' +
          '青山小学,李明,liming,,,,,,\r\n',
      ),
    );
    expect(parseStaff(rows)).toEqual({
      errors: [],
      rows: [
        {
          row: 2,
          data: {
            school: '青山小学', name: '张 老师', wecomUserId: 'zhangls', phone: '13800138000', role: 'head_teacher',
            className: '三(1)班', partyMember: true, maxChildren: 2, teacherRoom: '青山教师群',
          },
        },
        {
          row: 3,
          data: { school: '青山小学', name: '李明', wecomUserId: 'liming', role: 'teacher', partyMember: false, maxChildren: 3 },
        },
      ],
    });
  });

  it('reads English headers and values', () => {
    const rows = [
      ['School', 'Name', 'WECOM_USERID', 'role', 'party_member', 'max_children'],
      ['Green Hill', 'Ann Lee', 'ann.lee@gh', 'Moral_Director', 'YES', '5'],
    ];
    expect(parseStaff(rows).rows[0].data).toEqual({
      school: 'Green Hill', name: 'Ann Lee', wecomUserId: 'ann.lee@gh', role: 'moral_director', partyMember: true, maxChildren: 5,
    });
  });

  it('accepts a header mixing both languages', () => {
    const rows = [
      ['学校', 'name', '企业微信账号', 'role', '党员'],
      ['青山小学', '王芳', 'wangf', '心理老师', 'n'],
    ];
    const { rows: parsed, errors } = parseStaff(rows);
    expect(errors).toEqual([]);
    expect(parsed[0].data).toMatchObject({ name: '王芳', role: 'counselor', partyMember: false });
  });

  it('reports a missing required column once and reads no rows', () => {
    expect(parseStaff([['学校', '姓名'], ['青山小学', '王芳']])).toEqual({
      rows: [],
      errors: [{ row: 1, field: 'wecom_userid', code: 'missing_column' }],
    });
  });

  it('reports every bad cell of a row and leaves the whole row out', () => {
    const rows = [
      STAFF_ZH.split(','),
      ['青山小学', '', 'bad id!', '12345', '门卫', '', '也许', '-1', ''],
      ['青山小学', '王芳', 'wangf', '', '', '', '', '21', ''],
      ['青山小学', '赵强', 'zhaoq', '', '', '', '', 'abc', ''],
      ['青山小学', '钱多', 'x'.repeat(65), '', '', '', '', '', ''],
    ];
    const result = parseStaff(rows);
    expect(result.rows).toEqual([]);
    expect(codes(result.errors)).toEqual([
      '2:name:required',
      '2:wecom_userid:invalid_userid',
      '2:phone:invalid_phone',
      '2:role:invalid_choice',
      '2:party_member:invalid_choice',
      '2:max_children:invalid_number',
      '3:max_children:invalid_number',
      '4:max_children:invalid_number',
      '5:wecom_userid:invalid_userid',
    ]);
    expect(result.errors[3].params).toEqual({
      allowed: '教师/班主任/校长/德育主任/心理老师/教育局',
      allowedEn: 'teacher/head_teacher/principal/moral_director/counselor/county',
    });
    expect(result.errors[4].params).toEqual({ allowed: '是/否', allowedEn: 'yes/no' });
    expect(result.errors[5].params).toEqual({ min: 0, max: 20 });
  });

  it('accepts 0 for 最多帮扶人数: a principal who pairs no child', () => {
    const result = parseStaff([STAFF_ZH.split(','), ['青山小学', '刘校长', 'liu', '', '校长', '', '', '0', '']]);
    expect(result.errors).toEqual([]);
    expect(result.rows[0].data).toMatchObject({ role: 'principal', maxChildren: 0 });
  });

  it('requires the WeCom account and flags it twice in a file, ignoring case', () => {
    const rows = [
      ['学校', '姓名', '企业微信账号'],
      ['青山小学', '王芳', 'WangF'],
      ['青山小学', '李明', ''],
      ['青山小学', '王芳', 'wangf'],
    ];
    const result = parseStaff(rows);
    expect(result.rows.map((r) => r.row)).toEqual([2]);
    expect(result.errors).toEqual([
      { row: 3, field: 'wecom_userid', code: 'required' },
      { row: 4, field: 'wecom_userid', code: 'duplicate_in_file', params: { firstRow: 2 } },
    ]);
  });

  it('reads 教育局 (and 县教育局, 教体局, county) as county staff: no school, class or room kept, 最多帮扶人数 forced to 0', () => {
    const rows = [
      STAFF_ZH.split(','),
      ['某某县教育局', '陈科长', 'chen', '13900000001', '教育局', '三(1)班', '是', '5', '县局群'],
      ['', '林干事', 'lin', '', '县教育局', '', '', '', ''],
      ['', '周干事', 'zhou', '', ' County ', '', '', '', ''],
      ['', '吴干事', 'wu', '', '教体局', '', '', '', ''],
    ];
    const result = parseStaff(rows);
    expect(result.errors).toEqual([]);
    expect(result.rows.map((r) => r.data)).toEqual([
      { school: '', name: '陈科长', wecomUserId: 'chen', phone: '13900000001', role: 'county', partyMember: true, maxChildren: 0 },
      { school: '', name: '林干事', wecomUserId: 'lin', role: 'county', partyMember: false, maxChildren: 0 },
      { school: '', name: '周干事', wecomUserId: 'zhou', role: 'county', partyMember: false, maxChildren: 0 },
      { school: '', name: '吴干事', wecomUserId: 'wu', role: 'county', partyMember: false, maxChildren: 0 },
    ]);
  });

  it('still needs 学校 for every other role, and names 教育局 among the allowed roles', () => {
    const result = parseStaff([STAFF_ZH.split(','), ['', '王芳', 'wangf', '', '教师', '', '', '', ''], ['青山小学', '李明', 'lim', '', '局长', '', '', '', '']]);
    expect(result.rows).toEqual([]);
    expect(codes(result.errors)).toEqual(['2:school:required', '3:role:invalid_choice']);
    expect(result.errors[1].params?.allowed).toContain('教育局');
  });

  it('takes one person in two schools as two rows; the same school twice, or two county rows, is a duplicate', () => {
    const rows = [
      ['学校', '姓名', '企业微信账号', '职务', '最多帮扶人数'],
      ['青山小学', '王双', 'WangS', '校长', '0'], // 2: main post
      ['绿水小学', '王双', 'wangs', '教师', '2'], // 3: a post in another school (account case does not matter)
      ['青山小学', '王双', 'wangs', '教师', ''], // 4: 青山小学 again
      ['', '王双', 'wangs', '教育局', ''], // 5: a county post
      ['', '王双', 'wangs', '县教育局', ''], // 6: a second county row
    ];
    const result = parseStaff(rows);
    expect(result.rows.map((r) => [r.row, r.data.school, r.data.role])).toEqual([[2, '青山小学', 'principal'], [3, '绿水小学', 'teacher'], [5, '', 'county']]);
    expect(result.errors).toEqual([
      { row: 4, field: 'wecom_userid', code: 'duplicate_in_file', params: { firstRow: 2 } },
      { row: 6, field: 'wecom_userid', code: 'duplicate_in_file', params: { firstRow: 5 } },
    ]);
  });

  it('refuses a second row of the same account under another name: two people, one account by mistake', () => {
    const result = parseStaff([['学校', '姓名', '企业微信账号'], ['青山小学', '王芳', 'wangf'], ['绿水小学', '王芬', 'wangf'], ['白云小学', '王芳', 'wangf']]);
    expect(result.rows.map((r) => r.row)).toEqual([2, 4]);
    expect(result.errors).toEqual([{ row: 3, field: 'wecom_userid', code: 'same_userid_other_name', params: { firstRow: 2 } }]);
  });
});

describe('parseRoster', () => {
  const header = ROSTER_ZH.split(',');
  const row = (cells: Record<string, string>) => header.map((h) => cells[h] ?? '');

  it('reads a full row in Chinese and normalises phones, dates and choices', () => {
    const rows = [
      header,
      row({
        学校: '青山小学', 班级: '三(1)班', 学生姓名: ' 王 　小明 ', 性别: '男', 出生日期: '2016/9/1', 学号: 'S001',
        留守类型: '双亲外出', 监护情况: '祖辈', 寄宿: '否', 重点帮扶: '是',
        父亲姓名: '王大山', 父亲电话: '+86 138-0013-8000', 父亲务工地: '广东东莞',
        母亲姓名: '刘芳', 母亲电话: '8613900139000', 母亲务工地: '浙江宁波',
        监护人姓名: '李奶奶', 监护人关系: '奶奶', 监护人电话: '0851-1234567', 监护人年龄: '68', 监护人文化程度: '不识字',
        帮扶教师企业微信账号: 'zhangls',
      }),
    ];
    expect(parseRoster(rows, NOW)).toEqual({
      errors: [],
      rows: [
        {
          row: 2,
          data: {
            school: '青山小学', className: '三(1)班', childName: '王 小明', gender: 'male', birthDate: '2016-09-01', studentNo: 'S001',
            leftBehind: 'both', livingWith: 'grandparents', boarding: false, priority: true,
            father: { name: '王大山', phone: '13800138000', workCity: '广东东莞' },
            mother: { name: '刘芳', phone: '13900139000', workCity: '浙江宁波' },
            guardian: { name: '李奶奶', relation: '奶奶', phone: '08511234567', age: 68, literacy: 'illiterate' },
            teacherWecomUserId: 'zhangls',
          },
        },
      ],
    });
  });

  it('reads English headers and values', () => {
    const rows = [
      ['school', 'class', 'child_name', 'gender', 'birth_date', 'left_behind', 'living_with', 'boarding', 'guardian_name', 'guardian_literacy'],
      ['Green Hill', '3-1', 'Tom', 'Female', '2016.9.1', 'single_parent', 'proxy', 'Y', 'Aunt May', 'senior_plus'],
    ];
    const { rows: parsed, errors } = parseRoster(rows, NOW);
    expect(errors).toEqual([]);
    expect(parsed[0].data).toEqual({
      school: 'Green Hill', className: '3-1', childName: 'Tom', gender: 'female', birthDate: '2016-09-01', leftBehind: 'single_parent',
      livingWith: 'proxy', boarding: true, priority: false, guardian: { name: 'Aunt May', literacy: 'senior_plus' },
    });
  });

  it('checks birth dates: real, not in the future, child not older than 25', () => {
    const dates = ['2015-02-30', 'March 8', '2026-06-02', '2000-06-01', '2000-06-02', '2026-06-01', '2015年3月8日', ''];
    const rows = [['学校', '班级', '学生姓名', '出生日期'], ...dates.map((d, i) => ['青山小学', '一班', `学生${i}`, d])];
    const result = parseRoster(rows, NOW);
    expect(codes(result.errors)).toEqual([
      '2:birth_date:invalid_date',
      '3:birth_date:invalid_date',
      '4:birth_date:invalid_date',
      '5:birth_date:invalid_date',
      '9:birth_date:required',
    ]);
    expect(result.rows.map((r) => [r.row, r.data.birthDate])).toEqual([
      [6, '2000-06-02'],
      [7, '2026-06-01'],
      [8, '2015-03-08'],
    ]);
  });

  it('needs a name for any parent or guardian that is mentioned, and checks their cells', () => {
    const rows = [
      header,
      row({ 学校: '青山小学', 班级: '一班', 学生姓名: '甲', 出生日期: '2016-01-01', 父亲电话: '13800138000', 监护人年龄: '9', 监护人文化程度: '大学', 性别: '男孩' }),
    ];
    const result = parseRoster(rows, NOW);
    expect(result.rows).toEqual([]);
    expect(codes(result.errors)).toEqual([
      '2:gender:invalid_choice',
      '2:father_name:required',
      '2:guardian_name:required',
      '2:guardian_age:invalid_number',
      '2:guardian_literacy:invalid_choice',
    ]);
    expect(result.errors[0].params).toEqual({ allowed: '男/女', allowedEn: 'male/female' });
    expect(result.errors[3].params).toEqual({ min: 10, max: 120 });
  });

  it('rejects bad phones, choices, booleans and teacher accounts', () => {
    const rows = [
      header,
      row({
        学校: '青山小学', 班级: '一班', 学生姓名: '乙', 出生日期: '2016-01-01', 留守类型: '出去了', 监护情况: '爷爷', 寄宿: '住校',
        母亲姓名: '刘芳', 母亲电话: '2380013800', 帮扶教师企业微信账号: '张老师',
      }),
    ];
    expect(codes(parseRoster(rows, NOW).errors)).toEqual([
      '2:left_behind:invalid_choice',
      '2:living_with:invalid_choice',
      '2:boarding:invalid_choice',
      '2:mother_phone:invalid_phone',
      '2:teacher_wecom_userid:invalid_userid',
    ]);
  });

  it('numbers rows as in the spreadsheet across an empty row and skips blank rows', async () => {
    const rows = await readTable(
      csv('序号,学校,班级,学生姓名,出生日期\n1,青山小学,一班,甲,2016-01-01\n2,,,,\n\n4,青山小学,一班,,2016-01-01\n'),
    );
    const result = parseRoster(rows, NOW);
    expect(result.rows.map((r) => r.row)).toEqual([2]);
    expect(result.errors).toEqual([{ row: 5, field: 'child_name', code: 'required' }]);
  });

  it('flags a child twice in a file, by student number or by class + name + birth date', () => {
    const rows = [
      ['学校', '班级', '学生姓名', '出生日期', '学号'],
      ['青山小学', '一班', '甲', '2016-01-01', 'S1'],
      ['青山小学', '二班', '甲乙', '2016-02-02', 's1'],
      ['青山小学', '一班', '丙', '2016-03-03', ''],
      ['青山小学', '一班', '丙', '2016/3/3', ''],
      ['青山小学', '二班', '丙', '2016-03-03', ''],
      ['绿水小学', '一班', '丙', '2016-03-03', ''],
    ];
    const result = parseRoster(rows, NOW);
    expect(result.rows.map((r) => r.row)).toEqual([2, 4, 6, 7]);
    expect(result.errors).toEqual([
      { row: 3, field: 'student_no', code: 'duplicate_in_file', params: { firstRow: 2 } },
      { row: 5, field: 'child_name', code: 'duplicate_in_file', params: { firstRow: 4 } },
    ]);
  });
});

describe('import error messages', () => {
  const allCodes = ['unreadable', 'missing_column', 'required', 'invalid_date', 'invalid_choice', 'invalid_phone', 'invalid_number', 'invalid_userid', 'duplicate_in_file',
    // Raised by the database side of the import (src/import/*Import.ts):
    'unknown_teacher', 'teacher_other_school', 'address_taken', 'school_out_of_scope', 'role_needs_county',
    // A person's second row under another name (staffRows.ts):
    'same_userid_other_name',
    // Whole-file refusals (readTable, findHeader) and over-long cells:
    'binary', 'too_many_rows', 'duplicate_column', 'too_long'];

  it('has a zh-CN and an en message for every code, with only known placeholders', () => {
    const known = new Set(['field', 'allowed', 'allowedEn', 'min', 'max', 'firstRow', 'value', 'rows']);
    for (const messages of [importErrorsZh, importErrorsEn]) {
      expect(Object.keys(messages).sort()).toEqual([...allCodes].sort());
      for (const text of Object.values(messages)) {
        for (const [, name] of text.matchAll(/\{\{(\w+)\}\}/g)) expect(known).toContain(name);
      }
    }
    expect(importErrorsZh.unreadable).toBe('文件无法读取：请上传 UTF-8 的 CSV 或 .xlsx 文件');
    expect(importErrorsZh.invalid_choice).toContain('{{allowed}}');
    expect(importErrorsEn.invalid_choice).toContain('{{allowedEn}}');
  });
});

describe('files as clerks really make them', () => {
  const header = ROSTER_ZH.split(',');
  const row = (cells: Record<string, string>) => header.map((h) => cells[h] ?? '');
  const child = { 学校: '青山小学', 班级: '一班', 学生姓名: '王小明', 出生日期: '2016-01-01' };

  it('finds the header below a title row or two, and numbers rows as the spreadsheet does', () => {
    const title = ['2025年秋季青山小学留守儿童花名册', ...header.slice(1).map(() => '')];
    const note = ['填表人：李老师', '', '日期：2025-09-01', ...header.slice(3).map(() => '')];
    const result = parseRoster([title, note, header, row(child), row({ ...child, 学生姓名: '', 出生日期: '2016-01-02' })], NOW);
    expect(result.rows.map((r) => [r.row, r.data.childName])).toEqual([[4, '王小明']]);
    expect(codes(result.errors)).toEqual(['5:child_name:required']);
    const staff = parseStaff([['教职工名单', '', ''], ['学校', '姓名', '企业微信账号'], ['青山小学', '李明', 'liming']]);
    expect(staff.rows.map((r) => [r.row, r.data.wecomUserId])).toEqual([[3, 'liming']]);
  });

  it('a merged title cell in an .xlsx is read the same way', async () => {
    const body = await xlsx([['青山小学花名册'], header, row(child)], (ws) => ws.mergeCells(1, 1, 1, header.length));
    const result = parseRoster(await readTable(body), NOW);
    expect(result.errors).toEqual([]);
    expect(result.rows.map((r) => [r.row, r.data.childName])).toEqual([[3, '王小明']]);
  });

  it('reports missing columns against the row that looks most like the header', () => {
    const result = parseRoster([['花名册'], ['学校', '班级', '学生姓名'], ['青山小学', '一班', '王小明']], NOW);
    expect(result.errors).toEqual([{ row: 2, field: 'birth_date', code: 'missing_column' }]);
  });

  it('refuses a column named twice, in one language or both, naming it', () => {
    const twice = parseRoster([[...header, '学生姓名'], [...row(child), '王大明']], NOW);
    expect(twice.rows).toEqual([]);
    expect(twice.errors).toEqual([{ row: 1, field: 'child_name', code: 'duplicate_column' }]);
    const both = parseStaff([['学校', '姓名', '企业微信账号', 'school'], ['青山小学', '李明', 'liming', '白云小学']]);
    expect(both.errors).toEqual([{ row: 1, field: 'school', code: 'duplicate_column' }]);
    // Unknown columns may repeat: they are not read.
    expect(parseStaff([['学校', '姓名', '企业微信账号', '备注', '备注'], ['青山小学', '李明', 'liming', 'a', 'b']]).errors).toEqual([]);
  });

  it(`a cell longer than ${MAX_CELL_CHARS} characters (a 5 MB paste) fails its row, once, and the rest is read`, async () => {
    const huge = 'x'.repeat(5 * 1024 * 1024);
    const rows = await readTable(csv(`${ROSTER_ZH}\n青山小学,一班,${huge},,2016-01-01\n青山小学,一班,李四,,2016-01-02\n`));
    const result = parseRoster(rows, NOW);
    expect(result.errors).toEqual([{ row: 2, field: 'child_name', code: 'too_long', params: { max: MAX_CELL_CHARS } }]);
    expect(result.rows.map((r) => r.data.childName)).toEqual(['李四']);
  });

  it('removes control characters and direction overrides from names and text', () => {
    const sneaky = {
      ...child,
      学生姓名: '王\u202e明小\u202c\u200b',
      父亲姓名: '王\u0000大\u0007山\u2066\u2069',
      父亲务工地: '广东\u200f东莞\u00ad\u061c',
      监护人姓名: '\u2067李奶奶\u2069',
    };
    const [parsed] = parseRoster([header, row(sneaky)], NOW).rows;
    expect(parsed.data.childName).toBe('王明小');
    expect(parsed.data.father).toEqual({ name: '王大山', workCity: '广东东莞' });
    expect(parsed.data.guardian).toEqual({ name: '李奶奶' });
  });

  it('keeps a formula-looking name as the plain text it is', async () => {
    const formula = '=HYPERLINK("http://x","click")';
    const fromCsv = parseRoster(await readTable(csv(`${ROSTER_ZH}\n青山小学,一班,"${formula.replace(/"/g, '""')}",,2016-01-01\n`)), NOW);
    expect(fromCsv.rows[0].data.childName).toBe(formula);
    // In an .xlsx, a real formula cell is read as its cached value, never as the formula.
    const body = await xlsx([header, row(child)], (ws) => { ws.getCell(2, 3).value = { formula: 'HYPERLINK("http://x","click")', result: 'click' }; });
    expect(parseRoster(await readTable(body), NOW).rows[0].data.childName).toBe('click');
  });
});
