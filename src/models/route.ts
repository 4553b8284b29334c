import { Schema, model } from 'mongoose';
import { findByValues } from './manyValues';
import { ScopeCopy } from './scopeCopy';

/** Where an address was last heard from, per channel: delivery prefers the channel the person actually uses. */
const routeSchema = new Schema({
  orgId: { type: String, required: true },
  address: { type: String, required: true },
  channel: { type: String, required: true },
  lastInboundAt: { type: Date, required: true },
});
routeSchema.index({ orgId: 1, address: 1, channel: 1 }, { unique: true });

export const Route = model('Route', routeSchema);

export interface RouteRow { address: string; channel: string; lastInboundAt: Date }

/** A fan-out's pages (200 recipients each) read the org's routes whole, once a minute (models/scopeCopy.ts). */
const copies = new ScopeCopy<RouteRow>({
  from: 100,
  keepMs: 60_000,
  key: (r) => r.address,
  same: (a, b) => a.channel === b.channel,
  readAll: (orgId) => Route.find({ orgId }, { _id: 0, address: 1, channel: 1, lastInboundAt: 1 }).lean<RouteRow[]>(),
});

export async function noteRoute(orgId: string, address: string, channel: string, at: Date): Promise<void> {
  await Route.updateOne({ orgId, address, channel }, { $set: { lastInboundAt: at } }, { upsert: true }).catch((err: { code?: number }) => {
    if (err.code !== 11000) throw err; // two messages at once: the other wrote it
  });
  copies.wrote(orgId, { address, channel, lastInboundAt: at });
}

/** The routes each address was heard on, most recent first. */
export async function routesOf(orgId: string, addresses: readonly string[]): Promise<Map<string, RouteRow[]>> {
  const rows = await copies.find(orgId, addresses, (some) => findByValues(Route, some, (address) => Route.find({ orgId, address },
    { _id: 0, address: 1, channel: 1, lastInboundAt: 1 }).lean<RouteRow[]>()));
  const out = new Map<string, RouteRow[]>(addresses.map((a) => [a, []]));
  for (const r of rows) out.get(r.address)?.push(r);
  for (const list of out.values()) list.sort((a, b) => b.lastInboundAt.getTime() - a.lastInboundAt.getTime());
  return out;
}
