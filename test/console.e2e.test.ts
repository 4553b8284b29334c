/**
 * Issue 11 in a real browser (Debian Chromium): a principal signs in by the link the bot sends for 登录, sees the
 * dashboard of their school with its charts and numbers, drills down to a child, edits the record and finds the
 * change in the audit log, imports a roster with two bad rows and sees them in the table, prints the contact cards;
 * a teacher of another school sees none of these children. Each page is saved as a screenshot (1366×768) under
 * test-output/screenshots (the README's come from there).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, listenForBrowser } from './helpers/browser';
import { pdfText } from './helpers/pdf';
import { ADMIN_TOKEN } from './helpers/testApp';
import { startTestApp, TestApp } from './helpers/testApp';
import { ROSTER_HEADER, TWO_SCHOOLS_ROSTER, TWO_SCHOOLS_STAFF } from './helpers/twoSchools';

const STAFF = TWO_SCHOOLS_STAFF;
const HEAD = ROSTER_HEADER;
const ROSTER = TWO_SCHOOLS_ROSTER;
const SHOTS = path.join(__dirname, '..', 'test-output', 'screenshots');

let t: TestApp;
let browser: Browser;
let closeServer: (() => Promise<void>) | undefined;

beforeAll(async () => {
  [t, browser] = await Promise.all([startTestApp(), launchBrowser()]);
  for (const [kind, csv] of [['staff', STAFF], ['roster', ROSTER]] as const) {
    const res = await t.importCsv(kind, csv);
    if (res.body.errors?.length) throw new Error(JSON.stringify(res.body.errors));
  }
  // Families bound and a case, so the numbers are not all zero.
  await t.say('chendad', await t.code('陈小军', 'father'));
  await t.say('chendad', '孩子最近发烧了');
  await t.say('wangma', await t.code('王小明', 'mother'));
  closeServer = await listenForBrowser(t.app);
  fs.mkdirSync(SHOTS, { recursive: true });
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await closeServer?.();
  await t?.stop();
});

/** Signs in as the bot's answer to 登录 says: the URL in the reply, opened in a fresh browser context. */
async function signIn(userid: string): Promise<Page> {
  const reply = (await t.say(userid, '登录')).join('\n');
  const url = /https?:\/\/\S+\/admin\/login\?code=[\w-]+/.exec(reply)?.[0];
  if (!url) throw new Error(`no link in: ${reply}`);
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
  await atBotTime(ctx);
  const page = await ctx.newPage();
  page.setDefaultTimeout(10_000);
  await page.goto(url);
  await page.waitForSelector('#who');
  return page;
}
/**
 * The browser's "now" is the bot's (the simulator's clock, which starts at a fixed instant): the console picks the
 * current month from the browser, and the server refuses a month that has not begun by its own clock.
 */
const atBotTime = (ctx: BrowserContext) => ctx.clock.setFixedTime(t.app.context.clock.now());
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
const texts = (page: Page, selector: string) => page.$$eval(selector, (els) => els.map((e) => (e.textContent ?? '').trim()));

describe('as the principal of 阳光小学', () => {
  let page: Page;
  beforeAll(async () => { page = await signIn('sun'); }, 30_000);
  afterAll(async () => { await page.context().close(); });

  it('the dashboard shows their school, its numbers and charts', async () => {
    await page.waitForSelector('#dashboard [data-chart="units"] svg');
    expect(await texts(page, '#units-table tbody tr td:first-child')).toEqual(['阳光小学']);
    expect(await page.textContent('[data-number="children"] .num')).toBe('3');
    // 王小明's mother and 陈小军's father are bound.
    expect(await page.textContent('[data-number="anyParent"] .num')).toBe('2');
    expect(await page.$$('#dashboard .chart svg')).toHaveLength(3);
    await shot(page, 'dashboard');
  });

  it('drills down school → class → children → a child; edits the record; the change is in the audit log', async () => {
    await page.click('#units-table tbody tr:has-text("阳光小学")');
    await page.waitForSelector('#units-table tbody tr:has-text("三年级2班")');
    await page.click('#units-table tbody tr:has-text("三年级2班")');
    await page.waitForSelector('#children-table tbody tr:has-text("陈小军")');
    expect(await texts(page, '#children-table tbody tr td:first-child')).toEqual(['陈小军']);
    await shot(page, 'children');
    await page.click('#children-table tbody tr:has-text("陈小军")');
    await page.waitForSelector('#child-page');
    expect(await page.textContent('#field-leftBehind')).toBe('双亲外出');
    await page.click('#edit-record');
    // Element Plus draws the select over its input: click what the user clicks.
    await page.click('.el-dialog .el-select:has(#edit-leftBehind)');
    await page.click('.el-select-dropdown__item:visible:has-text("父亲外出")');
    await page.click('#save-record');
    await page.waitForSelector('#field-leftBehind:text-is("父亲外出")');
    await page.waitForSelector('.el-overlay-dialog', { state: 'hidden' });
    await page.waitForSelector('.el-message', { state: 'detached' });
    await shot(page, 'child');

    await page.click('.nav >> text=日志');
    await page.waitForSelector('#audit-table tbody tr:has-text("child.update")');
    const row = await page.textContent('#audit-table tbody tr:has-text("child.update")');
    expect(row).toContain('sun');
    expect(row).toContain('leftBehind');
    await shot(page, 'audit');
  });

  it('imports a roster with two bad rows: the dry run lists them in the table, with row and column', async () => {
    await page.click('.nav >> text=导入');
    const bad = [
      HEAD,
      '阳光小学,三年级1班,孙小梅,女,2016-13-40,,双亲外出,祖辈,否,否,孙大,13800138041,广东广州,,,,,,,,,zhang',
      '阳光小学,三年级1班,,男,2016-01-01,,双亲外出,祖辈,否,否,周大,13800138051,广东广州,,,,,,,,,zhang',
      '阳光小学,三年级1班,吴小兰,女,2016-02-02,,母亲外出,父亲,否,否,吴大,13800138061,,吴妈,13800138062,上海,,,,,,li',
    ].join('\n');
    await page.setInputFiles('#file', { name: 'roster.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await page.click('#check');
    await page.waitForSelector('#import-errors');
    const rows = await texts(page, '#import-errors tbody tr td:first-child');
    expect(rows).toEqual(['2', '3']);
    expect(await page.textContent('#import-result')).toContain('将新建 1');
    await shot(page, 'import');
    await page.click('#apply');
    await page.waitForSelector('#import-result:has-text("已导入")');
  });

  it('prints the contact cards: the PDF holds their children and codes as text', async () => {
    await page.click('.nav >> text=联系卡');
    const [popup] = await Promise.all([page.context().waitForEvent('page'), page.click('#print')]);
    // The browser opens the PDF in its viewer; read the same URL with the same session and check what it holds.
    expect(new URL(popup.url()).pathname).toBe('/api/contact-cards.pdf');
    const res = await page.context().request.get(popup.url());
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('application/pdf');
    const text = pdfText(Buffer.from(await res.body()));
    for (const child of ['王小明', '李小红', '陈小军']) expect(text).toContain(child);
    expect(text).not.toContain('赵小花');
    const codes = (await t.cards()).filter((c) => c.child === '陈小军').flatMap((c) => c.codes.map((x) => x.code));
    for (const code of codes) expect(text).toContain(code);
    expect(text).not.toMatch(/1[3-9]\d{9}/);
    await shot(page, 'cards');
    await popup.close();
  });
});

describe('as the teacher of 希望小学', () => {
  it('sees only their own child, and not a child of 阳光小学 by its address', async () => {
    const page = await signIn('zhao');
    await page.click('.nav >> text=学生');
    await page.waitForSelector('#children-table tbody tr');
    expect(await texts(page, '#children-table tbody tr td:first-child')).toEqual(['赵小花']);
    const chen = await page.evaluate("fetch('/api/children?q=陈小军').then((r) => r.json())") as unknown[];
    expect(chen).toEqual([]);
    expect(await page.textContent('#units-table, #children-table')).not.toContain('阳光小学');
    await page.context().close();
  });
});

describe('as county staff (教育局)', () => {
  it("edit the concern keywords: a school's word 逃课 is saved into the rhythm settings", async () => {
    // A 教育局 row of the staff list (no school of their own); the rest of the list is left as it is.
    const res = await t.importCsv('staff', `${STAFF.split('\n')[0]}\n,钱科长,qian,,教育局,,,0,`);
    expect(res.body.errors).toEqual([]);
    const page = await signIn('qian');
    expect(await page.textContent('#scope')).toContain('全县');
    await page.click('.nav >> text=设置');
    await page.click('#keywords .el-select:has([data-list="study"]), #keywords [data-list="study"]');
    await page.keyboard.type('逃课');
    await page.keyboard.press('Enter');
    await page.click('#save-keywords');
    await page.waitForSelector('.el-message--success');
    const settings = await t.http.get('/api/settings').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(settings.body.schedule.concerns.keywords.study).toContain('逃课');
    // The other lists are kept as they were.
    expect(settings.body.schedule.concerns.urgentKeywords).toContain('溺水');
    await shot(page, 'settings');
    await page.context().close();
  });
});

describe('on a phone in WeCom', () => {
  it('the dashboard fits a 390-pixel screen', async () => {
    const reply = (await t.say('sun', '登录')).join('\n');
    const url = /https?:\/\/\S+\/admin\/login\?code=[\w-]+/.exec(reply)![0];
    const ctx = await browser.newContext({
      viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN',
      userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.0 MicroMessenger/7.0.1',
    });
    await atBotTime(ctx);
    const page = await ctx.newPage();
    await page.goto(url);
    await page.waitForSelector('#dashboard [data-chart="units"] svg');
    // Nothing wider than the screen but the tables, which scroll in their own box.
    const width = await page.evaluate('document.documentElement.scrollWidth') as number;
    expect(width).toBeLessThanOrEqual(390);
    await shot(page, 'phone');
    await ctx.close();
  });
});
