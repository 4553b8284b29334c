/** Admin API for school settings, and what families see change with them. */
import { ADMIN_TOKEN, startWithSchool, TestApp } from './helpers/testApp';

let t: TestApp;
beforeAll(async () => {
  t = await startWithSchool();
  await t.say('mum', await t.code('李小红', 'mother'));
});
afterAll(async () => { await t.stop(); });

const patch = (name: string, body: unknown) =>
  t.http.patch(`/api/schools/${encodeURIComponent(name)}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`).send(body as object);

describe('school settings', () => {
  it('lists schools (token required)', async () => {
    expect((await t.http.get('/api/schools')).status).toBe(401);
    const res = await t.http.get('/api/schools').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(res.body.map((s: { name: string }) => s.name)).toEqual(['希望小学', '阳光小学']);
    expect(res.body[1]).toEqual(expect.objectContaining({ showTeacherPhone: false, familyCall: null }));
  });

  it('showTeacherPhone decides whether families see the phone', async () => {
    expect((await t.say('mum', '老师电话'))[0]).not.toContain('13900002222');
    expect((await patch('阳光小学', { showTeacherPhone: true })).body.showTeacherPhone).toBe(true);
    expect((await t.say('mum', '老师电话'))[0]).toContain('13900002222');
  });

  it('familyCall sets the school default slot; null clears it', async () => {
    await patch('阳光小学', { familyCall: { weekday: 0, time: '18:30' } });
    expect((await t.say('mum', '3'))[0]).toContain('每周日 18:30');
    await patch('阳光小学', { familyCall: null });
    expect((await t.say('mum', '3'))[0]).toContain('还没定');
  });

  it('bad input is refused with a message and changes nothing', async () => {
    const bad = await patch('阳光小学', { familyCall: { weekday: 9, time: '25:00' } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('familyCall');
    expect((await patch('阳光小学', { colour: 'red' })).status).toBe(400);
    expect((await patch('没有这个学校', { showTeacherPhone: true })).status).toBe(404);
    expect((await t.say('mum', '3'))[0]).toContain('还没定');
  });
});
