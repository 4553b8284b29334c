/**
 * Issue 12, recognition in: a family member's voice message is transcribed (Tencent 一句话识别, a fake on
 * 127.0.0.1) and understood like typed text — menu digits said aloud and near-homophones (回忆/回一), questions,
 * concern words — while what reports something goes to the teacher with the recording and its transcript. With
 * recognition off or failing, a voice message goes on as a recording, as before.
 */
import { understandSpoken, spokenDigits } from '../src/handlers/spoken';
import { FakeTencentAsr } from './helpers/fakeTencentAsr';
import { ADMIN_TOKEN, SimReply, startWithSchool, TestApp } from './helpers/testApp';

describe('what a transcript means (toneless pinyin)', () => {
  it.each([
    ['一', '1'], ['一。', '1'], ['回忆', '1'], ['回一', '1'], ['回复二', '2'], ['我选二', '2'], ['按三', '3'], ['四', '4'],
    ['幺三五七二九', '135729'], ['1', '1'], ['回复1', '1'], ['零', '0'],
  ])('digits: %s → %s', (said, digits) => {
    expect(spokenDigits(said)).toBe(digits);
    expect(understandSpoken(said)).toBe(digits);
  });

  it.each(['吧', '爸爸', '是', '衣服', '一会儿再说', '好的'])('not digits: %s', (said) => {
    expect(spokenDigits(said)).toBeUndefined();
  });

  it.each([
    ['孩子发骚了。', '孩子发烧了'], // sh/s folded
    ['我想问问孩子的进况', '我想问问孩子的近况'],
    ['孩子最近怎么样？', '孩子最近怎么样'],
    ['语音模试。', '语音模式'],
    ['他老是可嗽', '他老是咳嗽'],
    ['孩子一直哭', '孩子一直哭'], // a single character is never rewritten
  ])('words: %s → %s', (said, meant) => {
    expect(understandSpoken(said)).toBe(meant);
  });

  it("the org's own concern words count too", () => {
    expect(understandSpoken('孩子玩手机玩到半夜', [])).toBe('孩子玩手机玩到半夜');
    expect(understandSpoken('孩子玩首鸡玩到半夜', ['玩手机'])).toBe('孩子玩手机玩到半夜');
  });
});

interface Case { number: number; category: string; urgency: string; messages: Array<{ direction: string; text?: string; voice: boolean }> }

async function cases(t: TestApp): Promise<Case[]> {
  const res = await t.http.get('/api/concerns?status=all').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  expect(res.status).toBe(200);
  return res.body;
}

describe('voice messages through the simulator with recognition on', () => {
  let t: TestApp;
  let asr: FakeTencentAsr;
  let seq = 0;
  /** A voice message whose recording the fake hears as `heard`. */
  const speak = (from: string, heard: string): Promise<SimReply[]> => {
    const data = asr.recording(heard);
    return t.sayFull(from, '', { voice: `media-${++seq}`, voiceData: data.toString('base64') });
  };

  beforeAll(async () => {
    asr = await FakeTencentAsr.start();
    t = await startWithSchool({
      SPEECH_RECOGNITION: 'tencent', SPEECH_ASR_ENDPOINT: asr.endpoint, TENCENTCLOUD_SECRET_ID: 'AKIDtest', TENCENTCLOUD_SECRET_KEY: 'secret',
    });
    await t.setClock('2026-11-03T10:00:00+08:00');
    await t.say('gm', await t.code('王小明', 'guardian'));
    await t.say('gm', await t.code('王小华', 'guardian'));
    await t.say('lidad', await t.code('李小红', 'father'));
  });
  afterAll(async () => {
    await t.stop();
    await asr.stop();
  });
  beforeEach(() => { asr.failWith = undefined; });

  it('asks SentenceRecognition with the AMR recording, signed, on the 8 kHz Mandarin engine', async () => {
    const before = asr.calls.length;
    await speak('lidad', '回忆');
    const call = asr.calls[before]!;
    expect(call.action).toBe('SentenceRecognition');
    expect(call.auth).toMatch(/^TC3-HMAC-SHA256 Credential=AKIDtest\//);
    expect(call.body).toMatchObject({ EngSerViceType: '8k_zh', SourceType: 1, VoiceFormat: 'amr' });
    expect(Buffer.from(call.body.Data!, 'base64').subarray(0, 6).toString('latin1')).toBe('#!AMR\n');
  });

  it('"回忆" said for menu 1 gets the same answer as typing 1, and no case is opened', async () => {
    const casesBefore = (await cases(t)).length;
    const spoken = await speak('lidad', '回忆。');
    const typed = await t.sayFull('lidad', '1');
    expect(spoken.map((r) => r.text)).toEqual(typed.map((r) => r.text));
    expect(spoken[0]!.text).not.toMatch(/编号|#\d/);
    expect((await cases(t)).length).toBe(casesBefore);
  });

  it('a question said aloud (近况 heard as 进况) is answered like the typed question', async () => {
    const spoken = await speak('lidad', '我想问问孩子的进况');
    const typed = await t.sayFull('lidad', '我想问问孩子的近况');
    expect(spoken.map((r) => r.text)).toEqual(typed.map((r) => r.text));
  });

  it('a grandmother with two grandchildren picks one by saying "二", then "一"', async () => {
    const ask = await speak('gm', '二');
    expect(ask[0]!.style).toBe('voice');
    expect(ask[0]!.text).toContain('王小明');
    expect(ask[0]!.text).toContain('王小华');
    const answer = await speak('gm', '一');
    // The answer to menu 2 (who the teacher is) for the first child: 张丽 pairs 王小明.
    expect(answer[0]!.text).toContain('张丽');
    expect((await cases(t)).filter((c) => c.messages.some((m) => m.voice))).toEqual([]);
  });

  it('concern words (发烧 heard as 发骚) open a health case; the teacher gets the recording with what was heard', async () => {
    const teacherBefore = (await t.inbox('li')).length;
    const reply = await speak('lidad', '孩子发骚了，一直咳嗽');
    expect(reply[0]!.text).toContain('李伟老师');
    const c = (await cases(t)).find((x) => x.messages.some((m) => m.text?.includes('孩子发烧了')));
    expect(c).toMatchObject({ category: 'health', urgency: 'normal' });
    expect(c!.messages[0]).toMatchObject({ direction: 'family', voice: true, text: '孩子发烧了，一直咳嗽' });
    const toTeacher = (await t.inbox('li')).slice(teacherBefore);
    expect(toTeacher).toHaveLength(1);
    expect(toTeacher[0]!.text).toContain('（语音，识别为）孩子发烧了，一直咳嗽');
    expect(toTeacher[0]!.voice).toMatch(/^media-\d+$/);
  });

  it('urgent words said aloud start the emergency ladder like typed ones', async () => {
    await t.say('gm', '文字模式'); // readable assertions; style does not change what is understood
    const reply = await speak('gm', '王小华找不着了');
    expect(reply[0]!.text).toMatch(/紧急|马上/);
    const c = (await cases(t)).find((x) => x.messages.some((m) => m.text === '王小华找不着了'));
    expect(c).toMatchObject({ urgency: 'urgent', category: 'safety' });
  });

  it('what is not understood goes to the teacher as a recording, with the words heard', async () => {
    const teacherBefore = (await t.inbox('li')).length;
    await speak('lidad', '下个月我回来一趟');
    const toTeacher = (await t.inbox('li')).slice(teacherBefore);
    expect(toTeacher.map((m) => m.text).join('\n')).toContain('下个月我回来一趟');
    expect(toTeacher.every((m) => !!m.voice)).toBe(true);
  });

  it('a recognition failure loses nothing: the recording goes to the teacher as before', async () => {
    asr.failWith = 'InternalError';
    const teacherBefore = (await t.inbox('li')).length;
    const reply = await speak('lidad', '回忆');
    expect(reply).toHaveLength(1);
    expect(reply[0]!.text).not.toMatch(/出错|错误/);
    const toTeacher = (await t.inbox('li')).slice(teacherBefore);
    expect(toTeacher).toHaveLength(1);
    expect(toTeacher[0]!.text).toContain('（语音消息）');
    expect(toTeacher[0]!.voice).toMatch(/^media-\d+$/);
  });

  it('staff voice messages are not sent to recognition', async () => {
    const before = asr.calls.length;
    await speak('zhang', '你好');
    expect(asr.calls.length).toBe(before);
  });
});

describe('recognition off (the default)', () => {
  it('sends nothing to a recognizer and forwards the recording as a concern', async () => {
    const asr = await FakeTencentAsr.start();
    const t = await startWithSchool({ SPEECH_ASR_ENDPOINT: asr.endpoint, TENCENTCLOUD_SECRET_ID: 'AKIDtest', TENCENTCLOUD_SECRET_KEY: 'secret' });
    try {
      await t.setClock('2026-11-03T10:00:00+08:00');
      await t.say('lidad', await t.code('李小红', 'father'));
      const data = asr.recording('回忆');
      const reply = await t.sayFull('lidad', '', { voice: 'media-off-1', voiceData: data.toString('base64') });
      expect(reply[0]!.text).toContain('李伟老师');
      expect(asr.calls).toHaveLength(0);
      expect((await t.inbox('li')).filter((m) => m.voice === 'media-off-1')).toHaveLength(1);
    } finally {
      await t.stop();
      await asr.stop();
    }
  });
});
