/**
 * Roster import fuzzing: a valid roster with cells, rows and encodings mangled at random. Every answer is a 200 with
 * row errors or a clear 400; what is stored is clean text; every bad row is skipped whole (children added = created);
 * the same file again changes nothing; /healthz keeps answering. Bounded: CASES files or TIME_BUDGET_MS from a fixed
 * seed; FUZZ_SEED=<n> replays another run.
 */
import iconv from 'iconv-lite';
import { ROSTER_COLUMNS } from '../src/import/columns';
import { Child } from '../src/models/child';
import { FamilyMember } from '../src/models/familyMember';
import { Pairing } from '../src/models/pairing';
import { ADMIN_TOKEN, startWithSchool, TestApp } from './helpers/testApp';
import { rng, SEED } from './helpers/fuzz';

const CASES = 40;
const TIME_BUDGET_MS = 90_000;

const NASTY = [
  '', ' ', '=HYPERLINK("http://x","click")', '+1', '-1', '@SUM(A1)', '\u202e明小王', '王\u0000小\u0007明', '\u200b\u2066李\u2069',
  'x'.repeat(300), '"', '""', ',', '\n', '\r\n', '2016-02-30', '1380013', '是', '否', 'zhang', 'nobody', '阳光小学', '三年级1班',
  '😀', '\ud800', '%E0%A4%A', '<script>', '学生姓名', '学校',
];

const BASE: Record<string, string> = {
  school: '阳光小学', class: '三年级1班', child_name: '王小明', gender: '男', birth_date: '2016-05-12',
  left_behind: '双亲外出', living_with: '祖辈', boarding: '否', priority: '否',
  father_name: '王建国', father_phone: '13800138001', mother_name: '刘芳', mother_phone: '13800138002',
  guardian_name: '王奶奶', guardian_relation: '祖母', guardian_phone: '13800138003', guardian_age: '68', guardian_literacy: '不识字',
  teacher_wecom_userid: 'zhang',
};

function esc(c: string): string {
  return /[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c;
}

function randomFile(r: () => number, n: number): Buffer {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const header = ROSTER_COLUMNS.map((c) => (r() < 0.5 ? c.zh : c.key));
  const rows: string[][] = [];
  for (let i = 0; i < 1 + Math.floor(r() * 8); i++) {
    const cells = ROSTER_COLUMNS.map((c) => BASE[c.key] ?? '');
    cells[2] = `孩子${n}_${i}`;
    cells[4] = `2016-0${1 + Math.floor(r() * 9)}-1${Math.floor(r() * 9)}`;
    for (let k = Math.floor(r() * 4); k > 0; k--) cells[Math.floor(r() * cells.length)] = pick(NASTY);
    rows.push(r() < 0.1 ? cells.slice(0, Math.floor(r() * cells.length)) : cells);
  }
  if (r() < 0.2) rows.splice(Math.floor(r() * rows.length), 0, []);
  const lines = [...(r() < 0.3 ? [['2025年花名册']] : []), header, ...rows].map((row) => row.map(esc).join(','));
  const text = lines.join(r() < 0.5 ? '\n' : '\r\n');
  const enc = r();
  if (enc < 0.2) return iconv.encode(text, 'gb18030');
  if (enc < 0.3) return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
  return Buffer.from(text, 'utf8');
}

let t: TestApp;
beforeAll(async () => { t = await startWithSchool(); }, 120_000);
afterAll(async () => { await t.stop(); });

const post = (body: Buffer) => t.http.post('/api/import/roster').set('Authorization', `Bearer ${ADMIN_TOKEN}`).set('Content-Type', 'text/csv').send(body);
// Control characters, direction overrides, zero-width characters: never stored.
const DIRTY = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

describe(`roster import fuzz (seed ${SEED})`, () => {
  it(`${CASES} mangled files: clear answers, clean records, bad rows skipped whole, re-import a no-op (replay with FUZZ_SEED=${SEED})`, async () => {
    const r = rng(SEED);
    const started = Date.now();
    let ran = 0;
    for (; ran < CASES && Date.now() - started < TIME_BUDGET_MS; ran++) {
      const file = randomFile(r, ran);
      const where = `seed ${SEED}, case ${ran}`;
      const before = { children: await Child.countDocuments({}), members: await FamilyMember.countDocuments({}) };
      const res = await post(file);
      expect({ where, status: [200, 400].includes(res.status) }).toEqual({ where, status: true });
      expect({ where, errors: Array.isArray(res.body.errors) }).toEqual({ where, errors: true });
      for (const e of res.body.errors) expect({ where, ok: Number.isInteger(e.row) && typeof e.message === 'string' && e.message.length > 0 }).toEqual({ where, ok: true });
      const created = res.body.created ?? 0;
      expect({ where, added: (await Child.countDocuments({})) - before.children }).toEqual({ where, added: created });
      if (res.status === 200) {
        const again = await post(file);
        expect({ where, again: [again.body.created, again.body.updated] }).toEqual({ where, again: [0, 0] });
      }
      if (ran % 10 === 0) expect((await t.http.get('/healthz')).status).toBe(200);
    }
    expect(ran).toBeGreaterThan(5);
    for (const c of await Child.find({}).lean()) {
      expect({ name: c.name, dirty: DIRTY.test(c.name) || c.name.length > 200 }).toEqual({ name: c.name, dirty: false });
    }
    for (const m of await FamilyMember.find({}).lean()) expect({ name: m.name, dirty: DIRTY.test(m.name) }).toEqual({ name: m.name, dirty: false });
    // Every child has its pairing or none, never two current ones.
    const current = (await Pairing.find({ until: { $exists: false } }).lean()).map((p) => String(p.childId));
    expect(new Set(current).size).toBe(current.length);
    expect((await t.http.get('/healthz')).body).toEqual({ ok: true });
  }, 240_000);
});
