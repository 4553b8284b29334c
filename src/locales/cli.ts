/**
 * Messages of the command line (`npm run cli -- …`), under `cli.` in both languages; the language is DEFAULT_LANG.
 * Placeholders: {{file}} a path; {{detail}} a system or library message passed through; {{row}}, {{child}},
 * {{teacher}}, {{wecomUserId}}, {{field}}, {{message}} from the import result; {{n}} a count.
 */

/** The same keys as `T`, every leaf a string: en must have exactly the keys of zh-CN. */
export type Messages<T> = { [K in keyof T]: T[K] extends string ? string : Messages<T[K]> };

export const cliZh = {
  usage: `用法：
  npm run cli -- import staff  文件.csv|文件.xlsx [--dry-run]   导入教职工名单
  npm run cli -- import roster 文件.csv|文件.xlsx [--dry-run]   导入学生花名册
  npm run cli -- cards --out 联系卡.xlsx [--school 学校名]       生成可打印的联系卡
  npm run cli -- cards --pdf --out 联系卡.pdf [--school 学校名]  同上，生成 PDF
  npm run cli -- help                                           显示本说明

选项：
  --dry-run        只检查，不写入数据库
  --out 文件       联系卡文件（.xlsx，或加 --pdf 时 .pdf），A4 打印后沿虚线剪开
  --pdf            生成 PDF：内嵌中文字体（CJK_FONT_PATH），设置了 WECOM_KF_LINK 时带微信客服二维码
  --school 学校名  只生成这所学校的联系卡

表头可以用中文或英文列名（见 DESIGN.md §4）。先导入教职工，再导入花名册。
数据库和其他设置与 npm start 相同：环境变量，见 .env.example。
界面语言由 DEFAULT_LANG 决定（zh-CN 或 en）。

退出码：
  0  成功
  1  有的行有错误，已跳过；或没有可打印的联系卡
  2  用法错误、设置错误（包括 --pdf 没有中文字体）、文件无法读取或写入
  3  数据库或其他故障
`,
  usageError: {
    unknownCommand: '未知命令：{{command}}',
    unknownOption: '未知选项：{{option}}',
    badOptionValue: '选项 {{option}} 用法不对：缺少值，或不该带值',
    badArguments: '参数不对：{{detail}}',
    expectedImportKind: '请写 import staff 或 import roster',
    missingFile: '缺少文件名',
    unexpectedArguments: '多余的参数：{{args}}',
    missingOut: '缺少 --out 文件名（.xlsx，或加 --pdf 时 .pdf）',
    outNotXlsx: '--out 的文件名要以 .xlsx 结尾（要 PDF 请加 --pdf）',
    outNotPdf: '加了 --pdf 时，--out 的文件名要以 .pdf 结尾',
  },
  configError: '{{detail}}\n每项设置的说明见 .env.example。',
  failure: '出错了：{{detail}}',
  file: {
    cannotRead: '无法读取 {{file}}：{{detail}}',
    cannotReadTable: '无法读取 {{file}}：{{detail}}（{{reason}}）',
    cannotWrite: '无法写入 {{file}}：{{detail}}',
    notFound: '文件不存在',
    noPermission: '没有权限',
    isDirectory: '这是一个文件夹，不是文件',
  },
  progress: {
    staff: '教职工',
    roster: '花名册',
  },
  summary: {
    title: {
      staff: '教职工导入：{{file}}',
      roster: '花名册导入：{{file}}',
    },
    titleDryRun: {
      staff: '教职工导入：{{file}}（试运行：没有写入任何数据）',
      roster: '花名册导入：{{file}}（试运行：没有写入任何数据）',
    },
    separator: ' · ',
    created: '新建 {{n}}',
    updated: '更新 {{n}}',
    unchanged: '未变 {{n}}',
    proposed: '建议结对 {{n}}',
    unpaired: '未能结对 {{n}}',
    badRows: '出错 {{n}} 行',
    proposedHeader: '建议的帮扶结对（帮扶教师一栏空着，由系统建议，请确认或修改）：',
    proposedLine: '第 {{row}} 行 {{child}} → {{teacher}}（{{wecomUserId}}）',
    unpairedHeader: '没有帮扶教师的学生（本校的老师都已满额：请导入更多教职工或调高“最多帮扶人数”，再重新导入花名册）：',
    unpairedLine: '第 {{row}} 行 {{child}}',
    errorsHeader: '错误（这些行已跳过，改正后重新导入整个文件即可）：',
    errorLine: '第 {{row}} 行 · {{field}}: {{message}}',
    moreErrors: '……另有 {{n}} 条错误未列出（共 {{total}} 条）',
  },
  cards: {
    unknownSchool: '没有名为“{{school}}”的学校。已有的学校：{{known}}',
    noSchools: '（无）',
    schoolSeparator: '、',
    noChildren: '没有可打印联系卡的学生：请先导入花名册。',
    written: '已生成 {{cards}} 张联系卡（{{codes}} 个绑定码）：{{file}}',
    noFont: '无法生成 PDF：没有可用的中文字体。{{detail}}',
  },
};

export const cliEn: Messages<typeof cliZh> = {
  usage: `Usage:
  npm run cli -- import staff  FILE.csv|FILE.xlsx [--dry-run]   import the staff list
  npm run cli -- import roster FILE.csv|FILE.xlsx [--dry-run]   import the roster
  npm run cli -- cards --out cards.xlsx [--school NAME]         write printable contact cards
  npm run cli -- cards --pdf --out cards.pdf [--school NAME]    the same as a PDF
  npm run cli -- help                                           show this help

Options:
  --dry-run        check only, write nothing
  --out FILE       the cards file (.xlsx, or .pdf with --pdf): print on A4, cut along the dashed lines
  --pdf            write a PDF: Chinese font embedded (CJK_FONT_PATH), the WeChat kf QR code when WECOM_KF_LINK is set
  --school NAME    only this school's cards

Headers may be the Chinese or English column names (DESIGN.md §4). Import the staff before the roster.
Database and settings are the same as for npm start: environment variables, see .env.example.
The language of these messages is DEFAULT_LANG (zh-CN or en).

Exit codes:
  0  done
  1  some rows had errors and were skipped; or no cards to print
  2  usage or configuration error (also: no Chinese font for --pdf), file unreadable or unwritable
  3  database or other failure
`,
  usageError: {
    unknownCommand: 'Unknown command: {{command}}',
    unknownOption: 'Unknown option: {{option}}',
    badOptionValue: 'Option {{option}} is used wrongly: its value is missing, or it takes none',
    badArguments: 'Wrong arguments: {{detail}}',
    expectedImportKind: 'Expected: import staff FILE or import roster FILE',
    missingFile: 'The file name is missing',
    unexpectedArguments: 'Unexpected argument: {{args}}',
    missingOut: 'The --out FILE.xlsx (or FILE.pdf with --pdf) is missing',
    outNotXlsx: 'The --out file name must end in .xlsx (for a PDF, add --pdf)',
    outNotPdf: 'With --pdf, the --out file name must end in .pdf',
  },
  configError: '{{detail}}\nSee .env.example for every setting.',
  failure: 'Failed: {{detail}}',
  file: {
    cannotRead: 'Cannot read {{file}}: {{detail}}',
    cannotReadTable: 'Cannot read {{file}}: {{detail}} ({{reason}})',
    cannotWrite: 'Cannot write {{file}}: {{detail}}',
    notFound: 'no such file',
    noPermission: 'permission denied',
    isDirectory: 'this is a folder, not a file',
  },
  progress: {
    staff: 'Staff',
    roster: 'Roster',
  },
  summary: {
    title: {
      staff: 'Staff import: {{file}}',
      roster: 'Roster import: {{file}}',
    },
    titleDryRun: {
      staff: 'Staff import: {{file}} (dry run: nothing was written)',
      roster: 'Roster import: {{file}} (dry run: nothing was written)',
    },
    separator: ' · ',
    created: 'created {{n}}',
    updated: 'updated {{n}}',
    unchanged: 'unchanged {{n}}',
    proposed: 'proposed pairings {{n}}',
    unpaired: 'without a teacher {{n}}',
    badRows: 'rows with errors {{n}}',
    proposedHeader: 'Proposed pairings (teacher column left blank; confirm or change them):',
    proposedLine: 'Row {{row}} {{child}} → {{teacher}} ({{wecomUserId}})',
    unpairedHeader: 'Children without a teacher (every teacher of their school is full: import more staff or raise max_children, then import the roster again):',
    unpairedLine: 'Row {{row}} {{child}}',
    errorsHeader: 'Errors (these rows were skipped; fix them and import the file again):',
    errorLine: 'Row {{row}} · {{field}}: {{message}}',
    moreErrors: '… and {{n}} more errors not listed ({{total}} in all)',
  },
  cards: {
    unknownSchool: 'No school named "{{school}}". Schools: {{known}}',
    noSchools: '(none)',
    schoolSeparator: ', ',
    noChildren: 'No children to print cards for: import the roster first.',
    written: 'Wrote {{cards}} contact cards ({{codes}} binding codes) to {{file}}',
    noFont: 'Cannot write the PDF: no usable Chinese font. {{detail}}',
  },
};
