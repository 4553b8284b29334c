/**
 * Sign-in with WeCom (GET /admin/login/wecom) end to end: the whole bot with the self-built app's plugin, listening on
 * 127.0.0.1, and a fake WeCom on 127.0.0.1 playing both WeCom's sign-in pages (OAuth inside the client, QR login on a
 * PC) and its API (gettoken, auth/getuserinfo). A small browser follows every redirect with real HTTP and keeps
 * cookies as a browser does.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { TokenCache, WeComClient } from '../src/bot/wecom/client';
import { wecomPlugins } from '../src/bot/wecom';
import { WeComOAuth } from '../src/bot/wecom/oauth';
import { Staff } from '../src/models/staff';
import { createHttpApp } from '../src/web/server';
import { FakeWeCom } from './fakeWecom/server';
import { startWithSchool, TestApp } from './helpers/testApp';

const CORP = 'wwlogincorp';
const AGENT = 1000002;
const SECRET = 'login-app-secret';
const WXWORK_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.20 MicroMessenger/7.0.1 Language/zh ColorScheme/Light';
const PC_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

let fake: FakeWeCom;
let t: TestApp;
let server: http.Server;
let base = '';

beforeAll(async () => {
  fake = await FakeWeCom.start({ corpId: CORP, apps: [{ secret: SECRET, agentId: AGENT }] });
  const env = {
    WECOM_CORP_ID: CORP, WECOM_API_BASE: fake.url, WECOM_APP_AGENT_ID: String(AGENT), WECOM_APP_SECRET: SECRET,
    WECOM_APP_TOKEN: 'CallbackToken1', WECOM_APP_AES_KEY: 'a'.repeat(43),
  };
  const plugins = wecomPlugins(env, {
    orgId: 'default', client: { backoffMs: 5, tokens: new TokenCache() }, oauth: { oauthBase: fake.url, ssoBase: fake.url },
  });
  t = await startWithSchool(env, { channels: plugins, defaultChannel: 'wecom-app' });
  server = await new Promise<http.Server>((resolve) => { const s = t.app.http.listen(0, '127.0.0.1', () => resolve(s)); });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // What PUBLIC_URL would say; WeCom accepts redirects only to the app's trusted domain.
  t.app.context.services.publicUrl = base;
  fake.trustedHost = new URL(base).host;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await t?.stop();
  await fake?.stop();
});
beforeEach(() => {
  fake.signedInAs = 'zhang';
});

interface Cookie { name: string; value: string; host: string; path: string; attrs: string }
interface Hop { url: string; status: number; location?: string; setCookies: string[] }

/** Just enough of a browser: follows redirects by hand, keeps cookies by host and path, drops expired ones. */
class Browser {
  cookies: Cookie[] = [];
  constructor(readonly userAgent: string) {}

  cookie(name: string): Cookie | undefined {
    return this.cookies.find((c) => c.name === name);
  }

  async get(url: string): Promise<{ res: Response; hop: Hop }> {
    const u = new URL(url);
    const send = this.cookies.filter((c) => c.host === u.host && (u.pathname === c.path || u.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)));
    const res = await fetch(url, {
      redirect: 'manual',
      headers: { 'User-Agent': this.userAgent, 'Accept-Language': 'zh-CN', ...(send.length ? { Cookie: send.map((c) => `${c.name}=${c.value}`).join('; ') } : {}) },
    });
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair, ...rest] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const attrs = rest.join(';');
      const path = /path=([^;]+)/i.exec(attrs)?.[1]?.trim() ?? '/';
      const expires = /expires=([^;]+)/i.exec(attrs)?.[1];
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.host === u.host && c.path === path));
      const gone = /max-age=0\b/i.test(attrs) || (expires && Date.parse(expires) < Date.now());
      if (!gone) this.cookies.push({ name, value: pair.slice(eq + 1).trim(), host: u.host, path, attrs });
    }
    return { res, hop: { url, status: res.status, location: res.headers.get('location') ?? undefined, setCookies } };
  }

  /** GETs `url` and follows redirects (relative ones too) until a page answers. */
  async follow(url: string, stopAt?: (nextUrl: string) => boolean): Promise<{ hops: Hop[]; res: Response }> {
    const hops: Hop[] = [];
    let next = url;
    for (let i = 0; i < 6; i++) {
      const { res, hop } = await this.get(next);
      hops.push(hop);
      if (res.status < 300 || res.status >= 400 || !hop.location) return { hops, res };
      next = new URL(hop.location, next).toString();
      if (stopAt?.(next)) return { hops, res };
    }
    throw new Error(`too many redirects from ${url}`);
  }
}

const callbackUrl = () => `${base}/admin/login/wecom/callback`;
const isCallback = (u: string) => u.startsWith(callbackUrl());

/** Starts the sign-in in `browser` and walks up to (not into) our callback; returns the callback URL WeCom sent. */
async function untilCallback(browser: Browser): Promise<string> {
  const { hops } = await browser.follow(`${base}/admin/login/wecom`, isCallback);
  const last = hops.at(-1)!;
  expect(last.status).toBe(302);
  const next = new URL(last.location!, last.url).toString();
  expect(isCallback(next)).toBe(true);
  return next;
}

async function sessionOf(browser: Browser) {
  const session = browser.cookie('liushou_session');
  return request(t.app.http).get('/admin/session').set('Cookie', session ? `liushou_session=${session.value}` : '');
}

async function expectRefused(res: Response, browser: Browser): Promise<string> {
  expect(res.status).toBe(403);
  const html = await res.text();
  expect(html).toContain('企业微信没有确认您的身份');
  expect(browser.cookie('liushou_session')).toBeUndefined();
  expect((await sessionOf(browser)).status).toBe(401);
  return html;
}

describe('the way to WeCom', () => {
  it('inside the WeCom client: OAuth (snsapi_base) back to our callback, then a session cookie and /admin/', async () => {
    const browser = new Browser(WXWORK_UA);
    const before = fake.succeeded('auth/getuserinfo').length;
    const { hops, res } = await browser.follow(`${base}/admin/login/wecom`);

    // 1. Ours: to WeCom's OAuth page, with the state also kept in this browser.
    expect(hops[0].status).toBe(302);
    const authorize = new URL(hops[0].location!);
    expect(hops[0].location).toMatch(new RegExp(`^${fake.url}/connect/oauth2/authorize\\?appid=${CORP}&redirect_uri=${encodeURIComponent(callbackUrl()).replace(/[.]/g, '\\.')}&response_type=code&scope=snsapi_base&state=[0-9a-f]{32}&agentid=${AGENT}#wechat_redirect$`));
    const state = authorize.searchParams.get('state')!;
    const stateCookie = hops[0].setCookies.find((c) => c.startsWith('liushou_wecom_state='));
    expect(stateCookie).toMatch(/HttpOnly/i);
    expect(stateCookie).toMatch(/Path=\/admin\/login\/wecom/);
    expect(stateCookie).toMatch(/SameSite=Lax/i);
    expect(stateCookie).toContain(state);

    // 2. WeCom: back to our callback with a code and the same state.
    expect(hops[1].status).toBe(302);
    const back = new URL(hops[1].location!);
    expect(`${back.origin}${back.pathname}`).toBe(callbackUrl());
    expect(back.searchParams.get('state')).toBe(state);
    expect(back.searchParams.get('code')).toBeTruthy();

    // 3. Ours: the session cookie and the console.
    expect(hops[2].status).toBe(302);
    expect(hops[2].location).toBe('/admin/');
    const session = hops[2].setCookies.find((c) => c.startsWith('liushou_session='));
    expect(session).toMatch(/HttpOnly/i);
    expect(session).toMatch(/SameSite=Lax/i);
    expect(session).toMatch(/Path=\/(;|$)/);
    // The state is spent: its cookie is cleared.
    expect(browser.cookie('liushou_wecom_state')).toBeUndefined();
    expect(res.status).toBe(200);
    // The console's page; who it is for, from the session it reads.
    expect(await res.text()).toContain('<div id="app">');
    expect((await t.http.get('/admin/session').set('Cookie', session!.split(';')[0])).body.name).toBe('张丽');

    // WeCom was asked whose code it was, with the app's token.
    const asked = fake.succeeded('auth/getuserinfo').slice(before);
    expect(asked).toHaveLength(1);
    expect(asked[0].query.code).toBe(back.searchParams.get('code'));
    expect(asked[0].token).toMatch(/^fake_token_/);

    const who = await sessionOf(browser);
    expect(who.status).toBe(200);
    expect(who.body).toEqual(expect.objectContaining({ wecomUserId: 'zhang', name: '张丽', via: 'wecom' }));
  });

  it('in a PC browser: WeCom\'s QR / desktop login page (login_type=CorpApp), and the same way back', async () => {
    fake.signedInAs = 'li';
    const browser = new Browser(PC_UA);
    const { hops } = await browser.follow(`${base}/admin/login/wecom`);
    expect(hops[0].location).toMatch(new RegExp(`^${fake.url}/wwlogin/sso/login\\?login_type=CorpApp&appid=${CORP}&agentid=${AGENT}&redirect_uri=${encodeURIComponent(callbackUrl()).replace(/[.]/g, '\\.')}&state=[0-9a-f]{32}$`));
    expect(hops[0].location).not.toContain('oauth2');
    expect(fake.logins.at(-1)).toEqual(expect.objectContaining({ page: 'sso/login', status: 302 }));
    expect(hops[2].location).toBe('/admin/');
    expect((await sessionOf(browser)).body).toEqual(expect.objectContaining({ wecomUserId: 'li', via: 'wecom' }));
  });

  it('the WeCom desktop client counts as inside WeCom (OAuth); a WeChat browser does not', async () => {
    const desktop = await new Browser('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) wxwork/4.1.22 (MicroMessenger/6.2) WindowsWechat').get(`${base}/admin/login/wecom`);
    expect(desktop.hop.location).toContain('/connect/oauth2/authorize?');
    const wechat = await new Browser('Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Mobile Safari/537.36 MicroMessenger/8.0.47').get(`${base}/admin/login/wecom`);
    expect(wechat.hop.location).toContain('/wwlogin/sso/login?');
  });

  it('builds WeCom\'s real URLs by default (D91022; D98171)', () => {
    const oauth = new WeComOAuth({ client: new WeComClient({ corpId: 'ww1234', secret: 'unused-secret' }), agentId: 1000002 });
    const redirect = 'https://school.example.cn/admin/login/wecom/callback';
    expect(oauth.authorizeUrl('abc123', redirect, true)).toBe(
      'https://open.weixin.qq.com/connect/oauth2/authorize?appid=ww1234&redirect_uri=https%3A%2F%2Fschool.example.cn%2Fadmin%2Flogin%2Fwecom%2Fcallback'
      + '&response_type=code&scope=snsapi_base&state=abc123&agentid=1000002#wechat_redirect',
    );
    expect(oauth.authorizeUrl('abc123', redirect, false)).toBe(
      'https://login.work.weixin.qq.com/wwlogin/sso/login?login_type=CorpApp&appid=ww1234&agentid=1000002'
      + '&redirect_uri=https%3A%2F%2Fschool.example.cn%2Fadmin%2Flogin%2Fwecom%2Fcallback&state=abc123',
    );
  });
});

describe('the state', () => {
  it('a changed state is refused, WeCom is not asked, no session', async () => {
    const browser = new Browser(WXWORK_UA);
    const cb = new URL(await untilCallback(browser));
    const calls = fake.callsTo('auth/getuserinfo').length;
    cb.searchParams.set('state', 'f'.repeat(32));
    const { res } = await browser.get(cb.toString());
    await expectRefused(res, browser);
    expect(fake.callsTo('auth/getuserinfo').length).toBe(calls);
  });

  it('a callback without a state is refused', async () => {
    const browser = new Browser(WXWORK_UA);
    const cb = new URL(await untilCallback(browser));
    cb.searchParams.delete('state');
    await expectRefused((await browser.get(cb.toString())).res, browser);
  });

  it('a callback URL opened in another browser (the flow was not started there: login CSRF) is refused', async () => {
    const started = new Browser(WXWORK_UA);
    const cb = await untilCallback(started);
    const victim = new Browser(WXWORK_UA);
    await expectRefused((await victim.get(cb)).res, victim);
    // The right browser could still finish it: only the state was missing in the other one.
    const { res } = await started.get(cb);
    expect(res.status).toBe(302);
    expect((await sessionOf(started)).body.wecomUserId).toBe('zhang');
  });

  it('a state cookie that was tampered with is refused', async () => {
    const browser = new Browser(WXWORK_UA);
    const cb = await untilCallback(browser);
    const c = browser.cookie('liushou_wecom_state')!;
    const [state, expires, sig] = decodeURIComponent(c.value).split('.');
    c.value = encodeURIComponent(`${state}.${Number(expires) + 3_600_000}.${sig}`);
    await expectRefused((await browser.get(cb)).res, browser);
  });

  it('a state older than 10 minutes is refused', async () => {
    const clock = t.app.context.simulator!.clock;
    const browser = new Browser(WXWORK_UA);
    const start = Date.now();
    clock.set(new Date(start));
    const cb = await untilCallback(browser);
    clock.set(new Date(start + 10 * 60_000 + 1000));
    try {
      await expectRefused((await browser.get(cb)).res, browser);
    } finally {
      clock.set(new Date());
    }
  });
});

describe('who WeCom says it is', () => {
  it('a member of the corp who is not on the staff list is refused', async () => {
    fake.signedInAs = 'wangwu';
    const browser = new Browser(WXWORK_UA);
    const { res, hops } = await browser.follow(`${base}/admin/login/wecom`);
    expect(hops.at(-1)!.setCookies.some((c) => c.startsWith('liushou_session='))).toBe(false);
    await expectRefused(res, browser);
    expect(fake.succeeded('auth/getuserinfo').length).toBeGreaterThan(0);
  });

  it('someone who is not a member (openid / external_userid, no userid) is refused, whatever their openid spells', async () => {
    fake.signedInAs = { openid: 'zhang', external_userid: 'zhang' };
    const browser = new Browser(PC_UA);
    await expectRefused((await browser.follow(`${base}/admin/login/wecom`)).res, browser);
  });

  it('staff made inactive are refused', async () => {
    await Staff.updateOne({ orgId: 'default', wecomUserId: 'zhao' }, { $set: { active: false } });
    try {
      fake.signedInAs = 'zhao';
      const browser = new Browser(WXWORK_UA);
      await expectRefused((await browser.follow(`${base}/admin/login/wecom`)).res, browser);
    } finally {
      await Staff.updateOne({ orgId: 'default', wecomUserId: 'zhao' }, { $set: { active: true } });
    }
  });

  it('userids match ignoring case, as WeCom and the staff import treat them; the session has the staff list\'s spelling', async () => {
    fake.signedInAs = 'ZhAnG';
    const browser = new Browser(WXWORK_UA);
    const { hops } = await browser.follow(`${base}/admin/login/wecom`);
    expect(hops[2].location).toBe('/admin/');
    expect((await sessionOf(browser)).body.wecomUserId).toBe('zhang');
  });

  it('a code WeCom rejects (40029: used or expired) is refused, and the page does not show WeCom\'s error', async () => {
    const browser = new Browser(WXWORK_UA);
    const cb = await untilCallback(browser);
    fake.expireSignInCodes();
    const { res } = await browser.get(cb);
    const html = await expectRefused(res, browser);
    expect(fake.callsTo('auth/getuserinfo').at(-1)!.errcode).toBe(40029);
    expect(html).not.toContain('40029');
    expect(html).not.toMatch(/invalid code/i);
  });

  it('a member who declines comes back without a code and is refused', async () => {
    fake.signedInAs = undefined;
    const browser = new Browser(WXWORK_UA);
    const cb = await untilCallback(browser);
    expect(new URL(cb).searchParams.has('code')).toBe(false);
    const calls = fake.callsTo('auth/getuserinfo').length;
    await expectRefused((await browser.get(cb)).res, browser);
    expect(fake.callsTo('auth/getuserinfo').length).toBe(calls);
  });
});

describe('without the WeCom app', () => {
  it('/admin/login/wecom says sign-in with WeCom is not set up (404), in the browser\'s language', async () => {
    const bare = createHttpApp(t.app.context);
    const zh = await request(bare).get('/admin/login/wecom').set('User-Agent', WXWORK_UA);
    expect(zh.status).toBe(404);
    expect(zh.headers['content-type']).toMatch(/html/);
    expect(zh.text).toContain('没有接入企业微信自建应用');
    expect(zh.headers['set-cookie']).toBeUndefined();
    const en = await request(bare).get('/admin/login/wecom').set('Accept-Language', 'en-US,en');
    expect(en.status).toBe(404);
    expect(en.text).toContain('not connected to a WeCom self-built app');
    expect((await request(bare).get('/admin/login/wecom/callback?code=x&state=y')).status).toBe(404);
  });

  it('a WeCom configuration without the self-built app offers no sign-in', () => {
    const plugins = wecomPlugins({ WECOM_CORP_ID: CORP, WECOM_API_BASE: fake.url, WECOM_SCHOOL_AGENT_ID: '1000005', WECOM_SCHOOL_SECRET: 'school-secret' }, { orgId: 'default' });
    expect(plugins).toHaveLength(1);
    expect(plugins.some((p) => p.wecomLogin)).toBe(false);
  });
});
