/**
 * A handler that fails: the sender gets "something went wrong" once, and only when they have no answer yet (a
 * reply queued before the failure stands alone). Seen under a database restart: a greeting and then an error for
 * one message.
 */
import crypto from 'node:crypto';
import { Bot } from '../src/bot/bot';
import type { BotContext, Services } from '../src/bot/context';
import { ManualClock } from '../src/clock';
import { loadConfig } from '../src/config';
import { translate } from '../src/locales';
import { createLogger } from '../src/log';
import '../src/models';
import { connectDatabase, disconnectDatabase } from '../src/models/connect';
import { withDatabase } from '../src/models/mongoServer';
import { Outbox } from '../src/models/outbox';

const clock = new ManualClock();
const services: Services = {
  config: loadConfig({ ADMIN_TOKEN: 'test-admin-token-0123456789' }), clock, log: createLogger('silent'), orgId: 'o-err',
  orgName: '示范县', orgLang: 'zh-CN', timeZone: 'Asia/Shanghai', quietHours: '21:30-07:30', publicUrl: 'http://127.0.0.1:3000',
};
const internal = translate('zh-CN', 'text', 'error.internal');
let n = 0;
const say = (bot: Bot, from: string) => bot.receive({
  channel: 'simulator', orgId: 'o-err', from, text: '你好', mentions: [], platformId: `e-${n++}`, at: clock.now(),
} as Parameters<Bot['receive']>[0]);
const textsTo = async (to: string) => (await Outbox.find({ to }).sort({ key: 1 }).lean()).map((o) => o.text);

beforeAll(async () => {
  await connectDatabase(withDatabase(process.env.MONGODB_URI!, `t_botErrors_${crypto.randomBytes(3).toString('hex')}`));
});
afterAll(async () => { await disconnectDatabase(); });

it('a handler that fails before answering: the sender is told something went wrong', async () => {
  const bot = new Bot(services, async () => { throw new Error('database went away'); });
  await say(bot, 'a');
  expect(await textsTo('a')).toEqual([internal]);
});

it('a handler that answered and then failed: the answer stands alone', async () => {
  const bot = new Bot(services, async (ctx: BotContext) => {
    await ctx.replyText('您好！');
    throw new Error('database went away after the reply');
  });
  await say(bot, 'b');
  expect(await textsTo('b')).toEqual(['您好！']);
});
