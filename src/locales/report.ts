/**
 * The county report: the monthly 通报 the bot sends to principals and county staff (bot messages, each with its
 * `_voice` twin; registered under `bulletin.`), and the words of the workbook GET /api/reports/county.xlsx writes
 * (registered under `report.`; a workbook is read, not heard). The roster columns the workbook shares with the
 * roster import keep the import's headers (import/columns.ts), so a 花名册 reads like the file it came from.
 */
export const bulletinZh = {
  report: '【{{period}}留守儿童关爱通报】{{scope}}\n'
    + '在册 {{total}} 人，档案完整 {{complete}} 人，父母至少一方已绑定 {{bound}} 人。\n'
    + '成长记录：应写 {{notesDue}}，已写 {{notesWritten}}，已送达 {{notesSent}}，未写 {{notesMissing}}。\n'
    + '亲情电话：通话 {{callsDone}} 次，未通 {{callsMissed}} 次；书信提醒 {{letters}} 人。\n'
    + '五个一：完成 {{contactsDone}} 项，逾期 {{overdue}} 项。\n'
    + '反映情况 {{cases}} 件，已回应 {{casesAnswered}} 件；紧急时限按时 {{casesOnTime}}/{{casesRuled}}。\n'
    + '明细（管理后台）：{{url}}',
  report_voice: '{{scope}}{{period}}通报：在册{{total}}人，成长记录未写{{notesMissing}}篇，五个一逾期{{overdue}}项，反映情况{{cases}}件。明细链接另发。',
  county: '全县 {{schools}} 所学校',
  county_voice: '全县',
  link: '{{period}}通报明细（管理后台）：{{url}}',
  link_voice: '通报明细请在管理后台查看。',
};

export const bulletinEn: typeof bulletinZh = {
  report: '[{{period}} report on left-behind children] {{scope}}\n'
    + 'On file {{total}}, records complete {{complete}}, with a parent bound {{bound}}.\n'
    + 'Notes: due {{notesDue}}, written {{notesWritten}}, delivered {{notesSent}}, missing {{notesMissing}}.\n'
    + 'Family calls: {{callsDone}} made, {{callsMissed}} missed; letter reminders {{letters}}.\n'
    + 'Teachers\' contacts: {{contactsDone}} done, {{overdue}} overdue.\n'
    + 'Concerns {{cases}}, answered {{casesAnswered}}; urgent deadlines kept {{casesOnTime}}/{{casesRuled}}.\n'
    + 'Details (console): {{url}}',
  report_voice: '{{scope}} {{period}}: {{total}} children, {{notesMissing}} notes missing, {{overdue}} contacts late, {{cases}} cases.',
  county: 'the county, {{schools}} schools',
  county_voice: 'The county',
  link: 'Details of the {{period}} report (console): {{url}}',
  link_voice: 'The details are in the console.',
};

export const reportZh = {
  yes: '是',
  no: '否',
  none: '无',
  unknown: '未填',
  unknownGrade: '未识别年级',
  level: { header: '范围', total: '合计', school: '学校', class: '班级', teacher: '教师' },
  col: {
    grade: '年级',
    teacher: '帮扶教师',
    complete: '档案完整',
    boundFather: '父亲已绑定',
    boundMother: '母亲已绑定',
    boundGuardian: '监护人已绑定',
    headTeacher: '班主任',
    children: '留守儿童数',
    leftBehind: '留守类型：{{value}}',
    livingWith: '监护情况：{{value}}',
    gender: '性别：{{value}}',
    gradeCount: '{{grade}}',
    boarding: '寄宿',
    priority: '重点帮扶',
    paired: '已结对',
    anyParent: '至少一位家长已绑定',
    pairedChildren: '帮扶儿童',
    notesDue: '成长记录应写',
    notesWritten: '成长记录已写',
    notesSent: '成长记录已送达',
    notesMissing: '成长记录未写',
    callsDone: '亲情电话已通',
    callsMissed: '亲情电话未通',
    letters: '书信提醒（人）',
    contactsLogged: '本月登记联系',
    cadence: '{{kind}}：{{status}}',
    cadenceStatus: { done: '完成', due: '待办', overdue: '逾期' },
    cases: '反映情况',
    casesUrgent: '其中紧急',
    casesAnswered: '已回应',
    casesRuled: '适用时限',
    casesOnTime: '按时',
    onTimeRate: '按时率',
  },
};

export const reportEn: typeof reportZh = {
  yes: 'yes',
  no: 'no',
  none: 'none',
  unknown: 'not given',
  unknownGrade: 'grade not known',
  level: { header: 'level', total: 'total', school: 'school', class: 'class', teacher: 'teacher' },
  col: {
    grade: 'grade',
    teacher: 'pairing teacher',
    complete: 'record complete',
    boundFather: 'father bound',
    boundMother: 'mother bound',
    boundGuardian: 'guardian bound',
    headTeacher: 'head teacher',
    children: 'children',
    leftBehind: 'left behind: {{value}}',
    livingWith: 'living with: {{value}}',
    gender: 'gender: {{value}}',
    gradeCount: '{{grade}}',
    boarding: 'boarding',
    priority: 'priority',
    paired: 'paired',
    anyParent: 'a parent bound',
    pairedChildren: 'paired children',
    notesDue: 'notes due',
    notesWritten: 'notes written',
    notesSent: 'notes delivered',
    notesMissing: 'notes missing',
    callsDone: 'family calls made',
    callsMissed: 'family calls missed',
    letters: 'letter reminders (children)',
    contactsLogged: 'contacts logged',
    cadence: '{{kind}}: {{status}}',
    cadenceStatus: { done: 'done', due: 'due', overdue: 'overdue' },
    cases: 'concerns',
    casesUrgent: 'urgent',
    casesAnswered: 'answered',
    casesRuled: 'under the deadline rule',
    casesOnTime: 'on time',
    onTimeRate: 'on-time rate',
  },
};
