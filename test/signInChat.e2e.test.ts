/**
 * Issue 10, staff sign-in from chat: staff who write 登录 get a one-time console link (10 minutes, single use, at
 * most 5 an hour), only in a private chat; families and strangers get their usual answer and no link.
 */
import { Staff } from '../src/models/staff';
import { startWithSchool, TestApp } from './helpers/testApp';

// A distinct address, so a link can only have come from PUBLIC_URL (trailing slash: no double slash in the link).
const PUBLIC_URL = 'http://school-bot.test:8080';
const LINK = /http:\/\/school-bot\.test:8080\/admin\/login\?code=([A-Za-z0-9_-]+)/;

let t: TestApp;
beforeAll(async () => { t = await startWithSchool({ PUBLIC_URL: `${PUBLIC_URL}/` }); });
afterAll(async () => { await t.stop(); });

/** The code of the one link in a reply (fails when there is none). */
function codeIn(replies: string[]): string {
  const links = replies.join('\n').match(new RegExp(LINK.source, 'g')) ?? [];
  expect(links).toHaveLength(1);
  return LINK.exec(links[0] ?? '')?.[1] ?? '';
}

async function askLink(from: string, text = '登录'): Promise<string> {
  return codeIn(await t.say(from, text));
}

const open = (code: string) => t.http.get(`/admin/login?code=${encodeURIComponent(code)}`);

describe('a staff member writes 登录', () => {
  beforeAll(async () => { await t.setClock('2026-12-01T02:00:00Z'); });

  it('gets a plain link to PUBLIC_URL/admin/login that signs them in once', async () => {
    const replies = await t.say('zhang', '登录');
    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain('10 分钟');
    // A plain URL on a line of its own, nothing glued to it.
    expect(replies[0].split('\n')).toContainEqual(expect.stringMatching(new RegExp(`^${LINK.source}$`)));
    const code = codeIn(replies);

    const first = await open(code);
    expect(first.status).toBe(302);
    expect(first.headers.location).toBe('/admin/');
    const cookies = ([] as string[]).concat(first.headers['set-cookie'] ?? []);
    const session = cookies.find((c) => c.startsWith('liushou_session='));
    expect(session).toMatch(/^liushou_session=[^;]+;/);
    expect(session).toMatch(/;\s*HttpOnly/i);
    expect(session).toMatch(/;\s*SameSite=Lax/i);

    // The cookie is a real session: the console knows who it is.
    const home = await t.http.get('/admin/session').set('Cookie', session!.split(';')[0]);
    expect(home.status).toBe(200);
    expect(home.body.name).toBe('张丽');

    const again = await open(code);
    expect(again.status).toBe(410);
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(again.text).toContain('已经用过');
  });

  it('understands 登陆, spaces, Login, LOGIN and full-width ｌｏｇｉｎ', async () => {
    for (const text of ['  登陆  ', 'Login', 'LOGIN', 'ｌｏｇｉｎ']) {
      const code = await askLink('li', text);
      expect((await open(code)).status).toBe(302);
    }
  });

  it('a link still works after 9 minutes, and not after 10', async () => {
    const fresh = await askLink('zhang');
    const stale = await askLink('zhang');
    await t.setClock('2026-12-01T02:09:00Z');
    expect((await open(fresh)).status).toBe(302);
    await t.setClock('2026-12-01T02:10:00Z');
    const late = await open(stale);
    expect(late.status).toBe(410);
    expect(late.text).toContain('已过期');
  });

  it('the 6th request within an hour is refused with the time to try again, then a link again after the hour', async () => {
    // 03:00–03:04 UTC; the oldest of the five leaves the hour at 04:00 UTC = 12:00 in Shanghai.
    for (let i = 0; i < 5; i++) {
      await t.setClock(`2026-12-01T03:0${i}:00Z`);
      await askLink('zhao');
    }
    await t.setClock('2026-12-01T03:30:00Z');
    const refused = await t.say('zhao', '登录');
    expect(refused).toHaveLength(1);
    expect(refused[0]).not.toMatch(/admin\/login|https?:/);
    expect(refused[0]).toContain('最多获取 5 次');
    expect(refused[0]).toContain('12:00');

    await t.setClock('2026-12-01T03:59:00Z');
    expect((await t.say('zhao', '登录')).join()).not.toContain('/admin/login');
    await t.setClock('2026-12-01T04:00:00Z');
    expect((await open(await askLink('zhao'))).status).toBe(302);
  });

  it('in a group room gets no link, only a hint to ask privately, and none is sent to them privately either', async () => {
    await t.setClock('2026-12-01T05:00:00Z');
    const before = (await t.inbox('zhang')).length;
    const replies = await t.say('zhang', '登录', { room: 'teachers' });
    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain('私聊');
    expect(replies[0]).not.toMatch(/admin\/login|https?:/);
    expect((await t.inbox('teachers')).map((m) => m.text).join()).not.toContain('/admin/login');
    expect((await t.inbox('zhang')).slice(before).map((m) => m.text).join()).not.toContain('/admin/login');
  });

  it('in voice style still gets the whole link in one text message (never cut into pieces or read aloud)', async () => {
    await t.say('zhang', '语音模式');
    const replies = await t.sayFull('zhang', '登录');
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ style: 'text' });
    expect((await open(codeIn(replies.map((r) => r.text)))).status).toBe(302);
    // Everything else stays in their style.
    expect(await t.sayFull('zhang', '登录', { room: 'teachers' })).toEqual([expect.objectContaining({ style: 'voice' })]);
    await t.say('zhang', '文字模式');
  });
});

describe('families and strangers who write 登录 get their usual answer, no link', () => {
  beforeAll(async () => { await t.setClock('2026-12-01T06:00:00Z'); });

  it('a bound parent gets what any unknown word gets', async () => {
    await t.say('li-dad', await t.code('李小红', 'father'));
    const usual = await t.say('li-dad', '随便说说');
    for (const text of ['登录', 'login', '登陆']) {
      const replies = await t.say('li-dad', text);
      expect(replies).toEqual(usual);
      expect(replies.join()).not.toContain('/admin/login');
    }
  });

  it('a stranger gets what any unknown word gets', async () => {
    const usual = await t.say('stranger-login', '随便说说');
    for (const text of ['登录', 'login']) {
      const replies = await t.say('stranger-login', text);
      expect(replies).toEqual(usual);
      expect(replies.join()).not.toContain('/admin/login');
    }
  });

  it('a staff member no longer active is a stranger too', async () => {
    await Staff.updateOne({ wecomUserId: 'li' }, { $set: { active: false } });
    const replies = await t.say('li', '登录');
    expect(replies.join()).not.toContain('/admin/login');
    expect(replies).toEqual(await t.say('stranger-login', '随便说说'));
  });
});
