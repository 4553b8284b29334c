/** `npm start`: configuration → database → bot → HTTP. `--demo` (or DEMO=1) loads the demo school. */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './log';
import { findMongo } from './models/mongoServer';
import { ChannelPlugin, startApp } from './app';
import { defaultRoute } from './bot/router';
import { wechatyPlugin } from './bot/wechatyConfig';
import { wecomPlugins } from './bot/wecom';
import { loadDemo } from './demo';

async function main(): Promise<void> {
  // A .env file beside package.json, if any; variables already set in the environment win.
  if (fs.existsSync('.env')) process.loadEnvFile('.env');
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee .env.example for every setting.\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);
  if (config.adminTokenGenerated) {
    // Printed once so that a person can use the admin API; set ADMIN_TOKEN to keep one.
    process.stdout.write(`\nAdmin token (generated, set ADMIN_TOKEN to fix it): ${config.ADMIN_TOKEN}\n\n`);
  }
  // Channels beside the simulator, from their own variables (a half-configured one stops the start, naming what is missing).
  let plugins: ChannelPlugin[];
  try {
    const wechaty = wechatyPlugin(process.env, { orgId: config.ORG_ID, dataDir: path.resolve(config.DATA_DIR), log });
    plugins = [
      ...wecomPlugins(process.env, { orgId: config.ORG_ID, log, dataDir: path.resolve(config.DATA_DIR) }),
      ...(wechaty ? [wechaty] : []),
    ];
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee .env.example for every setting.\n`);
      process.exit(2);
    }
    throw err;
  }
  const simulator = config.SIMULATOR === '1' || (config.SIMULATOR === 'auto' && plugins.length === 0);
  const mongo = await findMongo({ dataDir: path.resolve(config.DATA_DIR), log: (m) => log.info(m), advertise: true });
  const demo = process.argv.includes('--demo') || config.DEMO;
  const app = await startApp({
    config, log, mongoUri: mongo.uri, listen: true, autoDeliver: true,
    channels: plugins,
    simulator,
    // A running bot keeps real time until someone moves the simulator's clock (tests start at a fixed instant).
    simulatorClock: 'real',
    // A push goes where the person last wrote from; failing that, through the channel that prefers staff, else the
    // first that reaches families (router.ts). A group robot is never the default: it cannot reach a family.
    defaultChannel: defaultRoute(plugins.map((p) => p.channel)),
    beforeListen: demo
      ? async (ctx) => {
        await loadDemo(config.ORG_ID, ctx.clock.now(), config.TIME_ZONE);
        log.info('demo school loaded (阳光小学); codes: GET /api/contact-cards');
      }
      : undefined,
  });
  log.info({ url: app.url, database: mongo.source, channels: [...(simulator ? ['simulator'] : []), ...plugins.map((p) => p.channel.name)] }, 'bot is up');

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await app.stop().catch((err) => log.error({ err }, 'stop failed'));
    await mongo.stop().catch((err) => log.error({ err }, 'database stop failed'));
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
