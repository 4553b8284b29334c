/**
 * `wecom-school` (学校通知) end to end: the sync of the school's 家校通讯录 (POST /api/wecom/school-sync) linking
 * its parents to our existing family members without duplicating anyone, pushes to families by parent_userid
 * (text and voice) chosen by the router, the fallback when WeCom no longer knows the parent, and staff pushes
 * through wecom-app — the whole bot against the fake WeCom server.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { enqueue } from '../src/bot/outbox';
import { wecomPlugins } from '../src/bot/wecom';
import { TokenCache } from '../src/bot/wecom/client';
import { Child } from '../src/models/child';
import { FamilyMember } from '../src/models/familyMember';
import { message, messages } from './helpers/messages';
import { ADMIN_TOKEN, startWithSchool, TestApp } from './helpers/testApp';
import { FakeSchool, sunshineDirectory } from './fakeWecom/school';
import { FakeWeCom, randomAesKey } from './fakeWecom/server';

const CORP = 'wwschoole2e';
const APP = { secret: 'school-e2e-app-secret', agentId: 1000002 };
const SCHOOL = { secret: 'school-e2e-school-secret', agentId: 1000005 };
const DAY = new Date('2026-09-08T10:00:00+08:00');

let fake: FakeWeCom;
let school: FakeSchool;
let t: TestApp;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wecom-school-'));
  fake = await FakeWeCom.start({ corpId: CORP, apps: [APP, SCHOOL] });
  school = new FakeSchool(fake, { agentId: SCHOOL.agentId, ...sunshineDirectory() });
  const env = {
    WECOM_CORP_ID: CORP, WECOM_API_BASE: fake.url,
    WECOM_APP_AGENT_ID: String(APP.agentId), WECOM_APP_SECRET: APP.secret, WECOM_APP_TOKEN: 'AppToken1', WECOM_APP_AES_KEY: randomAesKey(),
    WECOM_SCHOOL_AGENT_ID: String(SCHOOL.agentId), WECOM_SCHOOL_SECRET: SCHOOL.secret,
  };
  const plugins = wecomPlugins(env, { orgId: 'default', client: { backoffMs: 5, tokens: new TokenCache() }, dataDir });
  expect(plugins.map((p) => p.channel.name)).toEqual(['wecom-app', 'wecom-school']);
  t = await startWithSchool(env, { channels: plugins });
  t.app.context.simulator!.clock.set(DAY);
  // Families bound through the simulator (it stays the default route here).
  await t.say('gm', await t.code('王小明', 'guardian'));
  await t.say('lidad', await t.code('李小红', 'father'));
});
afterAll(async () => {
  await t?.stop();
  await fake?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const sync = (query = '') => t.http.post(`/api/wecom/school-sync${query}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({});
const now = () => t.app.context.clock.now();

describe('the 家校通讯录 sync', () => {
  it('needs the admin token', async () => {
    expect((await t.http.post('/api/wecom/school-sync').send({})).status).toBe(401);
    expect((await t.http.post('/api/wecom/school-sync').set('Authorization', 'Bearer wrong-token-0123456789').send({})).status).toBe(401);
  });

  it('links the directory\'s parents to our family members by mobile, creating no one', async () => {
    // 陈梅 has no phone on file: the directory's 妈妈 of 李小红 is her, and fills it in.
    await FamilyMember.updateOne({ name: '陈梅' }, { $unset: { phone: 1 } });
    // 李小红's entry in the class list comes without parents: they are read with school/user/get.
    school.listWithoutParents.add('s_lxh');
    const counts = async () => [await Child.countDocuments(), await FamilyMember.countDocuments()];
    const before = await counts();

    const dry = await sync('?dryRun=1');
    expect(dry.status).toBe(200);
    expect(dry.body).toEqual(expect.objectContaining({ dryRun: true, parentsLinked: 8, phonesFilled: 1 }));
    expect(await FamilyMember.countDocuments({ wecomParentUserId: { $exists: true } })).toBe(0);

    const res = await sync();
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({
      dryRun: false, classes: 1, students: 4, childrenMatched: 3, parentsLinked: 8, parentsUnchanged: 0, phonesFilled: 1,
    }));
    expect(res.body.unmatchedClasses).toEqual([{ class: '阳光小学 四年级2班', reason: expect.any(String) }]);
    expect(res.body.unmatchedStudents).toEqual([{ class: '阳光小学 三年级1班', student: '赵小刚', reason: expect.any(String) }]);
    // 李小红's 外公 is not on our record: reported (mobile masked), not invented.
    expect(res.body.unmatchedParents).toEqual([expect.objectContaining({ student: '李小红', relation: '外公', mobile: '138****8099' })]);
    expect(fake.succeeded('school/user/get').map((c) => c.query.userid)).toContain('s_lxh');

    const ids = async (name: string) => (await FamilyMember.find({ name }).lean()).map((m) => [m.wecomParentUserId, m.wecomExternalUserId ?? null]);
    // 王建国 is the father on two children's records: both carry his one parent_userid.
    expect(await ids('王建国')).toEqual([['p_wangjianguo', 'wmDad'], ['p_wangjianguo', 'wmDad']]);
    expect(await ids('刘芳')).toEqual([['p_liufang', 'wmMum'], ['p_liufang', 'wmMum']]);
    expect(await ids('王奶奶')).toEqual([['p_wangnainai', null], ['p_wangnainai', null]]);
    expect(await ids('李强')).toEqual([['p_liqiang', 'wmLiDad']]);
    expect(await FamilyMember.findOne({ name: '陈梅' }).lean()).toEqual(expect.objectContaining({ wecomParentUserId: 'p_chenmei', phone: '13800138012' }));
    expect(await counts()).toEqual(before);

    // Again: nothing left to change.
    const again = await sync();
    expect(again.body).toEqual(expect.objectContaining({ parentsLinked: 0, parentsUnchanged: 8, phonesFilled: 0 }));
    expect(await counts()).toEqual(before);
  });

  it('a WeCom refusal says what the operator must fix', async () => {
    fake.failNext('school/department/list', 48002);
    const res = await sync();
    expect(res.status).toBe(502);
    expect(res.body.message).toContain('48002');
    expect(res.body.message).toContain('家长可使用的应用');
  });
});

describe('pushes through 学校通知', () => {
  it('a teacher\'s answer reaches the grandmother by her parent_userid', async () => {
    const reply = (await t.say('gm', '孩子发烧了'))[0];
    const n = Number(/#(\d+)|编号\s*(\d+)/.exec(reply)?.slice(1).find(Boolean));
    expect(n).toBeGreaterThan(0);
    const before = school.noticesTo('p_wangnainai').length;
    await t.say('zhang', `#${n} 已经带孩子去卫生院看过了`);
    await t.app.context.delivery.deliverDue();
    const sent = school.noticesTo('p_wangnainai').slice(before);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent[0]).toEqual(expect.objectContaining({ agentid: SCHOOL.agentId, msgtype: 'text', to_parent_userid: ['p_wangnainai'] }));
    expect(sent.map((s) => s.body.text.content).join('')).toContain('卫生院');
    const rows = await messages({ to: 'gm', channel: 'auto', text: /卫生院/ });
    expect(rows.length).toBe(sent.length);
    for (const r of rows) expect(r).toEqual(expect.objectContaining({ status: 'sent', route: 'wecom-school' }));
  });

  it('a recording goes as a voice notice after its caption', async () => {
    const mediaId = fake.addMedia(Buffer.concat([Buffer.from('#!AMR\n'), crypto.randomBytes(200)]));
    const before = school.noticesTo('p_liqiang').length;
    await enqueue({ orgId: 'default', key: 'test:school:voice', to: 'lidad', text: '李小红的语音', style: 'text', kind: 'test', channel: 'auto', dueAt: now(), voiceMediaId: mediaId });
    await t.app.context.delivery.deliverDue();
    const sent = school.noticesTo('p_liqiang').slice(before);
    expect(sent.map((s) => s.msgtype)).toEqual(['text', 'voice']);
    expect(sent[1].body.voice).toEqual({ media_id: mediaId });
    expect((await message({ key: 'test:school:voice' }))!.route).toBe('wecom-school');
  });

  it('a parent_userid WeCom no longer knows: the message falls back to where the parent last wrote', async () => {
    await FamilyMember.updateOne({ name: '李强' }, { $set: { wecomParentUserId: 'p_left_the_school' } });
    const calls = fake.callsTo('externalcontact/message/send').length;
    await enqueue({ orgId: 'default', key: 'test:school:invalid', to: 'lidad', text: '本周亲情电话提醒', style: 'text', kind: 'test', channel: 'auto', dueAt: now() });
    await t.app.context.delivery.deliverDue();
    const call = fake.callsTo('externalcontact/message/send').slice(calls);
    expect(call).toHaveLength(1);
    expect(call[0].body.to_parent_userid).toEqual(['p_left_the_school']);
    expect(await message({ key: 'test:school:invalid' })).toEqual(expect.objectContaining({ status: 'sent', route: 'simulator' }));
    expect((await t.inbox('lidad')).map((m) => m.text)).toContain('本周亲情电话提醒');
    await FamilyMember.updateOne({ name: '李强' }, { $set: { wecomParentUserId: 'p_liqiang' } });
  });

  it('staff pushes go through the staff app, not the channel they last wrote from', async () => {
    const before = fake.succeeded('message/send').filter((c) => c.body.touser === 'zhang').length;
    await enqueue({ orgId: 'default', key: 'test:staff:push', to: 'zhang', text: '周一汇总', style: 'text', kind: 'test', channel: 'auto', dueAt: now() });
    await t.app.context.delivery.deliverDue();
    expect(fake.succeeded('message/send').filter((c) => c.body.touser === 'zhang').length - before).toBe(1);
    expect((await message({ key: 'test:staff:push' }))!.route).toBe('wecom-app');
  });
});
