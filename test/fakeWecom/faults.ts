/**
 * Faults and WeCom's published limits for FakeWeCom (server.ts wires them in; see its header for the API).
 *
 * - Fault: for the calls to some apis that arrive inside a time window (on the fake's clock), either answer an
 *   errcode (an outage: 45009, -1, 45033 …) or hang: hold the request for `holdMs` or until released, then answer
 *   it late (a slow WeCom: it did the work, the caller may have given up by then) or drop the connection unanswered
 *   (the request never reached WeCom).
 * - Limits: per corp per api 10,000 a minute (every api, gettoken included), and for message/send per app to one
 *   member 30 a minute and 1,000 an hour (../../../shared/wecom-api.md "Limits"), as sliding windows of the calls
 *   the limiter let through. Past a limit the call is answered 45009. (Real WeCom silently drops message/send past
 *   the per-member limit instead; answering 45009 makes the excess visible to a test.) Counts what it accepted and
 *   refused per api, and the busiest 60 s of accepted calls, so a bench can state a fan-out as a share of the ceiling.
 */

export interface FaultWindow {
  /** Fake-clock ms; default: from now on. */
  from?: number;
  /** Fake-clock ms (exclusive); default: until `end()`. */
  until?: number;
}

export type FaultAction =
  | { kind: 'error'; errcode: number; errmsg?: string }
  | { kind: 'hang'; holdMs?: number; then: 'answer' | 'drop' };

/** A programmed fault: `end()` stops it for new calls and lets every held call go (answered or dropped as planned). */
export class Fault {
  /** Calls it affected. */
  hits = 0;
  ended = false;
  private readonly held = new Set<() => void>();

  constructor(readonly apis: '*' | Set<string>, readonly window: FaultWindow, readonly action: FaultAction) {}

  applies(api: string, now: number): boolean {
    if (this.ended) return false;
    // '*' spares gettoken: an outage of the business apis is what the tests mean; name gettoken to include it.
    if (this.apis === '*' ? api === 'gettoken' : !this.apis.has(api)) return false;
    return (this.window.from === undefined || now >= this.window.from) && (this.window.until === undefined || now < this.window.until);
  }

  /** Resolves when this call's hold is over (its time passed, or released). */
  hold(): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        this.held.delete(done);
        resolve();
      };
      this.held.add(done);
      if (this.action.kind === 'hang' && this.action.holdMs !== undefined) timer = setTimeout(done, this.action.holdMs);
    });
  }

  /** Calls being held right now. */
  get holding(): number {
    return this.held.size;
  }

  /** Lets the held calls go without ending the fault. */
  release(): void {
    for (const done of [...this.held]) done();
  }

  end(): void {
    this.ended = true;
    this.release();
  }
}

export interface LimitSettings {
  /** Per corp per api per minute (default 10,000). */
  perApiPerMinute: number;
  /** message/send, per app to one member, per minute (default 30). */
  perMemberPerMinute: number;
  /** message/send, per app to one member, per hour (default 1,000). */
  perMemberPerHour: number;
}

const WECOM_LIMITS: LimitSettings = { perApiPerMinute: 10_000, perMemberPerMinute: 30, perMemberPerHour: 1_000 };

export interface ApiLimitStats {
  accepted: number;
  refused: number;
  /** The most accepted calls within any 60 s. */
  peakPerMinute: number;
  ceilingPerMinute: number;
  /** peakPerMinute / ceilingPerMinute. */
  shareOfCeiling: number;
  firstAt?: number;
  lastAt?: number;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

export class Limits {
  readonly settings: LimitSettings;
  /** Accepted calls' times per api (all kept: the peak is computed over the whole run). */
  private readonly accepted = new Map<string, number[]>();
  private readonly refused = new Map<string, number>();
  /** message/send accepted per `agentId:member`, pruned to the last hour. */
  private readonly perMember = new Map<string, number[]>();
  /** Index into `accepted` of the first call still inside the last minute, per api. */
  private readonly minuteStart = new Map<string, number>();

  constructor(settings: Partial<LimitSettings> = {}) {
    this.settings = { ...WECOM_LIMITS, ...settings };
  }

  /** 0 when the call may go (and it is counted), else the errcode to answer (45009). */
  admit(api: string, now: number, members: string[] = []): number {
    const times = this.accepted.get(api) ?? [];
    let start = this.minuteStart.get(api) ?? 0;
    while (start < times.length && times[start] <= now - MINUTE) start++;
    this.minuteStart.set(api, start);
    let over = times.length - start >= this.settings.perApiPerMinute;
    if (!over && members.length) {
      for (const m of members) {
        const sent = (this.perMember.get(m) ?? []).filter((t) => t > now - HOUR);
        this.perMember.set(m, sent);
        const lastMinute = sent.filter((t) => t > now - MINUTE).length;
        if (lastMinute >= this.settings.perMemberPerMinute || sent.length >= this.settings.perMemberPerHour) over = true;
      }
    }
    if (over) {
      this.refused.set(api, (this.refused.get(api) ?? 0) + 1);
      return 45009;
    }
    times.push(now);
    this.accepted.set(api, times);
    for (const m of members) this.perMember.get(m)!.push(now);
    return 0;
  }

  stats(api: string): ApiLimitStats {
    const times = this.accepted.get(api) ?? [];
    let peak = 0;
    for (let i = 0, j = 0; j < times.length; j++) {
      while (times[j] - times[i] >= MINUTE) i++;
      peak = Math.max(peak, j - i + 1);
    }
    const ceiling = this.settings.perApiPerMinute;
    return {
      accepted: times.length, refused: this.refused.get(api) ?? 0, peakPerMinute: peak, ceilingPerMinute: ceiling,
      shareOfCeiling: peak / ceiling, firstAt: times[0], lastAt: times[times.length - 1],
    };
  }

  /** Every api seen, with its stats. */
  report(): Record<string, ApiLimitStats> {
    const apis = new Set([...this.accepted.keys(), ...this.refused.keys()]);
    return Object.fromEntries([...apis].sort().map((api) => [api, this.stats(api)]));
  }
}
