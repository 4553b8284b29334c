/**
 * Issue 10 in a real browser (Chromium): a staff member opens the link from chat, lands on the console signed in
 * (the cookie is the browser's), signs out with the button, and a used link shows a page that says so.
 */
import type { Browser } from 'playwright-core';
import { issueLoginCode, loginUrl } from '../src/domain/signIn';
import { launchBrowser, listenForBrowser } from './helpers/browser';
import { startWithSchool, TestApp } from './helpers/testApp';

let t: TestApp;
let browser: Browser;
let closeServer: (() => Promise<void>) | undefined;

beforeAll(async () => {
  [t, browser] = await Promise.all([startWithSchool(), launchBrowser()]);
  closeServer = await listenForBrowser(t.app);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await closeServer?.();
  await t?.stop();
});

async function link(userid: string): Promise<string> {
  const ctx = t.app.context;
  const issued = await issueLoginCode(ctx.orgId, userid, ctx.clock.now());
  if (!('code' in issued)) throw new Error('limited');
  return loginUrl(ctx.services.publicUrl, issued.code);
}

it('link → console signed in → sign out → the used link is refused', async () => {
  const page = await browser.newPage({ locale: 'zh-CN' });
  const url = await link('zhang');
  await page.goto(url);
  expect(new URL(page.url()).pathname).toBe('/admin/');
  expect(await page.textContent('#who')).toContain('张丽');
  expect(await page.textContent('#scope')).toContain('班级');
  // The session cookie is httpOnly: the page's scripts cannot read it.
  expect(await page.evaluate('document.cookie')).not.toContain('liushou_session');
  const cookies = await page.context().cookies();
  expect(cookies.find((c) => c.name === 'liushou_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

  // The API answers this browser as 张丽 (her class), without any token.
  const children = await page.evaluate("fetch('/api/children').then((r) => r.json())") as Array<{ child: string }>;
  expect(children.map((c) => c.child).sort()).toEqual(['王小华', '王小明', '李小红'].sort());

  await page.click('text=退出登录');
  expect(await page.textContent('#signed-out')).toContain('已退出');
  await page.goto(new URL('/admin/', url).toString());
  expect(await page.textContent('#reason')).toContain('还没有登录');

  await page.goto(url);
  expect(await page.textContent('#reason')).toContain('已经用过');
  await page.close();
});

it('in English when the browser asks for it', async () => {
  const page = await browser.newPage({ locale: 'en-US', extraHTTPHeaders: { 'Accept-Language': 'en-US,en;q=0.9' } });
  await page.goto(await link('li'));
  expect(await page.textContent('#who')).toContain('Signed in');
  expect(await page.textContent('#scope')).toContain('paired');
  await page.close();
});
