/** Admin API for the rhythm's settings (GET/PATCH /api/settings): defaults, partial changes, refusals, quiet hours. */
import { scheduleSettings } from '../src/domain/settings';
import { ADMIN_TOKEN, ROSTER_CSV, STAFF_CSV, startTestApp, TestApp } from './helpers/testApp';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  // A fixed moment for the pairings (the clock starts at real time), so the digest below never depends on today.
  await t.setClock('2026-11-25T10:00:00+08:00');
  await t.importCsv('staff', STAFF_CSV);
  await t.importCsv('roster', ROSTER_CSV);
});
afterAll(async () => { await t.stop(); });

const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const get = () => t.http.get('/api/settings').set(auth);
const patch = (body: unknown) => t.http.patch('/api/settings').set(auth).send(body as object);

/** The defaults as the schema has them (sections other parts add come along), checked against known values below. */
const DEFAULTS = scheduleSettings({});
const KNOWN = {
  notes: { reminderDays: [25, 28], reminderTime: '16:30', headTeacherDay: 28, deliveryDay: 1, deliveryTime: '19:00', lateUntilDay: 10 },
  calls: { remindBeforeMinutes: 120, askAfterMinutes: 60, missedWeeksAlert: 2 },
  letters: { parentDay: 10, parentTime: '19:00', festivalLeadDays: 7, teacherTime: '16:30', birthdayTime: '19:00' },
  cadences: { talk: 'week', teacher_call: 'month', home_visit: 'quarter', consolation: 'term', meeting: 'year', digestTime: '08:00' },
};

describe('settings API', () => {
  it('needs the admin token', async () => {
    expect((await t.http.get('/api/settings')).status).toBe(401);
    expect((await t.http.patch('/api/settings').send({ quietHours: '22:00-07:00' })).status).toBe(401);
    expect((await t.http.get('/api/settings').set('Authorization', 'Bearer wrong')).status).toBe(401);
  });

  it('shows the defaults', async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ timeZone: 'Asia/Shanghai', quietHours: '21:30-07:30', schedule: DEFAULTS });
    expect(res.body.schedule).toMatchObject(KNOWN);
  });

  it('a partial change keeps the other defaults and persists', async () => {
    const res = await patch({ schedule: { cadences: { talk: 'month' } } });
    expect(res.status).toBe(200);
    const expected = { ...DEFAULTS, cadences: { ...DEFAULTS.cadences, talk: 'month' } };
    expect(res.body.schedule).toEqual(expected);
    expect((await get()).body.schedule).toEqual(expected);
    // A second partial change of the same section keeps the first.
    const second = await patch({ schedule: { cadences: { home_visit: 'term' }, notes: { reminderDays: [20, 27] } } });
    expect(second.status).toBe(200);
    expect((await get()).body.schedule).toEqual({
      ...DEFAULTS,
      notes: { ...DEFAULTS.notes, reminderDays: [20, 27] },
      cadences: { ...DEFAULTS.cadences, talk: 'month', home_visit: 'term' },
    });
  });

  it('refuses invalid values with a message and changes nothing', async () => {
    const before = (await get()).body;
    const cases: Array<[unknown, string]> = [
      [{ schedule: { cadences: { talk: 'daily' } } }, 'cadences.talk'],
      [{ schedule: { cadences: { digestTime: '25:00' } } }, 'cadences.digestTime'],
      [{ schedule: { notes: { reminderTime: '4:30' } } }, 'notes.reminderTime'],
      [{ schedule: { notes: { reminderDays: [29] } } }, 'notes.reminderDays'],
      [{ schedule: { calls: { remindBeforeMinutes: 5 } } }, 'calls.remindBeforeMinutes'],
      [{ schedule: { holidays: { x: 1 } } }, 'holidays'],
      [{ schedule: { cadences: 'month' } }, 'schedule.cadences'],
      [{ quietHours: '22:00' }, 'quietHours'],
      [{ quietHours: '24:00-07:00' }, 'quietHours'],
      [{ colour: 'red' }, 'colour'],
      // A valid part does not go through when another part of the same request is invalid.
      [{ quietHours: '22:00-07:00', schedule: { cadences: { meeting: 'decade' } } }, 'cadences.meeting'],
    ];
    for (const [body, field] of cases) {
      const res = await patch(body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body.message).toContain(field);
    }
    expect((await t.http.patch('/api/settings').set(auth).set('Content-Type', 'application/json').send('{"schedule":')).status).toBe(400);
    expect((await get()).body).toEqual(before);
  });

  it('quiet hours change, and the scheduler holds pushes by the new ones', async () => {
    const res = await patch({ quietHours: '21:00-09:00' });
    expect(res.status).toBe(200);
    expect(res.body.quietHours).toBe('21:00-09:00');
    expect((await get()).body.quietHours).toBe('21:00-09:00');
    // The Monday digest (cadences) is due at 08:00 but now held until 09:00.
    await t.setClock('2026-12-07T08:00:00+08:00');
    const digest = () => t.inbox('zhang').then((ms) => ms.filter((m) => m.text.includes('五个一')));
    expect(await digest()).toEqual([]);
    await t.setClock('2026-12-07T09:00:00+08:00');
    expect(await digest()).toHaveLength(1);
  });
});

describe('settings API: unknown keys', () => {
  it('refuses a misspelt key inside a section instead of storing and ignoring it', async () => {
    {
      const before = await t.http.get('/api/settings').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      const res = await t.http.patch('/api/settings').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ schedule: { cadences: { tlak: 'week' } } });
      expect(res.status).toBe(400);
      expect(res.body.message).toContain('tlak');
      const after = await t.http.get('/api/settings').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      expect(after.body).toEqual(before.body);
    }
  });
});
