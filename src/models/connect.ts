import { MongoClient } from 'mongodb';
import mongoose from 'mongoose';

/** A client of its own for /healthz (see databaseUp). */
let healthClient: MongoClient | undefined;
/** Whether the server is FerretDB (buildInfo says so): a few queries are shaped for what it can push down. */
let ferretDb = false;

export function onFerretDb(): boolean {
  return ferretDb;
}

/**
 * Connects mongoose and makes sure every unique index exists before anything is written.
 *
 * Reconnection is the driver's own: it keeps monitoring the server and reconnects when it is back (no restart of
 * the bot). A short heartbeat notices an outage (and the recovery) within ~2 s; meanwhile mongoose buffers model
 * calls and the driver waits for a server up to serverSelectionTimeoutMS, so a restart of the database shorter than
 * that loses nothing, and anything longer fails that one request (a 5xx the caller may retry) instead of hanging.
 */
export async function connectDatabase(uri: string): Promise<typeof mongoose> {
  mongoose.set('strictQuery', true);
  // connectTimeoutMS also bounds each heartbeat: one stuck on a server that is going away must not keep the
  // monitor from seeing the restarted one for the default 30 s.
  await mongoose.connect(uri, { serverSelectionTimeoutMS: 10_000, heartbeatFrequencyMS: 2000, connectTimeoutMS: 10_000, autoIndex: false });
  await Promise.all(Object.values(mongoose.models).map((m) => m.createIndexes()));
  const info = await mongoose.connection.db!.admin().command({ buildInfo: 1 });
  ferretDb = typeof info.ferretdbVersion === 'string';
  healthClient = new MongoClient(uri, { maxPoolSize: 1, serverSelectionTimeoutMS: 1500, heartbeatFrequencyMS: 2000, connectTimeoutMS: 1500 });
  return mongoose;
}

export async function disconnectDatabase(): Promise<void> {
  await healthClient?.close().catch(() => undefined);
  healthClient = undefined;
  await mongoose.disconnect();
}

/**
 * Whether the database answers a ping within `timeoutMs` (for /healthz: a down database must show at once, not
 * after the driver's 10 s server selection).
 *
 * Asked on a client of its own: on the bot's pool the ping would queue behind the work in flight, and right after
 * an outage (buffered operations, the scheduler and delivery catching up on a busy machine) that queue made a
 * database that was back look down for a long time. The bot's own client reconnects by itself meanwhile.
 */
export async function databaseUp(timeoutMs = 1500): Promise<boolean> {
  if (!healthClient) return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      healthClient.db('admin').command({ ping: 1 }).then(() => true, () => false),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
