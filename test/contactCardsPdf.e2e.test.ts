/**
 * Issue 11 item 4: GET /api/contact-cards.pdf — printable cards, A4, eight to a page, read back with poppler's
 * pdftotext / pdfinfo / pdffonts / pdftoppm the way a school's computer would: real Chinese text in an embedded
 * font subset, every binding code, the 微信客服 QR code when WECOM_KF_LINK is set, never a phone number, only the
 * caller's children.
 */
import { Types } from 'mongoose';
import { openSession } from '../src/domain/signIn';
import { loadCjkFont } from '../src/import/cjkFont';
import type { ContactCard } from '../src/import/contactCards';
import { PDF_INSTRUCTION, PDF_QR_CAPTION, renderContactCardsPdf } from '../src/import/contactCardsPdf';
import { AuditLog } from '../src/models/auditLog';
import { Child } from '../src/models/child';
import { binary, pdfFonts, pdfInfo, pdfPages, pdfQrTexts, pdfText } from './helpers/pdf';
import { ADMIN_TOKEN, startWithSchool, TestApp } from './helpers/testApp';

const KF_LINK = 'https://work.weixin.qq.com/kfid/kfc0123456789abcdef';
const NOTO_TTC = '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc';
const PHONE = /1[3-9]\d{9}/;
const HEADER = '学校,班级,学生姓名,性别,出生日期,学号,留守类型,监护情况,寄宿,重点帮扶,父亲姓名,父亲电话,父亲务工地,母亲姓名,母亲电话,母亲务工地,监护人姓名,监护人关系,监护人电话,监护人年龄,监护人文化程度,帮扶教师企业微信账号';
// Beside the fixture's 王小明, 王小华 (zhang's) and 李小红 (li's), all 阳光小学 三年级1班: another class and another school.
const MORE = [
  HEADER,
  '阳光小学,三年级2班,陈小军,男,2016-03-03,,双亲外出,祖辈,否,否,陈大,13800138021,广东深圳,,,,陈奶奶,祖母,13800138023,70,小学,li',
  '希望小学,一年级1班,赵小花,女,2019-01-09,,双亲外出,祖辈,否,否,赵大,13800138031,福建厦门,,,,赵奶奶,祖母,13800138033,66,不识字,zhao',
].join('\n');
const ALL = ['王小明', '王小华', '李小红', '陈小军', '赵小花'];

let t: TestApp;
const token = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/** GET the PDF (Chinese in `query` is percent-encoded here), its body as a Buffer whatever the answer. */
async function getPdf(query: string, headers: Record<string, string> = token) {
  const res = await t.http.get(`/api/contact-cards.pdf${query.replace(/[^\x20-\x7e]+/g, encodeURIComponent)}`).set(headers).buffer(true).parse(binary);
  return { status: res.status, headers: res.headers, body: res.body as Buffer, json: () => JSON.parse((res.body as Buffer).toString('utf8')) };
}

/** The children of ALL whose names the PDF's text carries. */
const childrenIn = (text: string) => ALL.filter((n) => text.includes(n));

async function sessionOf(userid: string): Promise<Record<string, string>> {
  const s = await openSession(t.app.context.orgId, userid, 'chat', t.app.context.clock.now());
  return { Cookie: `liushou_session=${s.token}` };
}

beforeAll(async () => {
  t = await startWithSchool({ WECOM_KF_LINK: KF_LINK });
  const more = await t.importCsv('roster', MORE);
  if (more.status !== 200 || more.body.errors?.length) throw new Error(JSON.stringify(more.body));
}, 120_000);
afterAll(async () => { await t?.stop(); });

describe('GET /api/contact-cards.pdf', () => {
  it('prints every child, school, class, member and code as real text, the QR caption, no phone; one A4 page for 5 cards', async () => {
    const res = await getPdf('');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toBe(`inline; filename="contact-cards.pdf"; filename*=UTF-8''%E8%81%94%E7%B3%BB%E5%8D%A1.pdf`);
    expect(res.body.subarray(0, 5).toString('latin1')).toBe('%PDF-');

    const text = pdfText(res.body);
    const cards: ContactCard[] = (await t.http.get('/api/contact-cards').set(token)).body;
    expect(cards.map((c) => c.child).sort()).toEqual([...ALL].sort());
    for (const card of cards) {
      for (const s of [card.child, card.school, card.class]) expect([card.child, s, text.includes(s)]).toEqual([card.child, s, true]);
      for (const m of card.codes) {
        expect([card.child, m.code, text.includes(m.code)]).toEqual([card.child, m.code, true]);
        expect([card.child, m.name, text.includes(m.name)]).toEqual([card.child, m.name, true]);
      }
    }
    expect(text).toContain('父亲');
    expect(text).toContain('监护人');
    expect(text).toContain(PDF_QR_CAPTION);
    expect(text).toContain(PDF_INSTRUCTION);
    expect(text).not.toMatch(PHONE);

    const info = pdfInfo(res.body);
    expect(info).toMatch(/^Pages:\s+1$/m);
    expect(info).toMatch(/^Page size:\s+595\.2\d? x 841\.8\d? pts \(A4\)/m);
    // The Chinese font is embedded, as a subset (ABCDEF+Name), with a Unicode map: text, not pictures of text.
    expect(pdfFonts(res.body)).toMatch(/^[A-Z]{6}\+NotoSansCJKsc-Regular\s+CID Type 0C\s+Identity-H\s+yes\s+yes\s+yes/m);
    expect(res.body.length).toBeLessThan(400_000); // a subset, not the 20 MB collection

    const entry = await AuditLog.findOne({ action: 'read.contact-cards', 'detail.format': 'pdf' }).sort({ at: -1, _id: -1 }).lean();
    expect(entry).toMatchObject({ actor: 'admin', detail: { format: 'pdf', children: 5 } });
  });

  it('the QR code on each card opens the 微信客服 link', async () => {
    const res = await getPdf('?school=阳光小学&class=三年级1班');
    // Cards are 269.64 × 194.47 pt from (28, 28); the QR code is in each card's top-right corner.
    const crops: Array<[number, number, number, number]> = [0, 1, 2].map((i) => [28 + (i % 2) * 269.64 + 186, 28 + Math.floor(i / 2) * 194.47 + 3, 80, 75]);
    expect(pdfQrTexts(res.body, 1, crops)).toEqual([KF_LINK, KF_LINK, KF_LINK]);
  });

  it('filters by school, class (names) and childId; no match is 404, a bad filter 400', async () => {
    const ids = Object.fromEntries((await Child.find({}).lean()).map((c) => [c.name, String(c._id)]));
    const cases: Array<[string, string[]]> = [
      ['?school=希望小学', ['赵小花']],
      ['?class=三年级2班', ['陈小军']],
      ['?school=阳光小学&class=三年级1班', ['王小明', '王小华', '李小红']],
      ['?school=阳光小学', ['王小明', '王小华', '李小红', '陈小军']],
      [`?childId=${ids['李小红']}`, ['李小红']],
    ];
    for (const [query, want] of cases) {
      const res = await getPdf(query);
      expect([query, res.status]).toEqual([query, 200]);
      expect([query, childrenIn(pdfText(res.body)).sort()]).toEqual([query, [...want].sort()]);
    }
    for (const query of ['?school=月亮小学', '?school=希望小学&class=三年级1班', `?childId=${new Types.ObjectId()}`]) {
      const res = await getPdf(query);
      expect([query, res.status, res.json().error]).toEqual([query, 404, 'not_found']);
    }
    for (const query of ['?childId=nope', '?grade=3', '?school=']) {
      expect([query, (await getPdf(query)).status]).toEqual([query, 400]);
    }
  });

  it("a teacher's session gets only their paired children's cards, and not another child's by id", async () => {
    const li = await sessionOf('li');
    const res = await getPdf('', li);
    expect(res.status).toBe(200);
    const text = pdfText(res.body);
    expect(childrenIn(text).sort()).toEqual(['李小红', '陈小军'].sort());
    // Not even the codes of the others.
    const cards: ContactCard[] = (await t.http.get('/api/contact-cards').set(token)).body;
    for (const card of cards.filter((c) => !['李小红', '陈小军'].includes(c.child))) {
      for (const m of card.codes) expect([card.child, m.code, text.includes(m.code)]).toEqual([card.child, m.code, false]);
    }
    const other = await Child.findOne({ name: '王小明' }).lean();
    expect((await getPdf(`?childId=${other!._id}`, li)).status).toBe(404);
    // The head teacher of 三年级1班: the class (李小红 too) but not 三年级2班 or the other school.
    expect(childrenIn(pdfText((await getPdf('', await sessionOf('zhang'))).body)).sort()).toEqual(['王小明', '王小华', '李小红'].sort());
    const entry = await AuditLog.findOne({ action: 'read.contact-cards', actor: 'li' }).lean();
    expect(entry?.detail).toMatchObject({ format: 'pdf', children: 2 });
    // Signed out: nothing.
    expect((await getPdf('', {})).status).toBe(401);
  });

  it('without WECOM_KF_LINK: no QR caption, the words alone tell a family what to do', async () => {
    const config = t.app.context.config;
    const saved = config.WECOM_KF_LINK;
    config.WECOM_KF_LINK = undefined;
    try {
      const text = pdfText((await getPdf('?school=希望小学')).body);
      expect(text).toContain('赵小花');
      expect(text).toContain(PDF_INSTRUCTION);
      expect(text).not.toContain(PDF_QR_CAPTION);
    } finally {
      config.WECOM_KF_LINK = saved;
    }
  });

  it('without a usable Chinese font: 503 saying what to install, never a PDF, nothing read', async () => {
    const config = t.app.context.config;
    const saved = config.CJK_FONT_PATH;
    const before = await AuditLog.countDocuments({ action: 'read.contact-cards' });
    try {
      for (const [font, why] of [
        ['/nonexistent/NotoSansCJK-Regular.ttc', /does not exist/],
        [__filename, /is not a font/],
        // A font without Chinese glyphs would print tofu (fontconfig, which Chromium needs, brings DejaVu).
        ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', /has no Chinese characters/],
      ] as const) {
        config.CJK_FONT_PATH = font;
        const res = await getPdf('');
        expect([font, res.status, res.headers['content-type']]).toEqual([font, 503, expect.stringMatching(/^application\/json/)]);
        const body = res.json();
        expect(body.error).toBe('no_cjk_font');
        expect(body.message).toMatch(why);
        expect(body.message).toContain('apt-get install fonts-noto-cjk');
        expect(body.message).toContain('CJK_FONT_PATH');
      }
    } finally {
      config.CJK_FONT_PATH = saved;
    }
    expect(await AuditLog.countDocuments({ action: 'read.contact-cards' })).toBe(before);
    expect((await getPdf('?school=希望小学')).status).toBe(200);
  });

  it('100 children: 13 pages, every child on them, in a few seconds', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => {
      const n = String(i + 1).padStart(3, '0');
      return `百花小学,${1 + (i % 6)}年级1班,百花${n}号,男,2016-01-01,${n},双亲外出,祖辈,否,否,父${n},13900000${n},广东,母${n},13700000${n},浙江,祖${n},祖母,13600000${n},66,小学,`;
    });
    const imported = await t.importCsv('roster', [HEADER, ...rows].join('\n'));
    expect([imported.status, imported.body.created, imported.body.errors]).toEqual([200, 100, []]);

    const started = Date.now();
    const res = await getPdf('?school=百花小学');
    const seconds = (Date.now() - started) / 1000;
    expect(res.status).toBe(200);
    expect(seconds).toBeLessThan(20); // ~1 s here; far more means something grew per card
    expect(pdfPages(res.body)).toBe(13);
    const text = pdfText(res.body);
    const missing = Array.from({ length: 100 }, (_, i) => `百花${String(i + 1).padStart(3, '0')}号`).filter((n) => !text.includes(n));
    expect(missing).toEqual([]);
    expect(text).not.toMatch(PHONE);
    expect((text.match(new RegExp(PDF_QR_CAPTION, 'g')) ?? []).length).toBe(100);
  }, 90_000);
});

describe('renderContactCardsPdf (pure) and the font', () => {
  it('takes the Simplified Chinese face of the Noto CJK collection (.ttc) by its PostScript name', async () => {
    const font = await loadCjkFont(NOTO_TTC);
    expect(font.postscriptName).toBe('NotoSansCJKsc-Regular');
    expect((await loadCjkFont()).file).toBe(NOTO_TTC); // the default when CJK_FONT_PATH is unset
  });

  it('puts 8 cards on a page: 17 cards are 3 pages; a card without family says so', async () => {
    const font = await loadCjkFont(NOTO_TTC);
    const cards: ContactCard[] = Array.from({ length: 17 }, (_, i) => ({
      childId: String(i), child: `测试${i + 1}号`, school: '测试小学', class: '一年级1班',
      codes: i === 16 ? [] : [{ for: 'guardian', name: '监护人甲', code: `AB${(i % 8) + 2}CDE` }],
    }));
    const pdf = await renderContactCardsPdf(cards, { font });
    expect(pdfPages(pdf)).toBe(3);
    const text = pdfText(pdf);
    expect(text).toContain('测试17号');
    expect(text).toContain('没有家长信息');
    expect(text).not.toContain(PDF_QR_CAPTION);
    // Page 3 holds card 17 only.
    expect(text.split('\f')[2]).toContain('测试17号');
    expect(text.split('\f')[2]).not.toContain('测试16号');
  });
});
