/**
 * A minute of WeCom trouble of every kind (issue 8, point 4; the scenario is test/helpers/outageScenario.ts): 15 s
 * of calls hanging past the client's timeout (answered late), then 15 s each of -1 (busy) and 45033 (too many concurrent
 * calls), and 45 s of 45009 (throttled), on the simulated clock. Afterwards every note and message is delivered once, in order
 * per person: a minute of trouble must not lose a family's note. Same as test/faults.wecomOutage.test.ts, with the
 * default attempt budget (DELIVERY_MAX_ATTEMPTS=12).
 *
 * It failed before the retry-after became a floor under the growing backoff: each throttled or busy answer counted as
 * an attempt and the client's retry-after (5 s for -1, 2 s for 45033) replaced the backoff, so a minute of trouble
 * used up the whole budget (118 of 120 notes ended `failed`).
 */
import { A_MINUTE_OF_TROUBLE, OUTAGE_CHILDREN, runOutage } from './helpers/outageScenario';

jest.setTimeout(300_000);

it(`a minute of timeouts, -1, 45033 and 45009: ${OUTAGE_CHILDREN * 3} notes and the series delivered once each, in order per person`, async () => {
  await runOutage(A_MINUTE_OF_TROUBLE);
});
