/** The simulator API contract (DESIGN.md §4) and inbound de-duplication. */
import { startWithSchool, TestApp } from './helpers/testApp';

let t: TestApp;
beforeAll(async () => { t = await startWithSchool(); });
afterAll(async () => { await t.stop(); });

describe('simulator API', () => {
  it('GET /healthz answers ok once up', async () => {
    const res = await t.http.get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
  });

  it('POST /sim/messages answers with the direct replies, shaped like inbox messages', async () => {
    const res = await t.http.post('/sim/messages').send({ from: 'p1', text: 'hi', name: '王建国' });
    expect(res.status).toBe(200);
    expect(res.body.replies).toHaveLength(1);
    expect(res.body.replies[0]).toEqual(expect.objectContaining({ id: expect.any(String), to: 'p1', text: expect.stringContaining('绑定码'), at: expect.any(String) }));
  });

  it('GET /sim/inbox/:address lists everything delivered to that address, oldest first', async () => {
    await t.say('p2', '你好');
    await t.say('p2', '1');
    const inbox = await t.inbox('p2');
    expect(inbox).toHaveLength(2);
    expect(Date.parse(inbox[0].at)).toBeLessThanOrEqual(Date.parse(inbox[1].at));
    expect(await t.inbox('nobody-at-all')).toEqual([]);
  });

  it('a message repeated with the same platform id is processed once', async () => {
    const code = await t.code('李小红', 'father');
    const first = await t.sayFull('dup-dad', code, { id: 'wx-msg-1' });
    const again = await t.sayFull('dup-dad', code, { id: 'wx-msg-1' });
    expect(first[0].text).toContain('绑定成功');
    // A retry gets the same answer (same message ids), not a second processing ("already bound").
    expect(again).toEqual(first);
    expect((await t.inbox('dup-dad')).filter((m) => m.text.includes('绑定成功'))).toHaveLength(1);
  });

  it('room messages are delivered to the room address', async () => {
    const replies = await t.sayFull('zhang', '你好', { room: 'teachers' });
    expect(replies[0].to).toBe('teachers');
    expect(replies[0].room).toBe('teachers');
    expect((await t.inbox('teachers')).length).toBeGreaterThan(0);
  });

  it('POST /sim/clock moves the clock: replies carry the simulated time', async () => {
    const res = await t.http.post('/sim/clock').send({ now: '2027-03-01T08:00:00+08:00' });
    expect(res.status).toBe(200);
    expect(res.body.now).toBe('2027-03-01T00:00:00.000Z');
    const [reply] = await t.sayFull('p3', 'hi');
    expect(reply.at).toBe('2027-03-01T00:00:00.000Z');
  });

  it('bad input is a 400 with a message, and changes nothing', async () => {
    const bad = await t.http.post('/sim/messages').set('Content-Type', 'application/json').send('{"from": "x", "text": ');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/JSON/);
    const missing = await t.http.post('/sim/messages').send({ text: 'no sender' });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain('from');
    const clock = await t.http.post('/sim/clock').send({ now: 'tomorrow' });
    expect(clock.status).toBe(400);
    expect(await t.inbox('x')).toEqual([]);
  });

  it('unknown routes answer 404 in JSON', async () => {
    const res = await t.http.get('/nope');
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not_found');
  });
});

describe('simulator off', () => {
  it('serves no /sim API when the simulator is off (real channels in production)', async () => {
    const { startApp } = await import('../src/app');
    const { loadConfig } = await import('../src/config');
    const { createLogger } = await import('../src/log');
    // This file already runs an app on the shared mongoose connection: reuse its database.
    const { default: mongoose } = await import('mongoose');
    await t.stop();
    const uri = process.env.MONGODB_URI!;
    const { withDatabase } = await import('../src/models/mongoServer');
    const quiet: import('../src/bot/channel').Channel = {
      name: 'quiet', capabilities: { reaches: ['family', 'staff'], quotes: false, voice: false, audio: false }, start: async () => undefined, stop: async () => undefined, send: async () => ({ route: 'quiet' }),
    };
    const app = await startApp({
      config: loadConfig({ ADMIN_TOKEN: 'test-admin-token-0123456789', LOG_LEVEL: 'silent' }), log: createLogger('silent'),
      mongoUri: withDatabase(uri, `t_simoff_${Date.now()}`), simulator: false, channels: [{ channel: quiet }],
    });
    try {
      const request = (await import('supertest')).default;
      expect((await request(app.http).post('/sim/messages').send({ from: 'x', text: 'hi' })).status).toBe(404);
      expect((await request(app.http).get('/healthz')).status).toBe(200);
    } finally {
      await mongoose.connection.db?.dropDatabase();
      await app.stop();
      t = await startWithSchool();
    }
  });
});
