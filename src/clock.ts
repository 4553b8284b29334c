/** The clock is injected so tests and the simulator can move time (DESIGN.md §2). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Starts at real time; `/sim/clock` sets it. It never runs by itself between sets, so tests are repeatable. */
export class ManualClock implements Clock {
  private frozen?: Date;
  now(): Date {
    return this.frozen ? new Date(this.frozen) : new Date();
  }
  set(at: Date): void {
    this.frozen = new Date(at);
  }
}
