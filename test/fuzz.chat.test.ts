/**
 * Chat text fuzzing: whatever text arrives — 100k characters, only control characters, only emoji, nothing — the
 * sender gets a clear reply through i18n, the server keeps answering /healthz, and no record is half-written.
 * Bounded: CASES random texts (or TIME_BUDGET_MS, whichever ends first) from a fixed seed, printed on failure;
 * FUZZ_SEED=<n> replays another run.
 */
import crypto from 'node:crypto';
import type { Model } from 'mongoose';
import { MAX_INBOUND_CHARS } from '../src/bot/inbound';
import { translate } from '../src/locales';
import { BindRequest } from '../src/models/bindRequest';
import { Child } from '../src/models/child';
import { Concern } from '../src/models/concern';
import { ContactEvent } from '../src/models/contactEvent';
import { FamilyMember } from '../src/models/familyMember';
import { Identity } from '../src/models/identity';
import { Outbox } from '../src/models/outbox';
import { Pairing } from '../src/models/pairing';
import { ProgressNote } from '../src/models/progressNote';
import { startWithSchool, TestApp } from './helpers/testApp';
import { rng, SEED } from './helpers/fuzz';

const CASES = 150;
const TIME_BUDGET_MS = 90_000;

// Pools without digits, so a random text is never a menu choice that rightly starts a dialog.
const POOLS = [
  Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).filter((c) => !/[\t\n\r]/.test(c)), // C0 controls
  ['\u007f', '\u0085', '\u009b', '\u00ad'],
  ['\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\ufeff'],
  ['😀', '🎉', '👨‍👩‍👧', '❤️', '🇨🇳', '🙏🏽', '\ud83d', '\ude00'], // emoji, and lone surrogates
  ['你', '好', '孩', '子', '老', '师', '？', '。', '，', '　'],
  ['a', 'b', 'Z', ' ', '\n', '\t', '#', '@', '=', '%', '"', '<', '>', '&'],
];

function randomText(r: () => number): string {
  const len = r() < 0.1 ? Math.floor(r() * 6000) : Math.floor(r() * 60);
  const pools = POOLS.filter(() => r() < 0.6);
  const use = pools.length ? pools : [POOLS[Math.floor(r() * POOLS.length)]];
  let s = '';
  for (let i = 0; i < len; i++) {
    const pool = use[Math.floor(r() * use.length)];
    s += pool[Math.floor(r() * pool.length)];
  }
  return s;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const RECORDS: Array<[string, Model<any>]> = [
  ['children', Child], ['members', FamilyMember], ['identities', Identity], ['pairings', Pairing],
  ['concerns', Concern], ['notes', ProgressNote], ['contacts', ContactEvent], ['bindRequests', BindRequest],
];

async function counts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, m] of RECORDS) out[name] = await m.countDocuments({});
  return out;
}

let t: TestApp;
const SENDERS = ['fuzz-stranger', 'zhang', 'fuzz-dad'];

beforeAll(async () => {
  t = await startWithSchool();
  expect((await t.say('fuzz-dad', `绑定 ${await t.code('王小明', 'father')}`))[0]).toContain('王小明');
}, 120_000);
afterAll(async () => { await t.stop(); });

/** Sends `text` as `from` straight to the bot (the simulator API caps text at 4,000 characters itself). */
async function send(from: string, text: string): Promise<string[]> {
  const ctx = t.app.context;
  const platformId = crypto.randomUUID();
  await ctx.bot.receive({ channel: 'simulator', orgId: ctx.orgId, from, text, mentions: [], platformId, at: ctx.clock.now() });
  const replies = (await Outbox.find({ orgId: ctx.orgId, inReplyTo: platformId }).lean()).map((o) => o.text);
  await ctx.delivery.deliverDue();
  return replies;
}

const INTERNAL = [translate('zh-CN', 'text', 'error.internal'), translate('zh-CN', 'voice', 'error.internal'), translate('en', 'text', 'error.internal')];

describe(`chat text fuzz (seed ${SEED})`, () => {
  it.each(SENDERS)('the named cases get their clear answer, from %s', async (from) => {
    const before = await counts();
    const tooLong = translate('zh-CN', 'text', 'inbound.tooLong', { max: MAX_INBOUND_CHARS });
    const empty = translate('zh-CN', 'text', 'inbound.empty');
    for (const big of ['好'.repeat(100_000), 'a'.repeat(100_000), `绑定 ${'A'.repeat(99_990)}`]) expect(await send(from, big)).toEqual([tooLong]);
    for (const nothing of ['', '   \n\t ', '\u0000\u0001\u0007\u001b\u007f', '\u202e\u2066\u200b\ufeff']) expect(await send(from, nothing)).toEqual([empty]);
    // Emoji only: understood as nothing in particular, so the handlers' usual help or menu.
    const emoji = await send(from, '😀🎉👨‍👩‍👧');
    expect(emoji.length).toBeGreaterThan(0);
    for (const r of emoji) expect([tooLong, empty, ...INTERNAL]).not.toContain(r);
    expect(await counts()).toEqual(before);
    expect((await t.http.get('/healthz')).status).toBe(200);
  }, 120_000);

  it(`${CASES} random texts: a reply each, no internal error, nothing written (replay with FUZZ_SEED=${SEED})`, async () => {
    const r = rng(SEED);
    const before = await counts();
    const started = Date.now();
    let ran = 0;
    for (; ran < CASES && Date.now() - started < TIME_BUDGET_MS; ran++) {
      const from = SENDERS[Math.floor(r() * SENDERS.length)];
      const text = randomText(r);
      const replies = await send(from, text);
      const where = `seed ${SEED}, case ${ran}, from ${from}, text ${JSON.stringify(text.slice(0, 80))}`;
      expect({ where, replied: replies.length > 0 }).toEqual({ where, replied: true });
      for (const reply of replies) expect({ where, reply, internal: INTERNAL.includes(reply) || !reply.trim() }).toEqual({ where, reply, internal: false });
      if (ran % 25 === 0) expect((await t.http.get('/healthz')).status).toBe(200);
    }
    expect(ran).toBeGreaterThan(10);
    expect(await counts()).toEqual(before);
    expect((await t.http.get('/healthz')).body).toEqual({ ok: true });
  }, 180_000);
});
