/**
 * Recordings through the simulator (DESIGN.md §4 "Recordings"): whoever is in voice style gets `audio: {url,
 * seconds}` with each message, GET url answers the AMR-NB file; text style gets none; a synthesis failure still
 * delivers the text. The grandmother 王奶奶 (68, 不识字) of the fixture is in voice style from her binding on.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Speech } from '../src/speech';
import { checkAmr } from './helpers/amr';
import { SimReply, startWithSchool, TestApp } from './helpers/testApp';

describe('recordings for voice style (espeak)', () => {
  let t: TestApp;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'speech-sim-'));
    t = await startWithSchool({ SPEECH_PROVIDER: 'espeak', DATA_DIR: dataDir });
    // A weekday morning in Shanghai: pushes are not held for quiet hours.
    await t.setClock('2026-12-01T02:00:00Z');
  });
  afterAll(async () => {
    await t?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** GETs a message's recording and checks it is the AMR-NB file its `seconds` says. */
  async function fetchAudio(m: SimReply): Promise<void> {
    expect(m.audio?.url).toMatch(/^\/media\/speech\/[0-9a-f]{64}\.amr$/);
    const res = await t.http.get(m.audio!.url).buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^audio\/amr/);
    const file = path.join(dataDir, 'fetched.amr');
    fs.writeFileSync(file, res.body as Buffer);
    expect(checkAmr(file).seconds).toBeCloseTo(m.audio!.seconds, 5);
  }

  it('a grandmother who binds with her code hears every reply: audio in the replies and her inbox', async () => {
    const replies = await t.sayFull('wang-grandma', await t.code('王小明', 'guardian'));
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.map((r) => r.text).join()).toContain('绑定好了');
    for (const r of replies) {
      expect(r.style).toBe('voice');
      await fetchAudio(r);
    }
    const next = await t.sayFull('wang-grandma', '老师是谁');
    expect(next.length).toBeGreaterThan(0);
    for (const r of next) await fetchAudio(r);
    const inbox = await t.inbox('wang-grandma');
    expect(inbox.length).toBe(replies.length + next.length);
    for (const m of inbox) expect(m.audio).toEqual(expect.objectContaining({ url: expect.any(String), seconds: expect.any(Number) }));
    expect(inbox.map((m) => m.audio!.url)).toEqual([...replies, ...next].map((r) => r.audio!.url));
  });

  it('a push to her carries one too: the teacher\'s answer to her concern (the teacher and the room get text)', async () => {
    const before = (await t.inbox('wang-grandma')).length;
    const raised = await t.sayFull('wang-grandma', '孩子咳嗽两天了');
    for (const r of raised) await fetchAudio(r);
    const n = /编号(\d+)|#(\d+)/.exec(raised.map((r) => r.text).join())!;
    expect(n).not.toBeNull();
    const answer = await t.sayFull('zhang', `#${n[1] ?? n[2]} 明天带他去卫生院看看`);
    for (const r of answer) expect(r.audio).toBeUndefined();
    for (const m of await t.inbox('teachers')) expect(m.audio).toBeUndefined();
    const pushed = (await t.inbox('wang-grandma')).slice(before + raised.length);
    expect(pushed.map((m) => m.text).join()).toContain('卫生院');
    for (const m of pushed) await fetchAudio(m);
  });

  it('a parent in text style gets none, until they write 语音模式', async () => {
    const bound = await t.sayFull('wang-dad', await t.code('王小明', 'father'));
    expect(bound.map((r) => r.text).join()).toContain('绑定成功');
    const asked = await t.sayFull('wang-dad', '老师是谁');
    for (const r of [...bound, ...asked]) {
      expect(r.style).toBe('text');
      expect(r.audio).toBeUndefined();
    }
    const switched = await t.sayFull('wang-dad', '语音模式');
    expect(switched.length).toBeGreaterThan(0);
    for (const r of switched) {
      expect(r.style).toBe('voice'); // the confirmation comes in her new style already
      await fetchAudio(r);
    }
    const after = await t.sayFull('wang-dad', '老师是谁');
    expect(after.length).toBeGreaterThan(0);
    for (const r of after) {
      expect(r.style).toBe('voice');
      await fetchAudio(r);
    }
    expect((await t.inbox('wang-dad')).filter((m) => m.audio)).toHaveLength(switched.length + after.length);
  });

  it('serves only recordings that exist', async () => {
    expect((await t.http.get(`/media/speech/${'0'.repeat(64)}.amr`)).status).toBe(404);
    expect((await t.http.get('/media/speech/..%2F..%2Fpackage.json')).status).toBe(404);
    expect((await t.http.get('/media/speech/abc.amr')).status).toBe(404);
  });
});

describe('a synthesis failure', () => {
  let t: TestApp;
  const calls: string[] = [];
  /** A provider that always fails, as a broken espeak-ng or an unreachable Tencent Cloud would. */
  const failing: Speech = {
    provider: 'broken',
    synthesize: async () => { throw new Error('synthesis broke'); },
    recording: async (text: string) => { calls.push(text); throw new Error('synthesis broke'); },
    fileOf: () => undefined,
  };
  beforeAll(async () => { t = await startWithSchool({}, { speech: failing }); });
  afterAll(async () => { await t?.stop(); });

  it('never loses the message: the text goes alone', async () => {
    const replies = await t.sayFull('wang-grandma', await t.code('王小明', 'guardian'));
    expect(calls.length).toBeGreaterThan(0); // synthesis was tried for her voice-style replies…
    expect(replies.map((r) => r.text).join()).toContain('绑定好了'); // …and the text still arrived
    for (const r of replies) {
      expect(r.style).toBe('voice');
      expect(r.audio).toBeUndefined();
    }
    expect(await t.inbox('wang-grandma')).toHaveLength(replies.length);
  });
});
