/**
 * The scenario tests' WeCom transport (TEST_TRANSPORT=wecom, see testApp.ts): the same TestApp operations as the
 * simulator's, played over real WeCom callbacks against the fake WeCom server (test/fakeWecom), with every WeCom
 * adapter configured — `wecom-app` (staff 1:1), `wecom-kf` (families through 微信客服), `wecom-school` (学校通知)
 * and `wecom-aibot` (teachers' groups, callback mode with a 群机器人 webhook per room).
 *
 * In: `say(from, text, extra)` — a staff member (Staff.wecomUserId) writes 1:1 through the app callback, or in a
 * room (`extra.room`) through the AI bot's callback with a fresh response_url; anyone else is a WeChat user writing
 * to the kf account (external_userid = the address): the message waits at the fake for kf/sync_msg and the kf
 * callback says "pull". `extra.voice` = a voice message (its media id becomes known to the fake, as if the user
 * had recorded it), `extra.quotedId` = a quote of the message with that id (rooms only: WeCom's app and kf carry
 * no quotes), `extra.id` = the platform msgid (a repeat is delivered again the way WeCom would: the app and AI-bot
 * callback re-sent, the kf message served again by sync_msg).
 * Then it waits for the channel to be idle, links parents for 学校通知 (below), delivers what is due and returns
 * the replies: the Outbox rows with `inReplyTo` = the msgid, as the fake received them.
 *
 * Out: every WeCom channel's `send` is tapped; what the fake servers recorded during that send (kf/send_msg,
 * message/send, externalcontact/message/send, aibot response_url and webhook posts) becomes one inbox message
 * for the outbox row's address (or room), shaped like the simulator's: id = the outbox's platformMsgId (so a quote
 * finds it), text as received (markdown decoded, parts joined), voice = the media_id received, mentions = the
 * webhook's mentioned_list or the markdown's <@userid> tags, style and time from the outbox row and the clock.
 * A part the fake did not take (a repeated msgid, a notice WeCom dropped as a duplicate) is not in any inbox.
 *
 * 学校通知 needs each family member's parent_userid: before each delivery the transport gives every bound member
 * without one `p_<address>` and puts it into the fake school's 家校通讯录, so that pushes outside the kf window
 * (48 h, 5 messages) reach the family the way a school that ran the directory sync would.
 *
 * Time: the WeCom channels and the fakes run on the app's clock (the one /sim/clock moves). Per-member pacing
 * (30 a minute) and the webhooks' 20 a minute are off: a scenario compresses days into seconds, and those limits
 * are about real minutes (they have their own tests).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { RunningApp, ChannelPlugin } from '../../src/app';
import type { OutboundMessage, SendResult } from '../../src/bot/channel';
import { AIBOT_CALLBACK_PATH, APP_CALLBACK_PATH, KF_CALLBACK_PATH, wecomPlugins } from '../../src/bot/wecom';
import type { WeComAibotChannel } from '../../src/bot/wecom/aibotChannel';
import type { WeComAppChannel } from '../../src/bot/wecom/appChannel';
import { buildXml } from '../../src/bot/wecom/callbackCrypto';
import { TokenCache } from '../../src/bot/wecom/client';
import type { WeComKfChannel } from '../../src/bot/wecom/kfChannel';
import { Child } from '../../src/models/child';
import { FamilyMember } from '../../src/models/familyMember';
import { messages } from './messages';
import { Staff } from '../../src/models/staff';
import { aibotText, FakeAibot, newAibotMsgId, signedAibotCallback } from '../fakeWecom/aibot';
import { FakeKf, FakeKfMessage } from '../fakeWecom/kf';
import { FakeSchool } from '../fakeWecom/school';
import { appTextXml, FakeWeCom, newMsgId, randomAesKey, signedCallback } from '../fakeWecom/server';

/** The simulator's message shape (SimReply in testApp.ts). */
export interface TransportMessage { id: string; to: string; room?: string; text: string; style: string; at: string; voice?: string; mentions?: string[] }

const CORP = 'wwscenariocorp';
const APP = { secret: 'scenario-app-secret', agentId: 1000002 };
const KF_SECRET = 'scenario-kf-secret';
const SCHOOL = { secret: 'scenario-school-secret', agentId: 1000005 };
const OPEN_KFID = 'wkSCENARIOkf01';
/** The teachers' rooms of the fixtures (教师群 in STAFF_CSV) and their group chats. */
const ROOMS: Record<string, string> = { teachers: 'wrkSCENARIOteachers', 'hope-teachers': 'wrkSCENARIOhope' };
/** How a WeCom client writes the @-mention of the bot in a group (the name, then U+2005). */
const AT_BOT = '@教师助手\u2005';
/** A recording the user "made" for a voice message: AMR-looking bytes, different for each media id. */
const recordingOf = (mediaId: string) => Buffer.concat([Buffer.from('#!AMR\n'), Buffer.from(mediaId), crypto.randomBytes(200)]);
const digest = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

interface Entry extends TransportMessage { seq: number; key: string }

/** The fake servers' record counts before a send: what is past them afterwards came from that send. */
interface Mark { app: number; kf: number; school: number; bot: number }

/** An AI-bot markdown reply as the group sees it: our zero-width guards gone, trailing <@userid> tags as mentions. */
function fromMarkdown(content: string): { text: string; mentions: string[] } {
  const lines = content.split('\n');
  let mentions: string[] = [];
  const last = lines[lines.length - 1] ?? '';
  if (lines.length > 1 && /^(<@[^>]+>\s*)+$/.test(last)) {
    mentions = [...last.matchAll(/<@([^>]+)>/g)].map((m) => m[1]);
    lines.pop();
  }
  return { text: lines.map((l) => l.replace(/^\u200b/, '')).join('\n'), mentions };
}

export class WeComTransport {
  readonly name = 'wecom';
  readonly plugins: ChannelPlugin[];
  private app?: RunningApp;
  private readonly entries: Entry[] = [];
  private seq = 0;
  /** kf messages by msgid, to serve a repeat again. */
  private readonly kfSent = new Map<string, FakeKfMessage>();
  /** The recordings users made (by content) → their media id: a recording uploaded again under a new id is still it. */
  private readonly recordings = new Map<string, string>();
  private readonly keys = {
    app: { token: 'ScenarioApp1', encodingAESKey: randomAesKey(), receiveId: CORP },
    kf: { token: 'ScenarioKf1', encodingAESKey: randomAesKey(), receiveId: CORP },
    aibot: { token: 'ScenarioBot1', encodingAESKey: randomAesKey(), receiveId: '' },
  };

  private constructor(
    readonly fake: FakeWeCom, readonly kf: FakeKf, readonly school: FakeSchool, readonly bot: FakeAibot, private readonly dataDir: string,
  ) {
    const webhooks = Object.keys(ROOMS).map((room) => `${room}=${bot.webhookUrl(`scenario-${room}-hook`)}`);
    const env = {
      WECOM_CORP_ID: CORP, WECOM_API_BASE: fake.url,
      WECOM_APP_AGENT_ID: String(APP.agentId), WECOM_APP_SECRET: APP.secret, WECOM_APP_TOKEN: this.keys.app.token, WECOM_APP_AES_KEY: this.keys.app.encodingAESKey,
      WECOM_KF_SECRET: KF_SECRET, WECOM_KF_TOKEN: this.keys.kf.token, WECOM_KF_AES_KEY: this.keys.kf.encodingAESKey, WECOM_KF_OPEN_KFID: OPEN_KFID,
      WECOM_SCHOOL_AGENT_ID: String(SCHOOL.agentId), WECOM_SCHOOL_SECRET: SCHOOL.secret,
      WECOM_AIBOT_TOKEN: this.keys.aibot.token, WECOM_AIBOT_AES_KEY: this.keys.aibot.encodingAESKey,
      WECOM_AIBOT_ROOMS: Object.entries(ROOMS).map(([room, chat]) => `${room}=${chat}`).join(','),
      WECOM_AIBOT_ROOM_WEBHOOKS: webhooks.join(','),
    };
    this.plugins = wecomPlugins(env, {
      orgId: 'default', clock: { now: () => this.clockNow() }, dataDir, pacing: false,
      client: { backoffMs: 5, tokens: new TokenCache() },
    });
    for (const p of this.plugins) this.tap(p.channel);
  }

  /** Starts the fake servers (kf, 家校, AI bot) and builds the plugins; `attach` the running app before use. */
  static async start(): Promise<WeComTransport> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wecom-scenario-'));
    const fake = await FakeWeCom.start({ corpId: CORP, apps: [APP, { secret: KF_SECRET }, SCHOOL] });
    const bot = await FakeAibot.start();
    let transport: WeComTransport | undefined;
    const now = () => transport?.clockNow().getTime() ?? Date.now();
    const kf = new FakeKf(fake, { openKfId: OPEN_KFID, corpId: CORP, now });
    const school = new FakeSchool(fake, { agentId: SCHOOL.agentId, departments: [], students: [], now });
    bot.webhookPerMinute = Infinity;
    transport = new WeComTransport(fake, kf, school, bot, dataDir);
    return transport;
  }

  attach(app: RunningApp): void {
    this.app = app;
  }

  async stop(): Promise<void> {
    await Promise.all([this.fake.stop(), this.bot.stop()]);
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  private get running(): RunningApp {
    if (!this.app) throw new Error('WeComTransport: attach the app first');
    return this.app;
  }

  private clockNow(): Date {
    return this.app ? this.app.context.clock.now() : new Date();
  }

  private channel<T>(name: string): T {
    const p = this.plugins.find((x) => x.channel.name === name);
    if (!p) throw new Error(`WeComTransport: no ${name} channel`);
    return p.channel as T;
  }

  // ---- In ----

  async sayFull(from: string, text: string, extra: Record<string, unknown> = {}): Promise<TransportMessage[]> {
    const { room, voice, quotedId, id } = extra as { room?: string; voice?: string; quotedId?: string; id?: string };
    const orgId = this.running.context.orgId;
    if (voice && !this.fake.media.has(voice)) {
      const data = recordingOf(voice);
      this.fake.media.set(voice, { type: 'voice', data, contentType: 'audio/amr', filename: `${voice}.amr` });
      this.recordings.set(digest(data), voice);
    }
    const staff = await Staff.exists({ orgId, wecomUserId: from });
    let platformId: string;
    let channel: string;
    if (room) {
      if (voice) throw new Error('WeComTransport: the AI bot hears no voice messages in a group');
      [platformId, channel] = [await this.inRoom(from, room, text, quotedId, id), 'wecom-aibot'];
    } else if (quotedId) {
      throw new Error('WeComTransport: a quote outside a group cannot travel over WeCom (the app and 微信客服 carry none); guard it with onSimulatorOnly');
    } else if (staff) {
      [platformId, channel] = [await this.toApp(from, text, voice, id), 'wecom-app'];
    } else {
      [platformId, channel] = [await this.toKf(from, text, voice, id), 'wecom-kf'];
    }
    await this.deliver();
    await this.expectNothingThroughTheSimulator();
    const keys = new Set((await messages({ orgId, inReplyTo: platformId, channel })).map((d) => d.key));
    return this.sorted(this.entries.filter((e) => keys.has(e.key)));
  }

  /** A staff member's 1:1 message to the app: the encrypted, signed callback WeCom would POST. */
  private async toApp(from: string, text: string, voice: string | undefined, id: string | undefined): Promise<string> {
    const msgId = id ?? newMsgId();
    const createTime = this.seconds();
    const xml = voice
      ? buildXml({
        ToUserName: CORP, FromUserName: from, CreateTime: createTime, MsgType: 'voice', MediaId: voice, Format: 'amr',
        ...(text ? { Recognition: text } : {}), MsgId: msgId, AgentID: APP.agentId,
      })
      : appTextXml({ corpId: CORP, agentId: APP.agentId, from, content: text, msgId, createTime });
    const cb = signedCallback(APP_CALLBACK_PATH, this.keys.app, xml, { agentId: APP.agentId, timestamp: createTime });
    await this.post(cb.url, cb.body, 'text/xml');
    await this.channel<WeComAppChannel>('wecom-app').idle();
    return msgId;
  }

  /** A WeChat user's message to the kf account: queued for sync_msg, then the "pull" callback. */
  private async toKf(from: string, text: string, voice: string | undefined, id: string | undefined): Promise<string> {
    const again = id ? this.kfSent.get(id) : undefined;
    if (again) {
      this.kf.messages.push(again); // WeCom serving the same message again
    } else {
      const m = this.kf.customerSays(from, voice ? { voice } : text, id ? { msgid: id } : {});
      this.kfSent.set(m.msgid, m);
      id = m.msgid;
    }
    const cb = signedCallback(KF_CALLBACK_PATH, this.keys.kf, this.kf.callbackXml(this.seconds()), { timestamp: this.seconds() });
    await this.post(cb.url, cb.body, 'text/xml');
    await this.channel<WeComKfChannel>('wecom-kf').idle();
    return id!;
  }

  /** A teacher's @-mention of the AI bot in a group (with the quoted post's words when quoting). */
  private async inRoom(from: string, room: string, text: string, quotedId: string | undefined, id: string | undefined): Promise<string> {
    const quoted = quotedId ? this.entries.find((e) => e.id === quotedId) : undefined;
    if (quotedId && !quoted) throw new Error(`WeComTransport: no delivered message has the id ${quotedId}`);
    const responseUrl = this.bot.responseUrl();
    const message = aibotText({
      from, chatid: ROOMS[room] ?? room, content: `${AT_BOT}${text}`, msgid: id ?? newAibotMsgId(), responseUrl,
      ...(quoted ? { quote: { msgtype: 'text' as const, text: { content: quoted.text } } } : {}),
    });
    const cb = signedAibotCallback(AIBOT_CALLBACK_PATH, this.keys.aibot, message, { timestamp: this.seconds() });
    await this.post(cb.url, cb.body, 'application/json');
    await this.channel<WeComAibotChannel>('wecom-aibot').idle();
    return message.msgid as string;
  }

  private async post(url: string, body: string, type: string): Promise<void> {
    const res = await request(this.running.http).post(url).set('Content-Type', type).send(body);
    if (res.status !== 200) throw new Error(`WeComTransport: callback ${url.split('?')[0]} → ${res.status} ${res.text}`);
  }

  private seconds(): number {
    return Math.floor(this.clockNow().getTime() / 1000);
  }

  // ---- Delivery ----

  /** Before /sim/clock's jobs and delivery (testApp.ts) and before each say's delivery. */
  async beforeDelivery(): Promise<void> {
    await this.linkParents();
  }

  private async deliver(): Promise<void> {
    await this.beforeDelivery();
    await this.running.context.delivery.deliverDue();
  }

  /**
   * Every bound family member gets a parent_userid known to the fake 家校通讯录 (`p_<address>`: one per address,
   * so that a parent holding two children is one recipient), as the school sync would have given them.
   */
  private async linkParents(): Promise<void> {
    const orgId = this.running.context.orgId;
    const members = await FamilyMember.find({ orgId, boundAddress: { $exists: true, $ne: null }, wecomParentUserId: { $exists: false } }).lean();
    for (const m of members) {
      const parentUserId = `p_${m.boundAddress}`;
      await FamilyMember.updateOne({ _id: m._id }, { $set: { wecomParentUserId: parentUserId } });
      const studentId = `s_${String(m.childId)}`;
      let student = this.school.students.find((s) => s.student_userid === studentId);
      if (!student) {
        const child = await Child.findById(m.childId, { name: 1 }).lean();
        student = { student_userid: studentId, name: child?.name ?? studentId, department: [], parents: [] };
        this.school.students.push(student);
      }
      if (!student.parents.some((p) => p.parent_userid === parentUserId)) {
        student.parents.push({ parent_userid: parentUserId, relation: m.relation ?? m.role, mobile: m.phone ?? '', is_subscribe: 1 });
      }
    }
  }

  private mark(): Mark {
    return { app: this.fake.calls.length, kf: this.kf.delivered.length, school: this.school.notices.length, bot: this.bot.calls.length };
  }

  /** Wraps a channel's send: what the fakes took meanwhile is one inbox message of the outbox row's address. */
  private tap(channel: ChannelPlugin['channel']): void {
    const send = channel.send.bind(channel);
    channel.send = async (msg: OutboundMessage): Promise<SendResult> => {
      const mark = this.mark();
      const at = this.clockNow();
      let result: SendResult | undefined;
      try {
        result = await send(msg);
        return result;
      } finally {
        this.record(channel.name, msg, result, mark, at);
      }
    };
  }

  private record(route: string, msg: OutboundMessage, result: SendResult | undefined, mark: Mark, at: Date): void {
    const texts: string[] = [];
    let voice: string | undefined;
    let mentions: string[] = [];
    const take = (type: string, body: any, media?: Map<string, { data: Buffer }>) => {
      if (type === 'text') texts.push(String(body?.text?.content ?? ''));
      else if (type === 'voice') voice = this.recordingId(String(body?.voice?.media_id ?? ''), media ?? this.fake.media);
    };
    for (const c of this.fake.calls.slice(mark.app)) if (c.api === 'message/send' && c.errcode === 0) take(c.body.msgtype, c.body);
    for (const d of this.kf.delivered.slice(mark.kf)) take(d.msgtype, d.body);
    for (const n of this.school.notices.slice(mark.school)) take(n.msgtype, n.body);
    for (const c of this.bot.calls.slice(mark.bot)) {
      if (c.errcode !== 0) continue;
      if (c.api === 'aibot/response') {
        const md = fromMarkdown(String(c.body?.markdown?.content ?? ''));
        texts.push(md.text);
        mentions.push(...md.mentions);
      } else if (c.api === 'webhook/send') {
        take(c.body.msgtype, c.body, this.bot.media);
        mentions.push(...((c.body?.text?.mentioned_list as string[] | undefined) ?? []));
      }
    }
    if (!texts.length && voice === undefined) return; // nothing reached anyone
    mentions = [...new Set(mentions)];
    // Long texts went in parts cut at line breaks (or mid-line when a line was too long).
    const text = texts.join('') === msg.text ? msg.text : texts.join('\n');
    const to = msg.room ?? msg.to;
    this.entries.push({
      seq: ++this.seq, key: msg.key, id: result?.platformMsgId ?? `${route}:${msg.key}`, to, ...(msg.room ? { room: msg.room } : {}),
      text, style: msg.style, at: at.toISOString(), ...(voice ? { voice } : {}), ...(mentions.length ? { mentions } : {}),
    });
  }

  /** The media id a user's recording had when they sent it, for a media id it was sent on with (same bytes). */
  private recordingId(mediaId: string, media: Map<string, { data: Buffer }>): string {
    const m = media.get(mediaId);
    return (m && this.recordings.get(digest(m.data))) ?? mediaId;
  }

  // ---- Reading ----

  async inbox(address: string): Promise<TransportMessage[]> {
    await this.expectNothingThroughTheSimulator();
    return this.sorted(this.entries.filter((e) => e.to === address));
  }

  /** Oldest first, as the simulator's inbox (by time, then in the order sent); without the bookkeeping fields. */
  private sorted(list: Entry[]): TransportMessage[] {
    return [...list].sort((a, b) => a.at.localeCompare(b.at) || a.seq - b.seq).map(({ seq: _s, key: _k, ...m }) => m);
  }

  /**
   * In a WeCom run no push may fall through to the simulator channel (the default route): that would be a routing gap.
   * (Answers to messages a test posts to /sim/messages itself are the simulator's own.)
   */
  private async expectNothingThroughTheSimulator(): Promise<void> {
    const leaked = await messages({ orgId: this.running.context.orgId, route: 'simulator', channel: { $ne: 'simulator' } });
    if (leaked.length) {
      throw new Error(`WeComTransport: delivered through the simulator instead of WeCom: ${leaked.map((l) => `${l.room ?? l.to} (${l.key})`).join(', ')}`);
    }
  }
}
