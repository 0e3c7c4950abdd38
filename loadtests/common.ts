// Shared by every profile: the request, the options, the summary export. The schedule comes
// from the profile as one JSON environment value (k6 -e SCHEDULE=...), so the scripts hold
// no schedule of their own.
import http from 'k6/http';
import { check } from 'k6';
import type { Options } from 'k6/options';
import { k6Stages, parseSchedule } from './schedule.ts';

export const TARGET_URL = __ENV.TARGET_URL || 'http://127.0.0.1:30080/v1/predict';

const BODY = JSON.stringify({ inputs: [0.1, 0.5, -0.3, 0.9, 0.2, -0.7, 0.4, 0.8] });
const PARAMS = { headers: { 'content-type': 'application/json' }, timeout: '10s' };

// A 429 with Retry-After is the service shedding as designed: k6 counts it apart from
// failures, and the assertions check when and how much it sheds.
http.setResponseCallback(http.expectedStatuses(200, 429));

/** A profile's options: its schedule as an open-model scenario, the run's thresholds. */
export function scheduledOptions(): Options {
  const schedule = parseSchedule(__ENV.SCHEDULE);
  return {
    // A new connection per request, so new pods get traffic as soon as they are endpoints.
    noConnectionReuse: true,
    discardResponseBodies: true,
    thresholds: {
      http_req_failed: [`rate<=${schedule.maxFailedShare}`],
      dropped_iterations: ['count<1'],
    },
    summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
    scenarios: {
      [schedule.name]: {
        // Open model (arrival rate): the offered load does not drop when latency rises.
        executor: 'ramping-arrival-rate',
        startRate: schedule.startRate,
        timeUnit: '1s',
        preAllocatedVUs: schedule.preAllocatedVUs,
        maxVUs: schedule.maxVUs,
        stages: k6Stages(schedule),
      },
    },
  };
}

export function predict(): void {
  const res = http.post(TARGET_URL, BODY, PARAMS);
  check(res, { 'status is 200': (r) => r.status === 200 });
}

export function exportSummary(data: unknown): Record<string, string> {
  const path = __ENV.SUMMARY_PATH || 'k6-summary.json';
  return { [path]: JSON.stringify(data, null, 2) };
}
