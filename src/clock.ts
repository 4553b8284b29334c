/** The clock is injected so tests and the simulator can move time (DESIGN.md §2). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * Where a ManualClock starts unless told otherwise: Wednesday 18 November 2026, 10:00 in Asia/Shanghai. A school
 * day in term time, mid-morning — outside quiet hours (the default 22:00–07:00 and the simulator's 21:30–07:30), so
 * pushes go out at once — and on no day a job is tied to (not the 1st, when notes go out; not the 10th, 25th or 28th
 * of the note reminders and letters; no festival within a week; not a Monday digest). A suite that never sets the
 * clock therefore behaves the same at whatever time of day or month it runs.
 */
export const DEFAULT_CLOCK_START = new Date('2026-11-18T10:00:00+08:00');

/**
 * The simulator's and the tests' clock: `/sim/clock` (or `set`) moves it, and it never runs by itself between sets,
 * so tests are repeatable. It starts at DEFAULT_CLOCK_START, or — `followRealTime` — follows real time until the
 * first set: what `npm start` uses, so a bot with the simulator on keeps real time until someone moves it.
 */
export class ManualClock implements Clock {
  private frozen?: Date;
  constructor(opts: { followRealTime?: boolean } = {}) {
    if (!opts.followRealTime) this.frozen = new Date(DEFAULT_CLOCK_START);
  }
  now(): Date {
    return this.frozen ? new Date(this.frozen) : new Date();
  }
  set(at: Date): void {
    this.frozen = new Date(at);
  }
}
