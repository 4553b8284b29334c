/**
 * Picks the channel for a push (`channel: 'auto'` in the outbox) and the next one when a route turns out closed,
 * from what each channel declares (`Channel.capabilities`, src/bot/channel.ts), never from its name:
 *
 * - A family member or staff: the channels that prefer their audience (`capabilities.prefers`, lower first — e.g.
 *   微信客服 while the 48-hour window is open with quota left, then 学校通知 when their parent_userid is known; the
 *   staff app), then the channels they last wrote from, else the default.
 * - A room: a channel configured to serve it (`servesRoom`, the group robot), then the channels it was last heard on,
 *   else the default.
 * - Anyone unknown: the channels they were last heard on, else the default.
 *
 * Channels that can tell whether an address is reachable right now implement `Channel.reach` (the kf window, a known
 * parent_userid); a channel that answers 'closed' is skipped. A send that finds its route closed after all (the
 * window closed meanwhile, WeCom counted the quota differently, the parent left the school's directory) throws a
 * FallbackSendError, and the delivery worker asks `next()` for the following route.
 */
import { Identity } from '../models/identity';
import { Route, routesOf } from '../models/route';
import { Audience, Channel, PermanentSendError, Reach } from './channel';
import { recipientFacts } from './recipientFacts';

/** Why a route cannot take a message now; each lets delivery try the next route. */
export type FallbackReason =
  | 'kf_window_closed'
  | 'kf_quota'
  | 'kf_session_state'
  | 'school_invalid_parent'
  | 'school_unknown_parent';

/** A permanent failure of this route only: the message may still go through another one. */
export class FallbackSendError extends PermanentSendError {
  constructor(readonly reason: FallbackReason, message: string) {
    super(message);
    this.name = 'FallbackSendError';
  }
}

export function canFallBack(err: unknown): err is FallbackSendError {
  return err instanceof FallbackSendError;
}

/** Running channels that prefer `audience`, in their order of preference (ties: the order they were started in). */
function preferredFor(channels: Map<string, Channel>, audience: Audience): string[] {
  return [...channels.entries()]
    .filter(([, ch]) => ch.capabilities.prefers?.[audience] !== undefined)
    .sort(([, a], [, b]) => a.capabilities.prefers![audience]! - b.capabilities.prefers![audience]!)
    .map(([name]) => name);
}

/**
 * The route for whoever has no better one (never wrote, no preferred channel open): the channel that prefers staff
 * (they are the ones written to unasked), else the first that reaches families (who register by writing). A channel
 * that reaches neither (a group robot) is never the default. Undefined when none qualifies.
 */
export function defaultRoute(channels: Channel[]): string | undefined {
  const byName = new Map(channels.map((ch) => [ch.name, ch]));
  return preferredFor(byName, 'staff')[0] ?? channels.find((ch) => ch.capabilities.reaches.includes('family'))?.name;
}

export interface PickOptions {
  /** The address is a room (group chat), not a person. */
  room?: boolean;
  /** Who the addresses are and where they wrote from, read once for a page of deliveries (see preload). */
  known?: Known;
}

/** Identity kinds and routes of a set of addresses, read in two queries. */
export interface Known {
  kinds: Map<string, string | undefined>;
  routes: Map<string, Array<{ channel: string }>>;
  /** Channel → address → reach, from the probes that can answer for many at once. */
  reach: Map<string, Map<string, Reach>>;
}

export class Router {
  constructor(private readonly channels: Map<string, Channel>, private readonly defaultChannel: string, private readonly orgId: string) {}

  async pick(address: string, opts: PickOptions = {}): Promise<string> {
    return (await this.candidates(address, opts))[0] ?? this.defaultChannel;
  }

  /** The next route to try after `tried` failed with a FallbackSendError; undefined when none is left. */
  async next(address: string, tried: Iterable<string>, opts: PickOptions = {}): Promise<string | undefined> {
    const done = new Set(tried);
    return (await this.candidates(address, opts)).find((c) => !done.has(c));
  }

  /**
   * Reads what `candidates` needs for many addresses at once: a page of deliveries costs a few queries (identities,
   * routes, each probe's), not a few for each message.
   */
  async preload(people: string[], rooms: string[] = []): Promise<Known> {
    const persons = [...new Set(people)];
    const wanted = [...new Set([...persons, ...rooms])];
    const probes = [...this.channels.entries()].filter(([, ch]) => ch.reachMany);
    // Read when their messages were enqueued, most of them (a fan-out), and kept for the send; first, because the
    // probes below (学校通知's parent_userids) read them too.
    const facts = await recipientFacts(this.orgId, persons);
    const [routes, reaches] = await Promise.all([
      routesOf(this.orgId, wanted),
      Promise.all(probes.map(async ([name, ch]) => [name, persons.length ? await ch.reachMany!(persons) : new Map<string, Reach>()] as const)),
    ]);
    const kinds = new Map<string, string | undefined>(wanted.map((a) => [a, undefined]));
    for (const [address, f] of facts) kinds.set(address, f.identity?.kind);
    return { kinds, routes, reach: new Map(reaches) };
  }

  /** Running channels that may reach `address`, best first; the default closes the list. */
  async candidates(address: string, opts: PickOptions = {}): Promise<string[]> {
    const out: string[] = [];
    const known = opts.known?.kinds.has(address) ? opts.known : undefined;
    const reachOf = new Map<string, Reach>();
    const reach = async (name: string): Promise<Reach> => {
      if (!reachOf.has(name)) {
        const ch = this.channels.get(name);
        const read = known?.reach.get(name)?.get(address);
        reachOf.set(name, read ?? (ch?.reach ? await ch.reach(address) : 'unknown'));
      }
      return reachOf.get(name)!;
    };
    const add = (name: string) => {
      if (this.channels.has(name) && !out.includes(name)) out.push(name);
    };

    const kind = opts.room ? undefined
      : known ? known.kinds.get(address) : (await Identity.findOne({ orgId: this.orgId, address }, { kind: 1 }).lean())?.kind;
    if (kind === 'family' || kind === 'staff') {
      for (const name of preferredFor(this.channels, kind)) if ((await reach(name)) !== 'closed') add(name);
    }
    if (opts.room) {
      // A group robot configured for this room can post there even before anyone spoke in it since the start.
      for (const [name, ch] of this.channels) if (ch.capabilities.reaches.includes('room') && ch.servesRoom?.(address)) add(name);
    }
    const heard = known?.routes.get(address) ?? await Route.find({ orgId: this.orgId, address }).sort({ lastInboundAt: -1 }).lean();
    for (const r of heard) if (this.channels.has(r.channel) && (await reach(r.channel)) !== 'closed') add(r.channel);
    // Closed routes the person uses come before a default they never wrote from: their refusal (FallbackSendError,
    // no API call) explains in the outbox's lastError why the message went elsewhere or failed.
    for (const r of heard) add(r.channel);
    add(this.defaultChannel);
    return out;
  }
}
