// Shared by every profile: the request, the thresholds, the summary export. Parameters come
// from the environment (k6 -e NAME=value), so the scripts stay the same everywhere.
import http from 'k6/http';
import { check } from 'k6';
import type { Options } from 'k6/options';

export const TARGET_URL = __ENV.TARGET_URL || 'http://127.0.0.1:30080/v1/predict';

export function num(name: string, fallback: number): number {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

const BODY = JSON.stringify({ inputs: [0.1, 0.5, -0.3, 0.9, 0.2, -0.7, 0.4, 0.8] });
const PARAMS = { headers: { 'content-type': 'application/json' }, timeout: '10s' };

export const baseOptions: Options = {
  // A new connection per request, so new pods get traffic as soon as they are endpoints.
  noConnectionReuse: true,
  discardResponseBodies: true,
  thresholds: {
    http_req_failed: ['rate<0.001'],
    dropped_iterations: ['count<1'],
  },
  summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
};

export function predict(): void {
  const res = http.post(TARGET_URL, BODY, PARAMS);
  check(res, { 'status is 200': (r) => r.status === 200 });
}

export function exportSummary(data: unknown): Record<string, string> {
  const path = __ENV.SUMMARY_PATH || 'k6-summary.json';
  return { [path]: JSON.stringify(data, null, 2) };
}

/** Virtual users enough for the peak rate at a pessimistic latency, so nothing is dropped. */
export function vusFor(peakRate: number): { preAllocatedVUs: number; maxVUs: number } {
  return { preAllocatedVUs: Math.ceil(peakRate * 0.5) + 10, maxVUs: Math.ceil(peakRate * 4) + 20 };
}
