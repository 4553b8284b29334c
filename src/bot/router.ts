/**
 * Picks the channel for a push (`channel: 'auto'` in the outbox): the one the person last wrote from, if it is
 * running; otherwise the org's default. Rooms go to the channel the room was last heard on. The 微信客服 window
 * and 学校通知 fallback (issue 5) plug in here.
 */
import { Route } from '../models/route';
import type { Channel } from './channel';

export class Router {
  constructor(private readonly channels: Map<string, Channel>, private readonly defaultChannel: string, private readonly orgId: string) {}

  async pick(address: string): Promise<string> {
    const routes = await Route.find({ orgId: this.orgId, address }).sort({ lastInboundAt: -1 }).lean();
    const usable = routes.find((r) => this.channels.has(r.channel));
    return usable?.channel ?? this.defaultChannel;
  }
}
