/**
 * A minute of WeCom trouble of every kind (issue 8, point 4; the scenario is test/helpers/outageScenario.ts): 15 s of
 * simulated time in which 学校通知 calls hang past the client's timeout (answered late), then 15 s each of -1 (busy),
 * 45033 (too many concurrent calls) and 45009 (throttled). Afterwards every note and message is delivered once, in
 * order per person. The faults are on the simulated clock (moved 5 s a step), so they cost seconds of real time.
 *
 * The attempt budget is raised here (DELIVERY_MAX_ATTEMPTS=50) so that this file tests once-and-in-order; whether
 * the default budget of 8 survives such a minute is test/faults.wecomBusy.test.ts.
 */
import { OUTAGE_CHILDREN, runOutage } from './helpers/outageScenario';

jest.setTimeout(300_000);

it(`a minute of timeouts, -1, 45033 and 45009: ${OUTAGE_CHILDREN * 3} notes and the series delivered once each, in order per person`, async () => {
  // 45009 last: the client asks the outbox to wait 60 s after it, so a fault after it would meet no call.
  await runOutage([
    { from: 0, until: 15_000, fault: 'hang' },
    { from: 15_000, until: 30_000, fault: -1 },
    { from: 30_000, until: 45_000, fault: 45033 },
    // Longer than 15 s: with the growing backoff and 5 s steps the retries come at +0, 5, 10, 20, 40, 75 s …
    { from: 45_000, until: 90_000, fault: 45009 },
  ], { DELIVERY_MAX_ATTEMPTS: '50' });
});
