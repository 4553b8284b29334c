/** The router decides from what channels declare (Channel.capabilities), not from their names: no database needed. */
import { Audience, Channel, ChannelCapabilities, OutboundMessage, Reach, SendResult } from '../src/bot/channel';
import { defaultRoute, Known, Router } from '../src/bot/router';

class Made implements Channel {
  constructor(readonly name: string, readonly capabilities: ChannelCapabilities, private readonly reachable?: Record<string, Reach>) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async send(msg: OutboundMessage): Promise<SendResult> {
    return { route: this.name, platformMsgId: msg.key };
  }
  reach = async (address: string): Promise<Reach> => this.reachable?.[address] ?? 'unknown';
}

const caps = (reaches: Audience[], prefers?: ChannelCapabilities['prefers']): ChannelCapabilities => ({ reaches, prefers, quotes: false, voice: false, audio: false });

/** What `preload` would read: who the address is and where it last wrote from. */
function known(address: string, kind: string | undefined, heardOn: string[] = []): Known {
  return { kinds: new Map([[address, kind]]), routes: new Map([[address, heardOn.map((channel) => ({ channel }))]]), reach: new Map() };
}

function router(...channels: Channel[]): Router {
  return new Router(new Map(channels.map((c) => [c.name, c])), channels[0].name, 'o1');
}

describe('router from capabilities', () => {
  it('prefers for families a channel of any name that declares it, before the route they wrote from', async () => {
    const r = router(new Made('sim', caps(['family', 'staff', 'room'])), new Made('carrier-pigeon', caps(['family'], { family: 0 })));
    expect(await r.pick('grandma', { known: known('grandma', 'family', ['sim']) })).toBe('carrier-pigeon');
    // Not for staff, nor for someone unknown: they get the route they wrote from.
    expect(await r.pick('teacher', { known: known('teacher', 'staff', ['sim']) })).toBe('sim');
    expect(await r.pick('stranger', { known: known('stranger', undefined, ['sim']) })).toBe('sim');
  });

  it('orders preferred channels by their rank, and skips one whose reach is closed for the person', async () => {
    const window = new Made('window', caps(['family'], { family: 0 }), { grandma: 'closed', dad: 'open' });
    const notice = new Made('notice', caps(['family'], { family: 1 }), { grandma: 'open', dad: 'open' });
    const r = router(new Made('sim', caps(['family', 'staff', 'room'])), notice, window);
    expect(await r.candidates('dad', { known: known('dad', 'family') })).toEqual(['window', 'notice', 'sim']);
    expect(await r.candidates('grandma', { known: known('grandma', 'family', ['window']) })).toEqual(['notice', 'window', 'sim']);
  });

  it('posts to a room through a channel that reaches rooms and serves it', async () => {
    const robot = Object.assign(new Made('robot', caps(['room'])), { servesRoom: (room: string) => room === 'teachers' });
    const r = router(new Made('sim', caps(['family', 'staff', 'room'])), robot);
    expect(await r.pick('teachers', { room: true, known: known('teachers', undefined) })).toBe('robot');
    expect(await r.pick('hope-teachers', { room: true, known: known('hope-teachers', undefined) })).toBe('sim');
  });

  it('the default route: the channel that prefers staff, else the first that reaches families; never a rooms-only robot', () => {
    const robot = new Made('robot', caps(['staff', 'room']));
    const parents = new Made('parents', caps(['family'], { family: 0 }));
    const office = new Made('office', caps(['staff'], { staff: 0 }));
    expect(defaultRoute([robot, parents, office])).toBe('office');
    expect(defaultRoute([robot, parents])).toBe('parents');
    expect(defaultRoute([robot])).toBeUndefined();
  });
});
