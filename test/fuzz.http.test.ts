/**
 * HTTP bad input: broken %-encoding in paths, malformed and oversized bodies, prototype-polluting keys, and a
 * seeded random mix of them. Every answer is a clear 4xx JSON error (never a 500), /healthz keeps answering, and
 * no record is written. Bounded: CASES requests or TIME_BUDGET_MS; FUZZ_SEED=<n> replays another run.
 */
import type { Model } from 'mongoose';
import { Child } from '../src/models/child';
import { Classroom } from '../src/models/classroom';
import { FamilyMember } from '../src/models/familyMember';
import { Identity } from '../src/models/identity';
import { Org } from '../src/models/org';
import { Pairing } from '../src/models/pairing';
import { School } from '../src/models/school';
import { Staff } from '../src/models/staff';
import { ADMIN_TOKEN, startWithSchool, TestApp } from './helpers/testApp';
import { rng, SEED } from './helpers/fuzz';

const CASES = 200;
const TIME_BUDGET_MS = 90_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const RECORDS: Array<[string, Model<any>]> = [
  ['schools', School], ['classrooms', Classroom], ['staff', Staff], ['identities', Identity],
  ['children', Child], ['members', FamilyMember], ['pairings', Pairing],
];

async function snapshot(): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const [name, m] of RECORDS) out[name] = await m.find({}).sort({ _id: 1 }).lean();
  out.org = await Org.find({}).lean();
  return JSON.stringify(out);
}

let t: TestApp;
beforeAll(async () => { t = await startWithSchool(); }, 120_000);
afterAll(async () => { await t.stop(); });

const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

describe('named bad input', () => {
  it('broken %-encoding in a path is a 400 with a JSON error, not a 500', async () => {
    for (const path of ['/api/schools/%E0%A4%A', '/api/schools/%', '/api/import/jobs/%zz', '/sim/inbox/%E0%A4%A']) {
      const res = await t.http.get(path).set(auth);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.body).toMatchObject({ error: 'bad_path', message: expect.stringContaining('encoding') });
    }
  });

  it('malformed JSON is a 400 and an oversized body a 413, both JSON', async () => {
    const bad = await t.http.patch('/api/settings').set(auth).set('Content-Type', 'application/json').send('{"quietHours": ');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('bad_json');
    const big = await t.http.patch('/api/settings').set(auth).set('Content-Type', 'application/json')
      .send(JSON.stringify({ schedule: { talk: { note: 'x'.repeat(200_000) } } }));
    expect(big.status).toBe(413);
    expect(big.body.error).toBe('too_large');
    const hugeImport = await t.http.post('/api/import/roster').set(auth).set('Content-Type', 'text/csv').send(Buffer.alloc(21 * 1024 * 1024, 0x61));
    expect(hugeImport.status).toBe(413);
  }, 60_000);

  it.each(['__proto__', 'constructor', 'prototype'])('"%s" is refused as a settings key, at either level', async (key) => {
    const before = await snapshot();
    for (const body of [`{"schedule": {"${key}": {"polluted": true}}}`, `{"schedule": {"talk": {"${key}": {"polluted": true}}}}`]) {
      const res = await t.http.patch('/api/settings').set(auth).set('Content-Type', 'application/json').send(body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body).toMatchObject({ error: 'bad_request', message: expect.stringContaining(key) });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await snapshot()).toBe(before);
  });
});

function randomSegment(r: () => number): string {
  const kinds = [
    () => '%',
    () => `%${'0123456789ABCDEFGHXZ'[Math.floor(r() * 20)]}`,
    () => '%E0%A4%A',
    () => '%C0%AF',
    () => encodeURIComponent(String.fromCharCode(Math.floor(r() * 0xd7ff))),
    () => '..',
    () => '0123456789abcdef01234567',
    () => 'x'.repeat(Math.floor(r() * 300)),
  ];
  return Array.from({ length: 1 + Math.floor(r() * 3) }, () => kinds[Math.floor(r() * kinds.length)]()).join('');
}

function randomBody(r: () => number): { type: string; body: string | Buffer } {
  const kinds: Array<() => { type: string; body: string | Buffer }> = [
    () => ({ type: 'application/json', body: '{"a": ' }),
    () => ({ type: 'application/json', body: JSON.stringify({ schedule: { [['__proto__', 'constructor', 'prototype', 'talk'][Math.floor(r() * 4)]]: { x: r() } } }) }),
    () => ({ type: 'application/json', body: JSON.stringify({ quietHours: ['25:00-07:00', 'x', 7, null][Math.floor(r() * 4)] }) }),
    () => ({ type: 'application/json', body: '[]'.repeat(Math.floor(r() * 50)) }),
    () => ({ type: 'application/json', body: `${'['.repeat(5000)}${']'.repeat(5000)}` }),
    () => ({ type: 'text/csv', body: Buffer.from(Array.from({ length: Math.floor(r() * 2000) }, () => Math.floor(r() * 256))) }),
    () => ({ type: 'text/csv', body: `学校,班级\n${'\u202e=HYPERLINK("x")'.repeat(Math.floor(r() * 10))},\u0000` }),
    () => ({ type: 'application/octet-stream', body: Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(Math.floor(r() * 500), 7)]) }),
    () => ({ type: 'application/x-www-form-urlencoded', body: 'a=%E0%A4%A&b' }),
  ];
  return kinds[Math.floor(r() * kinds.length)]();
}

describe(`random bad requests (seed ${SEED})`, () => {
  it(`${CASES} requests: never a 500, always JSON when refused, nothing written (replay with FUZZ_SEED=${SEED})`, async () => {
    const r = rng(SEED);
    const before = await snapshot();
    const started = Date.now();
    const prefixes = ['/api/schools/', '/api/import/roster/', '/api/import/staff', '/api/import/jobs/', '/api/settings/', '/api/concerns/', '/api/notes/', '/api/children/', '/sim/inbox/', '/sim/messages', '/api/contact-cards/'];
    let ran = 0;
    for (; ran < CASES && Date.now() - started < TIME_BUDGET_MS; ran++) {
      const method = (['get', 'post', 'patch', 'delete'] as const)[Math.floor(r() * 4)];
      const path = prefixes[Math.floor(r() * prefixes.length)] + (r() < 0.8 ? randomSegment(r) : '');
      const { type, body } = randomBody(r);
      let req = t.http[method](path);
      if (r() < 0.85) req = req.set(auth);
      const res = method === 'get' ? await req : await req.set('Content-Type', type).send(body);
      const where = `seed ${SEED}, case ${ran}: ${method.toUpperCase()} ${path.slice(0, 120)} (${type})`;
      expect({ where, serverError: res.status >= 500 }).toEqual({ where, serverError: false });
      if (res.status >= 400) {
        expect({ where, json: /json/.test(res.get('content-type') ?? '') }).toEqual({ where, json: true });
        expect({ where, hasError: typeof res.body.error === 'string' || Array.isArray(res.body.errors) }).toEqual({ where, hasError: true });
      }
      if (ran % 40 === 0) expect((await t.http.get('/healthz')).status).toBe(200);
    }
    expect(ran).toBeGreaterThan(20);
    expect(await snapshot()).toBe(before);
    expect((await t.http.get('/healthz')).body).toEqual({ ok: true });
  }, 180_000);
});
