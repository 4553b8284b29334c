/**
 * Starts the whole bot (simulator channel) on this test file's own database on the real server that
 * globalSetup found, and drives it over HTTP the way a person with curl would.
 *
 * Transports: TEST_TRANSPORT=wecom (npm run test:wecom) runs the same scenario files over the WeCom adapters
 * against the fake WeCom server (wecomTransport.ts): say/sayFull/inbox then go through real WeCom callbacks and
 * what the fake received. The simulator channel and its clock stay on either way: setClock is /sim/clock.
 * An assertion that only holds on the simulator is wrapped in `onSimulatorOnly(reason, …)`.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import mongoose from 'mongoose';
import request from 'supertest';
import { startApp, RunningApp, StartOptions } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { withDatabase } from '../../src/models/mongoServer';
import { WeComTransport } from './wecomTransport';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface SimReply { id: string; to: string; room?: string; text: string; style: string; at: string; voice?: string; audio?: { url: string; seconds: number }; mentions?: string[] }

type TransportName = 'simulator' | 'wecom';

/** The transport the scenario files run on: TEST_TRANSPORT (default the simulator). */
const TRANSPORT: TransportName = (() => {
  const v = process.env.TEST_TRANSPORT || 'simulator';
  if (v !== 'simulator' && v !== 'wecom') throw new Error(`TEST_TRANSPORT must be simulator or wecom, not ${v}`);
  return v;
})();

/**
 * Runs `check` on the simulator only: for an assertion that cannot hold over WeCom by the platform's nature (say
 * why in `reason`). `onWeCom`, if given, checks what WeCom does instead.
 */
export async function onSimulatorOnly(reason: string, check: () => unknown, onWeCom?: () => unknown): Promise<void> {
  if (!reason) throw new Error('onSimulatorOnly: give the reason');
  if (TRANSPORT === 'simulator') await check();
  else if (onWeCom) await onWeCom();
}

/** How TestApp talks to the bot: the simulator's HTTP API, or WeCom callbacks against the fake server. */
export interface Transport {
  readonly name: TransportName;
  sayFull(from: string, text: string, extra: Record<string, unknown>): Promise<SimReply[]>;
  inbox(address: string): Promise<SimReply[]>;
  /** Runs before /sim/clock's jobs and delivery. */
  beforeDelivery?(): Promise<void>;
  stop?(): Promise<void>;
}

class SimulatorTransport implements Transport {
  readonly name = 'simulator';
  constructor(private readonly app: RunningApp) {}

  async sayFull(from: string, text: string, extra: Record<string, unknown>): Promise<SimReply[]> {
    const res = await request(this.app.http).post('/sim/messages').send({ from, text, ...extra });
    if (res.status !== 200) throw new Error(`POST /sim/messages → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.replies;
  }

  async inbox(address: string): Promise<SimReply[]> {
    const res = await request(this.app.http).get(`/sim/inbox/${encodeURIComponent(address)}`);
    return res.body.messages;
  }
}

export class TestApp {
  readonly transport: Transport;

  constructor(readonly app: RunningApp, transport?: Transport) {
    this.transport = transport ?? new SimulatorTransport(app);
  }

  get http() {
    return request(this.app.http);
  }

  async say(from: string, text: string, extra: Record<string, unknown> = {}): Promise<string[]> {
    return (await this.sayFull(from, text, extra)).map((r) => r.text);
  }

  async sayFull(from: string, text: string, extra: Record<string, unknown> = {}): Promise<SimReply[]> {
    return this.transport.sayFull(from, text, extra);
  }

  async inbox(address: string): Promise<SimReply[]> {
    return this.transport.inbox(address);
  }

  async setClock(iso: string): Promise<void> {
    await this.transport.beforeDelivery?.();
    const res = await this.http.post('/sim/clock').send({ now: iso });
    if (res.status !== 200) throw new Error(`POST /sim/clock → ${res.status} ${JSON.stringify(res.body)}`);
  }

  async importCsv(kind: 'staff' | 'roster', csv: string, query = ''): Promise<request.Response> {
    return this.http.post(`/api/import/${kind}${query}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`)
      .set('Content-Type', 'text/csv').send(csv);
  }

  async cards(): Promise<Array<{ child: string; codes: Array<{ for: string; name: string; code: string }> }>> {
    const res = await this.http.get('/api/contact-cards').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    return res.body;
  }

  async code(child: string, role: 'father' | 'mother' | 'guardian'): Promise<string> {
    const card = (await this.cards()).find((c) => c.child === child);
    const code = card?.codes.find((c) => c.for === role)?.code;
    if (!code) throw new Error(`no ${role} code for ${child}`);
    return code;
  }

  async stop(): Promise<void> {
    await mongoose.connection.db?.dropDatabase().catch(() => undefined);
    await this.app.stop();
    await this.transport.stop?.();
  }
}

/**
 * `extra` adds channels (e.g. a WeCom adapter pointed at a fake server) beside the simulator; a file that brings its
 * own channels talks through the simulator API whatever TEST_TRANSPORT says.
 */
export async function startTestApp(env: Record<string, string> = {}, extra: Pick<StartOptions, 'channels' | 'defaultChannel' | 'speech'> = {}): Promise<TestApp> {
  const uri = process.env.MONGODB_URI;
  if (!uri) throw new Error('MONGODB_URI is not set: test/globalSetup.ts should have set it');
  const file = path.basename(expect.getState().testPath ?? 'test', '.test.ts').replace(/[^A-Za-z0-9]/g, '_');
  const dbName = `t_${file}_${crypto.randomBytes(3).toString('hex')}`.slice(0, 60);
  const wecom = TRANSPORT === 'wecom' && !extra.channels ? await WeComTransport.start() : undefined;
  // Over WeCom, the transport reads what the fake took during each send as that message: one send at a time.
  // No recordings unless a test asks (test/speech*.test.ts): the scenarios stay independent of espeak-ng and of a cache.
  const config = loadConfig({ ADMIN_TOKEN, LOG_LEVEL: 'silent', SPEECH_PROVIDER: 'none', ...(wecom ? { DELIVERY_CONCURRENCY: '1' } : {}), ...env });
  try {
    const app = await startApp({
      config, log: createLogger('silent'), mongoUri: withDatabase(uri, dbName), ...extra,
      ...(wecom ? { channels: wecom.plugins } : {}),
    });
    wecom?.attach(app);
    return new TestApp(app, wecom);
  } catch (err) {
    await wecom?.stop();
    throw err;
  }
}

export const STAFF_CSV = [
  '学校,姓名,企业微信账号,电话,职务,班级,党员,最多帮扶人数,教师群',
  '阳光小学,张丽,zhang,13900001111,班主任,三年级1班,是,3,teachers',
  '阳光小学,李伟,li,13900002222,教师,,否,3,teachers',
  '希望小学,赵强,zhao,13900004444,教师,,否,3,hope-teachers',
].join('\n');

export const ROSTER_CSV = [
  '学校,班级,学生姓名,性别,出生日期,学号,留守类型,监护情况,寄宿,重点帮扶,父亲姓名,父亲电话,父亲务工地,母亲姓名,母亲电话,母亲务工地,监护人姓名,监护人关系,监护人电话,监护人年龄,监护人文化程度,帮扶教师企业微信账号',
  '阳光小学,三年级1班,王小明,男,2016-05-12,,双亲外出,祖辈,否,是,王建国,13800138001,广东东莞,刘芳,13800138002,浙江义乌,王奶奶,祖母,13800138003,68,不识字,zhang',
  '阳光小学,三年级1班,王小华,女,2018-02-20,,双亲外出,祖辈,否,否,王建国,13800138001,广东东莞,刘芳,13800138002,浙江义乌,王奶奶,祖母,13800138003,68,不识字,zhang',
  '阳光小学,三年级1班,李小红,女,2016-09-03,,父亲外出,母亲,是,否,李强,13800138011,江苏苏州,陈梅,13800138012,,,,,,,li',
].join('\n');

export async function startWithSchool(env: Record<string, string> = {}, extra: Pick<StartOptions, 'channels' | 'defaultChannel' | 'speech'> = {}): Promise<TestApp> {
  const t = await startTestApp(env, extra);
  const staff = await t.importCsv('staff', STAFF_CSV);
  const roster = await t.importCsv('roster', ROSTER_CSV);
  if (staff.body.errors?.length || roster.body.errors?.length) {
    throw new Error(`fixture import failed: ${JSON.stringify([staff.body.errors, roster.body.errors])}`);
  }
  return t;
}
