/**
 * The demo school for `npm start -- --demo`: staff, a roster, fixed binding codes (so the README's walk-through
 * works as written), a family-call slot and one progress note. Loading it twice changes nothing.
 */
import { importRoster } from './import/rosterImport';
import { importStaff } from './import/staffImport';
import { Child } from './models/child';
import { FamilyMember } from './models/familyMember';
import { ProgressNote } from './models/progressNote';
import { School } from './models/school';
import { Staff } from './models/staff';

const STAFF = [
  ['学校', '姓名', '企业微信账号', '电话', '职务', '班级', '党员', '最多帮扶人数', '教师群'],
  ['阳光小学', '张丽', 'zhang.laoshi', '13900001111', '班主任', '三年级1班', '是', '3', 'teachers'],
  ['阳光小学', '李伟', 'li.laoshi', '13900002222', '教师', '', '否', '3', 'teachers'],
  ['阳光小学', '王建军', 'wang.xiaozhang', '13900003333', '校长', '', '是', '2', 'teachers'],
];

const ROSTER = [
  ['学校', '班级', '学生姓名', '性别', '出生日期', '留守类型', '监护情况', '寄宿', '重点帮扶', '父亲姓名', '父亲电话', '父亲务工地',
    '母亲姓名', '母亲电话', '母亲务工地', '监护人姓名', '监护人关系', '监护人电话', '监护人年龄', '监护人文化程度', '帮扶教师企业微信账号'],
  ['阳光小学', '三年级1班', '王小明', '男', '2016-05-12', '双亲外出', '祖辈', '否', '是', '王建国', '13800138001', '广东东莞',
    '刘芳', '13800138002', '浙江义乌', '王奶奶', '祖母', '13800138003', '68', '不识字', 'zhang.laoshi'],
  ['阳光小学', '三年级1班', '李小红', '女', '2016-09-03', '父亲外出', '母亲', '是', '否', '李强', '13800138011', '江苏苏州',
    '陈梅', '13800138012', '', '', '', '', '', '', 'li.laoshi'],
  ['阳光小学', '三年级1班', '王小华', '女', '2018-02-20', '双亲外出', '祖辈', '否', '否', '王建国', '13800138001', '广东东莞',
    '刘芳', '13800138002', '浙江义乌', '王奶奶', '祖母', '13800138003', '68', '不识字', 'zhang.laoshi'],
];

/** Fixed codes for the walk-through: child → role → code. */
const DEMO_CODES: Record<string, Record<string, string>> = {
  王小明: { father: 'WXM2F8', mother: 'WXM3M8', guardian: 'WXM4G8' },
  李小红: { father: 'LXH2F5', mother: 'LXH3M5' },
  王小华: { father: 'WXH2F6', mother: 'WXH3M6', guardian: 'WXH4G6' },
};

export async function loadDemo(orgId: string, now: Date, timeZone: string): Promise<void> {
  const opts = { orgId, now, dryRun: false, showTeacherPhone: true, timeZone };
  await importStaff(STAFF, opts);
  await importRoster(ROSTER, opts);
  await School.updateOne({ orgId, name: '阳光小学' }, { $set: { showTeacherPhone: true, familyCall: { weekday: 6, time: '19:00' } } });

  for (const [childName, codes] of Object.entries(DEMO_CODES)) {
    const child = await Child.findOne({ orgId, name: childName });
    if (!child) continue;
    for (const [role, code] of Object.entries(codes)) {
      await FamilyMember.updateOne({ orgId, childId: child._id, role, boundAddress: { $exists: false } }, { $set: { code } });
    }
  }

  const child = await Child.findOne({ orgId, name: '王小明' });
  const teacher = await Staff.findOne({ orgId, wecomUserId: 'zhang.laoshi' });
  const period = previousPeriod(now, timeZone);
  if (child && teacher) {
    await ProgressNote.updateOne(
      { orgId, childId: child._id, period },
      { $setOnInsert: {
        orgId, childId: child._id, teacherId: teacher._id, period, status: 'sent', submittedAt: now, sentAt: now,
        study: '数学进步明显，单元测验考了92分。', life: '在学校吃得好，按时睡觉。', mood: '开朗了不少，和同学相处融洽。',
        health: '身体健康。', text: '他很想念爸爸妈妈，周末请记得打电话。',
      } },
      { upsert: true },
    );
  }
}

function previousPeriod(now: Date, timeZone: string): string {
  const [y, m] = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).format(now).split('-').map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}
