/** What the web routes and the CLI share about the running bot. */
import type { Bot } from './bot/bot';
import type { Services } from './bot/context';
import type { DeliveryWorker } from './bot/delivery';
import type { SimulatorChannel } from './bot/simulatorChannel';
import type { Clock, ManualClock } from './clock';
import type { Config } from './config';
import type { Logger } from './log';
import type { Speech } from './speech';

export interface AppContext {
  config: Config;
  log: Logger;
  orgId: string;
  clock: Clock;
  /** Present when the simulator channel is on; its clock is the one `/sim/clock` moves. */
  simulator?: { channel: SimulatorChannel; clock: ManualClock };
  bot: Bot;
  /** What handlers see of the org (name, language, time zone, quiet hours); updated when settings change. */
  services: Services;
  delivery: DeliveryWorker;
  /** Recordings of voice-style messages (provider `none`: none). */
  speech: Speech;
  /** The worker sends what is due on its own, and each message's replies as soon as it is handled. */
  deliversInBackground: boolean;
  /** Runs all scheduled work due at the clock's now. */
  runScheduled(): Promise<void>;
  ready(): boolean;
}
