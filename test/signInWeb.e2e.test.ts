/**
 * Issue 10: a sign-in link opens a browser session once; sessions end after 12 hours idle or on sign-out; a change
 * from a browser session needs the CSRF token; what staff read and change lands in the audit log under their name.
 */
import { issueLoginCode, LOGIN_LINKS_PER_HOUR, loginUrl } from '../src/domain/signIn';
import { AuditLog } from '../src/models/auditLog';
import { Staff } from '../src/models/staff';
import { StaffSession } from '../src/models/staffSession';
import { startWithSchool, TestApp } from './helpers/testApp';

let t: TestApp;
const HOUR = 3600_000;
let now = 0;

beforeAll(async () => {
  t = await startWithSchool();
  // After the import (the fixture's pairings start at the real time of the import).
  now = Date.now() + HOUR;
  await t.setClock(new Date(now).toISOString());
});
afterAll(async () => { await t.stop(); });

const orgId = () => t.app.context.orgId;
const at = (ms: number) => t.setClock(new Date(ms).toISOString());

async function link(userid: string): Promise<string> {
  const issued = await issueLoginCode(orgId(), userid, t.app.context.clock.now());
  if (!('code' in issued)) throw new Error('limited');
  return issued.code;
}

/** Opens a link; returns the cookie pair and the CSRF token. */
async function signIn(userid: string): Promise<{ cookie: string; csrf: string }> {
  const res = await t.http.get(`/admin/login?code=${await link(userid)}`);
  expect(res.status).toBe(302);
  const cookie = (res.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
  const session = await t.http.get('/admin/session').set('Cookie', cookie);
  expect(session.status).toBe(200);
  return { cookie, csrf: session.body.csrf };
}

describe('the sign-in link', () => {
  it('redirects to the console with an httpOnly, SameSite=Lax session cookie (not Secure over http)', async () => {
    const code = await link('li');
    expect(loginUrl(t.app.context.services.publicUrl, code)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/admin\/login\?code=[\w-]+$/);
    const res = await t.http.get(`/admin/login?code=${code}`);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/admin/');
    const cookie = (res.headers['set-cookie'] as unknown as string[])[0];
    expect(cookie).toMatch(/^liushou_session=[\w-]+;/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    const home = await t.http.get('/admin/').set('Cookie', cookie.split(';')[0]);
    expect(home.status).toBe(200);
    expect(home.text).toContain('<div id="app">');
    expect((await t.http.get('/admin/session').set('Cookie', cookie.split(';')[0])).body.name).toBe('李伟');
    // Without the cookie: the page that says how to sign in, not the console.
    const anonymous = await t.http.get('/admin/');
    expect(anonymous.status).toBe(401);
    expect(anonymous.text).not.toContain('<div id="app">');
  });

  it('works once: the second opening is refused with a clear page and no cookie', async () => {
    const code = await link('li');
    expect((await t.http.get(`/admin/login?code=${code}`)).status).toBe(302);
    const again = await t.http.get(`/admin/login?code=${code}`);
    expect(again.status).toBe(410);
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(again.text).toContain('已经用过');
    expect(again.text).toContain('登录');
  });

  it('expires after 10 minutes', async () => {
    const code = await link('li');
    now += 10 * 60_000 + 1000;
    await at(now);
    const res = await t.http.get(`/admin/login?code=${code}`);
    expect(res.status).toBe(410);
    expect(res.text).toContain('已过期');
  });

  it('an unknown code is refused, in English when the browser asks for it', async () => {
    const res = await t.http.get('/admin/login?code=nonsense').set('Accept-Language', 'en-US,en;q=0.9');
    expect(res.status).toBe(400);
    expect(res.text).toContain('not valid');
  });

  it('a staff member removed from the list cannot use a link issued before', async () => {
    const code = await link('zhao');
    await Staff.updateOne({ orgId: orgId(), wecomUserId: 'zhao' }, { $set: { active: false } });
    try {
      const res = await t.http.get(`/admin/login?code=${code}`);
      expect(res.status).toBe(410);
      expect(res.headers['set-cookie']).toBeUndefined();
    } finally {
      await Staff.updateOne({ orgId: orgId(), wecomUserId: 'zhao' }, { $set: { active: true } });
    }
  });

  it(`at most ${LOGIN_LINKS_PER_HOUR} links per staff member per hour`, async () => {
    now += 2 * HOUR;
    await at(now);
    for (let i = 0; i < LOGIN_LINKS_PER_HOUR; i++) await link('zhang');
    const limited = await issueLoginCode(orgId(), 'zhang', t.app.context.clock.now());
    expect(limited).toEqual({ limited: true, retryAt: new Date(now + HOUR) });
    now += HOUR + 1000;
    await at(now);
    expect('code' in await issueLoginCode(orgId(), 'zhang', t.app.context.clock.now())).toBe(true);
  });
});

describe('the session', () => {
  it('a change needs the CSRF token; a read does not', async () => {
    const s = await signIn('li');
    const body = { childId: '0'.repeat(24), kind: 'talk' };
    const without = await t.http.post('/api/contacts').set('Cookie', s.cookie).send(body);
    expect(without.status).toBe(403);
    expect(without.body.error).toBe('csrf');
    const wrong = await t.http.post('/api/contacts').set('Cookie', s.cookie).set('X-CSRF-Token', 'x'.repeat(32)).send(body);
    expect(wrong.status).toBe(403);
    // With the token the request gets through to the route (which finds no such child of theirs).
    const withToken = await t.http.post('/api/contacts').set('Cookie', s.cookie).set('X-CSRF-Token', s.csrf).send(body);
    expect(withToken.status).toBe(404);
    expect((await t.http.get('/api/children').set('Cookie', s.cookie)).status).toBe(200);
  });

  it('ends after 12 hours without use, and each use extends it', async () => {
    const s = await signIn('li');
    now += 11 * HOUR;
    await at(now);
    expect((await t.http.get('/api/children').set('Cookie', s.cookie)).status).toBe(200);
    now += 11 * HOUR;
    await at(now);
    expect((await t.http.get('/api/children').set('Cookie', s.cookie)).status).toBe(200);
    now += 12 * HOUR + 60_000;
    await at(now);
    expect((await t.http.get('/api/children').set('Cookie', s.cookie)).status).toBe(401);
    expect((await t.http.get('/admin/').set('Cookie', s.cookie)).status).toBe(401);
  });

  it('sign-out ends it (with the CSRF token), and clears the cookie', async () => {
    const s = await signIn('li');
    expect((await t.http.post('/admin/logout').set('Cookie', s.cookie)).status).toBe(403);
    const out = await t.http.post('/admin/logout').set('Cookie', s.cookie).type('form').send({ csrf: s.csrf });
    expect(out.status).toBe(200);
    expect((out.headers['set-cookie'] as unknown as string[])[0]).toMatch(/^liushou_session=;/);
    expect((await t.http.get('/api/children').set('Cookie', s.cookie)).status).toBe(401);
  });

  it('the database holds no usable secret: sessions are stored by their hash', async () => {
    const s = await signIn('zhang');
    const token = s.cookie.split('=')[1];
    const stored = await StaffSession.find({ orgId: orgId() }).lean();
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.some((x) => x._id === token)).toBe(false);
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  it('reads and changes are audited under the staff member, with the schools they concern', async () => {
    now += 60_000;
    await at(now);
    const before = t.app.context.clock.now();
    const s = await signIn('zhang');
    const list = await t.http.get('/api/children').set('Cookie', s.cookie);
    expect(list.status).toBe(200);
    const child = list.body.find((c: { child: string }) => c.child === '王小明');
    const note = await t.http.post('/api/notes').set('Cookie', s.cookie).set('X-CSRF-Token', s.csrf).send({ childId: child.childId, text: '本月学习认真。' });
    expect([200, 201]).toContain(note.status);
    const entries = await AuditLog.find({ orgId: orgId(), actor: 'zhang', at: { $gte: before } }).lean();
    expect(entries.map((e) => e.action).sort()).toEqual(['notes.write', 'read.children', 'session.open'].sort());
    const write = entries.find((e) => e.action === 'notes.write')!;
    expect(write.target).toBe(child.childId);
    expect(write.schoolIds?.length).toBe(1);
  });
});

describe("a child's page", () => {
  it("shows families' phones only where the school allows it, and every opening is audited", async () => {
    const token = { Authorization: 'Bearer test-admin-token-0123456789' };
    const s = await signIn('zhang');
    const list = await t.http.get('/api/children').set('Cookie', s.cookie);
    const id = list.body.find((c: { child: string }) => c.child === '王小明').childId;
    const page = await t.http.get(`/api/children/${id}`).set('Cookie', s.cookie);
    expect(page.status).toBe(200);
    expect(page.body.teacher.name).toBe('张丽');
    expect(page.body.family.map((m: { role: string }) => m.role).sort()).toEqual(['father', 'guardian', 'mother']);
    // The grandmother (68, cannot read) hears messages: voice style.
    expect(page.body.family.find((m: { role: string }) => m.role === 'guardian').style).toBe('voice');
    expect(JSON.stringify(page.body)).not.toMatch(/1[3-9]\d{9}/);
    expect((await t.http.patch(`/api/schools/${encodeURIComponent('阳光小学')}`).set(token).send({ showFamilyPhone: true })).status).toBe(200);
    const withPhones = await t.http.get(`/api/children/${id}`).set('Cookie', s.cookie);
    expect(withPhones.body.family.find((m: { role: string }) => m.role === 'father').phone).toBe('13800138001');
    // Still never in a list.
    expect(JSON.stringify((await t.http.get('/api/children').set('Cookie', s.cookie)).body)).not.toMatch(/1[3-9]\d{9}/);
    const reads = await AuditLog.find({ orgId: orgId(), actor: 'zhang', action: 'read.child', target: id }).lean();
    expect(reads).toHaveLength(2);
    // Not a valid id, or someone else's child: the same 404.
    expect((await t.http.get('/api/children/nonsense').set('Cookie', s.cookie)).status).toBe(404);
  });
});
