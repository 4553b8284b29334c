/**
 * Issue 10, point 1: each school has its own teachers' room. In a county with two schools, 阳光小学's teachers saw
 * 希望小学's case (the child's name, the family's words) because every school defaulted to the same room `teachers`.
 */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import { startApp, RunningApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/log';
import { withDatabase } from '../src/models/mongoServer';
import { School } from '../src/models/school';
import { Staff } from '../src/models/staff';
import { ADMIN_TOKEN, ROSTER_CSV, startTestApp, TestApp } from './helpers/testApp';

/** Two schools, no 教师群 column: each school's room is its default. */
const STAFF = [
  '学校,姓名,企业微信账号,电话,职务,班级,党员,最多帮扶人数',
  '阳光小学,张丽,zhang,13900001111,班主任,三年级1班,是,3',
  '希望小学,赵强,zhao,13900004444,班主任,四年级2班,否,3',
].join('\n');

const ROSTER = [
  ...ROSTER_CSV.split('\n').slice(0, 2), // the header and 阳光小学's 王小明 (zhang)
  '希望小学,四年级2班,陈小兰,女,2016-03-04,,双亲外出,祖辈,否,否,陈刚,13800138031,广东深圳,林芳,13800138032,广东深圳,陈奶奶,祖母,13800138033,66,小学,zhao',
].join('\n');

interface SchoolView { name: string; teacherRoom: string }

async function rooms(t: TestApp): Promise<Record<string, string>> {
  const res = await t.http.get('/api/schools').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  expect(res.status).toBe(200);
  return Object.fromEntries((res.body as SchoolView[]).map((s) => [s.name, s.teacherRoom]));
}

function numberIn(text: string): number {
  const m = /#(\d+)|编号(\d+)/.exec(text);
  if (!m) throw new Error(`no case number in: ${text}`);
  return Number(m[1] ?? m[2]);
}

describe('two schools imported without a 教师群 column', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    const staff = await t.importCsv('staff', STAFF);
    const roster = await t.importCsv('roster', ROSTER);
    if (staff.body.errors?.length || roster.body.errors?.length) throw new Error(JSON.stringify([staff.body, roster.body]));
    await t.setClock('2026-11-02T10:00:00+08:00');
    await t.say('chen-gm', await t.code('陈小兰', 'guardian'));
    await t.say('wang-dad', await t.code('王小明', 'father'));
  });
  afterAll(async () => { await t.stop(); });

  it('each school has a room of its own, and its staff carry it', async () => {
    const r = await rooms(t);
    expect(r['阳光小学']).toBeTruthy();
    expect(r['希望小学']).toBeTruthy();
    expect(r['阳光小学']).not.toBe(r['希望小学']);
    const staff = await Staff.find({}).lean();
    expect(Object.fromEntries(staff.map((s) => [s.wecomUserId, s.teacherRoom]))).toEqual({ zhang: r['阳光小学'], zhao: r['希望小学'] });
  });

  it('a case about a child of 希望小学 is posted only to 希望小学\'s room; 阳光小学\'s room gets nothing', async () => {
    const r = await rooms(t);
    const number = numberIn((await t.say('chen-gm', '孩子发烧了'))[0]);
    const hope = await t.inbox(r['希望小学']);
    expect(hope.filter((m) => m.text.includes(`#${number}`) && m.text.includes('陈小兰'))).toHaveLength(1);
    expect(await t.inbox(r['阳光小学'])).toEqual([]);
    // Nor the old shared room.
    expect((await t.inbox('teachers')).filter((m) => m.text.includes('陈小兰'))).toEqual([]);
  });

  it('and a case about a child of 阳光小学 only to 阳光小学\'s room', async () => {
    const r = await rooms(t);
    const number = numberIn((await t.say('wang-dad', '孩子在学校被欺负了'))[0]);
    expect((await t.inbox(r['阳光小学'])).filter((m) => m.text.includes(`#${number}`) && m.text.includes('王小明'))).toHaveLength(1);
    expect((await t.inbox(r['希望小学'])).filter((m) => m.text.includes('王小明'))).toEqual([]);
  });

  it('an explicit 教师群 wins, and a later file without the column keeps it', async () => {
    const withRoom = `${STAFF.split('\n')[0]},教师群\n阳光小学,张丽,zhang,13900001111,班主任,三年级1班,是,3,sun-group`;
    expect((await t.importCsv('staff', withRoom)).body.errors).toEqual([]);
    expect((await rooms(t))['阳光小学']).toBe('sun-group');
    expect((await t.importCsv('staff', STAFF)).body.errors).toEqual([]);
    const r = await rooms(t);
    expect(r['阳光小学']).toBe('sun-group');
    expect(r['希望小学']).not.toBe('sun-group');
  });
});

describe('schools created before this change, all on the shared default `teachers`', () => {
  const uri = withDatabase(process.env.MONGODB_URI ?? 'mongodb://unset', `t_teacherRooms_old_${crypto.randomBytes(3).toString('hex')}`);
  const start = (orgId = 'default') => startApp({ config: loadConfig({ ADMIN_TOKEN, LOG_LEVEL: 'silent', ORG_ID: orgId }), log: createLogger('silent'), mongoUri: uri });
  let app: RunningApp | undefined;
  const roomsOf = async (orgId: string) => Object.fromEntries((await School.find({ orgId }).lean()).map((s) => [s.name, s.teacherRoom]));

  beforeAll(async () => {
    // The data an earlier version left: written raw, as it is on disk (no defaults of today's schema).
    await mongoose.connect(uri);
    const ids = { sun: new mongoose.Types.ObjectId(), hope: new mongoose.Types.ObjectId(), river: new mongoose.Types.ObjectId(), solo: new mongoose.Types.ObjectId() };
    await School.collection.insertMany([
      { _id: ids.sun, orgId: 'default', name: '阳光小学', teacherRoom: 'teachers', showTeacherPhone: false },
      { _id: ids.hope, orgId: 'default', name: '希望小学', teacherRoom: 'teachers', showTeacherPhone: false },
      { _id: ids.river, orgId: 'default', name: '小河小学', teacherRoom: 'river-group', showTeacherPhone: false },
      { _id: ids.solo, orgId: 'solo', name: '独山小学', teacherRoom: 'teachers', showTeacherPhone: false },
    ]);
    await Staff.collection.insertMany([
      { orgId: 'default', schoolId: ids.sun, name: '张丽', wecomUserId: 'zhang', role: 'teacher', teacherRoom: 'teachers', maxChildren: 3, active: true },
      { orgId: 'default', schoolId: ids.river, name: '钱老师', wecomUserId: 'qian', role: 'teacher', teacherRoom: 'river-group', maxChildren: 3, active: true },
    ]);
    await mongoose.disconnect();
  });
  afterAll(async () => {
    await mongoose.connection.db?.dropDatabase().catch(() => undefined);
    await app?.stop();
  });

  it('on start, schools sharing `teachers` in one org get rooms of their own; a school with its own room keeps it', async () => {
    app = await start();
    const r = await roomsOf('default');
    expect(r['阳光小学']).not.toBe('teachers');
    expect(r['希望小学']).not.toBe('teachers');
    expect(r['阳光小学']).not.toBe(r['希望小学']);
    expect(r['小河小学']).toBe('river-group');
    const staff = Object.fromEntries((await Staff.find({ orgId: 'default' }).lean()).map((s) => [s.wecomUserId, s.teacherRoom]));
    expect(staff).toEqual({ zhang: r['阳光小学'], qian: 'river-group' });
    // Another org's data is that org's own business.
    expect((await roomsOf('solo'))['独山小学']).toBe('teachers');
  });

  it('an org with one school on `teachers` keeps it (nobody else sees its cases)', async () => {
    await app!.stop();
    app = await start('solo');
    expect((await roomsOf('solo'))['独山小学']).toBe('teachers');
  });

  it('once separated, a room the admin sets afterwards is theirs to choose, also across restarts', async () => {
    await app!.stop();
    app = await start();
    await School.updateMany({ orgId: 'default', name: { $in: ['阳光小学', '希望小学'] } }, { $set: { teacherRoom: 'teachers' } });
    await app.stop();
    app = await start();
    const r = await roomsOf('default');
    expect([r['阳光小学'], r['希望小学']]).toEqual(['teachers', 'teachers']);
  });
});
