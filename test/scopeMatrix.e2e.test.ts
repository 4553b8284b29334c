/**
 * Issue 10: every /api route answers within the caller's scope. Callers: the county token, a county staff member,
 * 阳光小学's principal, head teacher (三年级1班) and a teacher, 希望小学's teacher, a bound parent, a stranger, nobody.
 * Each route of every /api router must have a guard() and a row in MATRIX below: a new route without a scope
 * decision fails the first test. Lists are compared with exactly the children each caller may see.
 */
import * as ExcelJS from 'exceljs';
import type { Router } from 'express';
import request from 'supertest';
import { openSession } from '../src/domain/signIn';
import { Child } from '../src/models/child';
import { School } from '../src/models/school';
import { Staff } from '../src/models/staff';
import type { GuardHandler } from '../src/web/auth';
import { apiRouters, createHttpApp } from '../src/web/server';
import { WECOM_API_PATH, wecomRoutes } from '../src/web/wecomRoutes';
import { binary, pdfText } from './helpers/pdf';
import { ADMIN_TOKEN, startTestApp, TestApp } from './helpers/testApp';
import { TWO_SCHOOLS_ROSTER, TWO_SCHOOLS_STAFF } from './helpers/twoSchools';

const STAFF = TWO_SCHOOLS_STAFF;
const ROSTER = TWO_SCHOOLS_ROSTER;

const ALL = ['王小明', '李小红', '陈小军', '赵小花'];
type Who = 'token' | 'county' | 'principal' | 'head' | 'teacher' | 'otherTeacher' | 'parent' | 'stranger' | 'nobody';
const WHO: Who[] = ['token', 'county', 'principal', 'head', 'teacher', 'otherTeacher', 'parent', 'stranger', 'nobody'];
/** The children each caller may see (undefined: no access at all). */
const SEES: Record<Who, string[] | undefined> = {
  token: ALL, county: ALL, principal: ['王小明', '李小红', '陈小军'], head: ['王小明', '李小红'],
  teacher: ['李小红', '陈小军'], otherTeacher: ['赵小花'], parent: undefined, stranger: undefined, nobody: undefined,
};
const SCHOOLS: Record<Who, string[]> = {
  token: ['希望小学', '阳光小学'], county: ['希望小学', '阳光小学'], principal: ['阳光小学'], head: ['阳光小学'], teacher: ['阳光小学'],
  otherTeacher: ['希望小学'], parent: [], stranger: [], nobody: [],
};

interface Caller { who: Who; headers: Record<string, string> }
type Expect = (res: request.Response, c: Caller) => void;
interface Row { guard: GuardHandler['accessLevel']; probe: (t: TestApp, c: Caller) => Promise<void> }

let t: TestApp;
const callers = {} as Record<Who, Caller>;
const ids: Record<string, string> = {};
let jobId = '';

const send = (c: Caller, req: request.Test) => {
  for (const [k, v] of Object.entries(c.headers)) req.set(k, v);
  return req;
};
const noAccess = (c: Caller) => SEES[c.who] === undefined;
/** 401 for anyone not signed-in staff, else what `ok` checks. */
function signedIn(ok: Expect): Expect {
  return (res, c) => {
    if (noAccess(c)) return void expect([c.who, res.status]).toEqual([c.who, 401]);
    ok(res, c);
  };
}
/** Only the levels in `allowed` get through; others 403, outsiders 401. */
function onlyFor(allowed: Who[], ok: Expect = (res, c) => expect([c.who, res.status]).toEqual([c.who, 200])): Expect {
  return signedIn((res, c) => {
    if (allowed.includes(c.who)) return ok(res, c);
    expect([c.who, res.status]).toEqual([c.who, 403]);
  });
}
const sorted = (xs: Array<string | null | undefined>) => [...new Set(xs.filter((x): x is string => !!x))].sort();
const names = (who: Who) => [...(SEES[who] ?? [])].sort();

const get = (path: string, expectFn: Expect) => async (tt: TestApp, c: Caller) => expectFn(await send(c, tt.http.get(path)), c);

/** A dry-run import: the county and principals get through; a principal's import refuses the other school's row. */
function importProbe(kind: 'staff' | 'roster', csv: string): Row['probe'] {
  return async (tt, c) => {
    const res = await send(c, tt.http.post(`/api/import/${kind}?dryRun=1`).set('Content-Type', 'text/csv').send(csv));
    onlyFor(['token', 'county', 'principal'], () => {
      expect(res.status).toBe(200);
      const refused = res.body.errors.filter((e: { message: string }) => e.message.includes('希望小学'));
      expect([c.who, refused.length]).toEqual([c.who, c.who === 'principal' ? 1 : 0]);
    })(res, c);
  };
}

/** Every route of the API: its least access, and a probe that checks each caller's answer. */
const MATRIX: Record<string, Row> = {
  'GET /api/schools': { guard: 'staff', probe: get('/api/schools', signedIn((res, c) => expect([c.who, sorted(res.body.map((s: { name: string }) => s.name))]).toEqual([c.who, SCHOOLS[c.who]]))) },
  'PATCH /api/schools/:name': {
    guard: 'principal',
    probe: async (tt, c) => {
      const res = await send(c, tt.http.patch(`/api/schools/${encodeURIComponent('阳光小学')}`).send({ showTeacherPhone: false }));
      const want: Partial<Record<Who, number>> = { token: 200, county: 200, principal: 200, head: 403, teacher: 403, otherTeacher: 403 };
      signedIn(() => expect([c.who, res.status]).toEqual([c.who, want[c.who]]))(res, c);
      // The principal of 阳光小学 does not even see 希望小学.
      if (c.who === 'principal') expect((await send(c, tt.http.patch(`/api/schools/${encodeURIComponent('希望小学')}`).send({ showTeacherPhone: false }))).status).toBe(404);
    },
  },
  'GET /api/settings': { guard: 'county', probe: get('/api/settings', onlyFor(['token', 'county'])) },
  'PATCH /api/settings': {
    guard: 'county',
    probe: async (tt, c) => onlyFor(['token', 'county'])(await send(c, tt.http.patch('/api/settings').send({ quietHours: '21:30-07:30' })), c),
  },
  'GET /api/concerns': {
    guard: 'staff',
    probe: get('/api/concerns?status=all', signedIn((res, c) => {
      expect([c.who, res.status]).toEqual([c.who, 200]);
      expect([c.who, sorted(res.body.map((x: { child: string }) => x.child))]).toEqual([c.who, names(c.who).filter((n) => ['陈小军', '赵小花'].includes(n))]);
    })),
  },
  'GET /api/notes': {
    guard: 'staff',
    probe: get('/api/notes', signedIn((res, c) => expect([c.who, sorted(res.body.notes.map((n: { child: string }) => n.child))]).toEqual([c.who, names(c.who)]))),
  },
  'POST /api/notes': {
    guard: 'staff',
    probe: async (tt, c) => {
      // 陈小军 is li's: li writes as themself; the principal may enter one for li; the head teacher of another class
      // and the other school's teacher do not see the child.
      const res = await send(c, tt.http.post('/api/notes').send({ childId: ids['陈小军'], teacher: 'li', text: `写给陈小军 ${c.who}` }));
      const want: Partial<Record<Who, number[]>> = { token: [200, 201], county: [200, 201], principal: [200, 201], teacher: [200, 201], head: [404], otherTeacher: [404] };
      signedIn(() => expect([c.who, want[c.who]!.includes(res.status)]).toEqual([c.who, true]))(res, c);
      if (c.who === 'head') {
        // 李小红 is in the head teacher's class, but the note is li's to write.
        const other = await send(c, tt.http.post('/api/notes').send({ childId: ids['李小红'], teacher: 'li', text: '代写' }));
        expect(other.status).toBe(403);
      }
    },
  },
  'POST /api/contacts': {
    guard: 'staff',
    probe: async (tt, c) => {
      const res = await send(c, tt.http.post('/api/contacts').send({ childId: ids['赵小花'], teacher: 'zhao', kind: 'talk', key: `m-${c.who}` }));
      const want: Partial<Record<Who, number>> = { token: 201, county: 201, otherTeacher: 201, principal: 404, head: 404, teacher: 404 };
      signedIn(() => expect([c.who, res.status]).toEqual([c.who, want[c.who]]))(res, c);
    },
  },
  'GET /api/cadences': {
    guard: 'staff',
    probe: get('/api/cadences', signedIn((res, c) => {
      expect([c.who, res.body.totals?.children]).toEqual([c.who, names(c.who).length]);
      expect([c.who, sorted(res.body.schools.map((s: { name: string }) => s.name))]).toEqual([c.who, SCHOOLS[c.who]]);
    })),
  },
  'GET /api/children': {
    guard: 'staff',
    probe: get('/api/children', signedIn((res, c) => {
      expect([c.who, sorted(res.body.map((x: { child: string }) => x.child))]).toEqual([c.who, names(c.who)]);
      // A list never carries phone numbers.
      expect(JSON.stringify(res.body)).not.toMatch(/1[3-9]\d{9}/);
    })),
  },
  'GET /api/children/:id': {
    guard: 'staff',
    probe: async (tt, c) => {
      const res = await send(c, tt.http.get(`/api/children/${ids['陈小军']}`));
      signedIn(() => {
        const sees = names(c.who).includes('陈小军');
        expect([c.who, res.status]).toEqual([c.who, sees ? 200 : 404]);
        if (sees) expect(res.body.child).toBe('陈小军');
        // The school has not allowed families' phones: none on the page either.
        expect(JSON.stringify(res.body)).not.toMatch(/1[3-9]\d{9}/);
      })(res, c);
    },
  },
  'PATCH /api/children/:id': {
    guard: 'staff',
    probe: async (tt, c) => {
      // 李小红 is in 张丽's class (she is its head teacher) and li's pairing: only leaders and the head teacher edit.
      const res = await send(c, tt.http.patch(`/api/children/${ids['李小红']}`).send({ priority: c.who === 'head' }));
      const want: Partial<Record<Who, number>> = { token: 200, county: 200, principal: 200, head: 200, teacher: 403, otherTeacher: 404 };
      signedIn(() => expect([c.who, res.status]).toEqual([c.who, want[c.who]]))(res, c);
    },
  },
  'PUT /api/children/:id/teacher': {
    guard: 'staff',
    probe: async (tt, c) => {
      const res = await send(c, tt.http.put(`/api/children/${ids['陈小军']}/teacher`).send({ teacher: 'li' }));
      const want: Partial<Record<Who, number>> = { token: 200, county: 200, principal: 200, head: 404, teacher: 403, otherTeacher: 404 };
      signedIn(() => expect([c.who, res.status]).toEqual([c.who, want[c.who]]))(res, c);
    },
  },
  'GET /api/audit': {
    guard: 'principal',
    probe: get('/api/audit?limit=1000', onlyFor(['token', 'county', 'principal'], (res, c) => {
      expect(res.status).toBe(200);
      const actors = sorted(res.body.entries.map((e: { actor: string }) => e.actor));
      // The principal sees what concerns 阳光小学: never the other school's teacher's reads.
      if (c.who === 'principal') expect(actors).not.toContain('zhao');
      else expect(actors).toEqual(expect.arrayContaining(['zhao', 'li']));
    })),
  },
  'GET /api/reports/summary': {
    guard: 'staff',
    probe: get('/api/reports/summary', signedIn((res, c) => {
      expect([c.who, res.status]).toEqual([c.who, 200]);
      expect([c.who, res.body.totals.roster.children]).toEqual([c.who, names(c.who).length]);
      expect([c.who, sorted(res.body.schools.map((s: { school: string }) => s.school))]).toEqual([c.who, SCHOOLS[c.who]]);
    })),
  },
  'GET /api/reports/county.xlsx': {
    guard: 'staff',
    probe: async (tt, c) => {
      const res = await send(c, tt.http.get('/api/reports/county.xlsx').buffer(true).parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (x: Buffer) => chunks.push(x));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      }));
      if (noAccess(c)) return void expect([c.who, res.status]).toEqual([c.who, 401]);
      expect([c.who, res.status]).toEqual([c.who, 200]);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(res.body as unknown as Parameters<typeof wb.xlsx.load>[0]);
      // 花名册: exactly the children the caller may see (column 4: 学生姓名); no phone number on any sheet.
      const roster = (wb.getWorksheet('花名册')!.getSheetValues() as unknown[][]).slice(2).filter(Boolean).map((r) => String(r[4]));
      expect([c.who, roster.sort()]).toEqual([c.who, names(c.who)]);
      expect(JSON.stringify(wb.worksheets.map((ws) => ws.getSheetValues()))).not.toMatch(/1[3-9]\d{9}/);
    },
  },
  'POST /api/import/staff': { guard: 'principal', probe: importProbe('staff', STAFF) },
  'POST /api/import/roster': { guard: 'principal', probe: importProbe('roster', ROSTER) },
  'GET /api/import/templates/:kind.xlsx': { guard: 'principal', probe: get('/api/import/templates/roster.xlsx', onlyFor(['token', 'county', 'principal'])) },
  'GET /api/import/jobs/:id': {
    guard: 'principal',
    // The job was started with the token: the county sees it, a principal does not (it is not theirs).
    probe: async (tt, c) => {
      const res = await send(c, tt.http.get(`/api/import/jobs/${jobId}`));
      onlyFor(['token', 'county', 'principal'], () => expect([c.who, res.status]).toEqual([c.who, c.who === 'principal' ? 404 : 200]))(res, c);
    },
  },
  'GET /api/contact-cards': {
    guard: 'staff',
    probe: get('/api/contact-cards', signedIn((res, c) => expect([c.who, sorted(res.body.map((x: { child: string }) => x.child))]).toEqual([c.who, names(c.who)]))),
  },
  'GET /api/contact-cards.pdf': {
    guard: 'staff',
    // Every caller with access sees at least one child: a PDF with exactly their children's cards (and codes).
    probe: async (tt, c) => {
      const res = await send(c, tt.http.get('/api/contact-cards.pdf').buffer(true).parse(binary));
      const all = await tt.cards();
      signedIn(() => {
        expect([c.who, res.status, res.headers['content-type']]).toEqual([c.who, 200, 'application/pdf']);
        const text = pdfText(res.body);
        expect([c.who, ALL.filter((n) => text.includes(n)).sort()]).toEqual([c.who, names(c.who)]);
        const codes = (sees: boolean) => all.filter((x) => names(c.who).includes(x.child) === sees).flatMap((x) => x.codes.map((m) => m.code));
        expect([c.who, codes(true).filter((code) => !text.includes(code))]).toEqual([c.who, []]);
        expect([c.who, codes(false).filter((code) => text.includes(code))]).toEqual([c.who, []]);
        expect(text).not.toMatch(/1[3-9]\d{9}/);
      })(res, c);
    },
  },
  'POST /api/wecom/school-sync': {
    guard: 'county',
    probe: async (tt, c) => {
      // Mounted only with the 学校通知 app; here on a second HTTP app over the same running bot.
      const http = createHttpApp(tt.app.context, undefined, [[WECOM_API_PATH, wecomRoutes({ schoolSync: async () => ({ dryRun: true } as never) })]]);
      const res = await send(c, request(http).post('/api/wecom/school-sync?dryRun=1'));
      onlyFor(['token', 'county'])(res, c);
    },
  },
};

/** "METHOD /mount/path" → its guard level, for every route of every /api router. */
function routesOf(list: Array<[string, Router]>): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const [mount, router] of list) {
    for (const layer of router.stack as Array<{ route?: { path: string; methods: Record<string, boolean>; stack: Array<{ handle: Partial<GuardHandler> }> } }>) {
      if (!layer.route) continue;
      const level = layer.route.stack.map((l) => l.handle.accessLevel).find(Boolean);
      for (const m of Object.keys(layer.route.methods)) out.set(`${m.toUpperCase()} ${(mount + layer.route.path).replace(/\/$/, '') || '/'}`, level);
    }
  }
  return out;
}

beforeAll(async () => {
  t = await startTestApp();
  const token = { Authorization: `Bearer ${ADMIN_TOKEN}` };
  for (const [kind, csv] of [['staff', STAFF], ['roster', ROSTER]] as const) {
    const res = await t.importCsv(kind, csv);
    if (res.status !== 200 || res.body.errors?.length) throw new Error(JSON.stringify(res.body));
  }
  for (const c of await Child.find({}).lean()) ids[c.name] = String(c._id);
  const orgId = t.app.context.orgId;
  // The county's own staff member (教育局): a row of the staff list without a school of their own.
  const anySchool = await School.findOne({ orgId }).lean();
  await Staff.create({ orgId, schoolId: anySchool!._id, name: '钱科长', wecomUserId: 'qian', role: 'county', maxChildren: 0 });

  // Two cases: one for 陈小军 (li's, 阳光 三年级2班) and one for 赵小花 (希望小学). (The clock stays at the import's
  // time: the cadence board counts pairings from then on.)
  for (const [address, child] of [['chendad', '陈小军'], ['zhaodad', '赵小花']]) {
    await t.say(address, await t.code(child, 'father'));
    await t.say(address, '孩子最近发烧了，咳嗽');
  }
  const now = t.app.context.clock.now();
  const session = async (userid: string) => {
    const s = await openSession(orgId, userid, 'chat', now);
    return { Cookie: `liushou_session=${s.token}`, 'X-CSRF-Token': s.csrf };
  };
  const headers: Record<Who, Record<string, string>> = {
    token, county: await session('qian'), principal: await session('sun'), head: await session('zhang'), teacher: await session('li'),
    otherTeacher: await session('zhao'), parent: await session('chendad'), stranger: await session('nobody-knows-me'), nobody: {},
  };
  for (const who of WHO) callers[who] = { who, headers: headers[who] };

  const job = await t.http.post('/api/import/roster?dryRun=1&background=1').set(token).set('Content-Type', 'text/csv').send(ROSTER);
  jobId = job.body.jobId;
  // Each teacher has read something: the audit log has entries of both schools.
  for (const who of ['teacher', 'otherTeacher'] as const) await send(callers[who], t.http.get('/api/children'));
}, 120_000);
afterAll(async () => { await t?.stop(); });

it('every /api route has a guard and a row in the scope matrix (a new route without a scope decision fails here)', () => {
  const routes = routesOf([...apiRouters(t.app.context), [WECOM_API_PATH, wecomRoutes({ schoolSync: async () => ({} as never) })]]);
  expect([...routes.keys()].sort()).toEqual(Object.keys(MATRIX).sort());
  for (const [route, level] of routes) expect([route, level]).toEqual([route, MATRIX[route].guard]);
});

describe.each(Object.keys(MATRIX))('%s', (route) => {
  it.each(WHO)('as %s', async (who) => {
    await MATRIX[route].probe(t, callers[who]);
  });
});
