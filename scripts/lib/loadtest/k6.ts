import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Sh } from '../shell.ts';
import { percentile } from '../stats.ts';

// Running k6 and reading its per-request CSV into per-second figures.

export interface K6Run {
  /** 99 when a threshold failed: the assertions then say which. */
  exitCode: number;
  output: string;
}

export async function runK6($: Sh, k6: string, script: string, env: Record<string, string>, csvPath: string, summaryPath: string, signal?: AbortSignal): Promise<K6Run> {
  const args = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  // No REST API (an empty --address): nothing reads it, and runs side by side would contend for its port.
  const result = await $({
    nothrow: true,
    signal,
    env: { ...process.env, K6_CSV_TIME_FORMAT: 'unix_milli', K6_NO_USAGE_REPORT: 'true' },
  })`${k6} run --quiet --no-color --address ${''} --out ${`csv=${csvPath}`} ${args} -e ${`SUMMARY_PATH=${summaryPath}`} ${script}`;
  const exitCode = result.exitCode ?? 1;
  return { exitCode, output: result.stdout + result.stderr };
}

/** The service's answer when its slots and queue are full: shedding, not failure. */
export const SHED_STATUS = '429';

export interface SecondStats {
  responses: number;
  /** Responses other than 200 and the 429 of shedding. */
  errors: number;
  shed: number;
  durations: number[];
}

export interface K6Results {
  /** Epoch ms of the first request's start: the load's time zero. */
  startMs: number;
  perSecond: Map<number, SecondStats>;
  total: number;
  failed: number;
  shed: number;
  dropped: number;
  /** Durations of the requests that succeeded, ms. */
  okDurationsMs: number[];
}

/**
 * Reads k6's CSV output; seconds are counted from the load's start. That is the first
 * request's start less when the profile's first arrival is due (0 unless it starts idle),
 * or k6's first once-a-second `vus` sample if that is earlier (it comes within a second of
 * the start, whatever the load).
 */
export async function readK6Csv(path: string, firstArrivalSeconds = 0): Promise<K6Results> {
  const rows: { name: string; ms: number; value: number; status: string }[] = [];
  let header: string[] | undefined;
  let firstVusMs: number | undefined;
  for await (const line of createInterface({ input: createReadStream(path) })) {
    const cols = line.split(',');
    if (!header) {
      header = cols;
      continue;
    }
    const at = (name: string) => cols[header!.indexOf(name)] ?? '';
    const name = at('metric_name');
    if (name === 'vus') firstVusMs ??= Number(at('timestamp'));
    if (name !== 'http_req_duration' && name !== 'dropped_iterations') continue;
    rows.push({ name, ms: Number(at('timestamp')), value: Number(at('metric_value')), status: at('status') });
  }
  const requests = rows.filter((r) => r.name === 'http_req_duration');
  const startMs = Math.min(Math.min(...requests.map((r) => r.ms - r.value)) - firstArrivalSeconds * 1000, firstVusMs ?? Number.POSITIVE_INFINITY);
  const perSecond = new Map<number, SecondStats>();
  for (const r of requests) {
    const second = Math.floor((r.ms - startMs) / 1000);
    const s = perSecond.get(second) ?? { responses: 0, errors: 0, shed: 0, durations: [] };
    s.responses += 1;
    if (r.status === SHED_STATUS) s.shed += 1;
    else if (r.status !== '200') s.errors += 1;
    s.durations.push(r.value / 1000);
    perSecond.set(second, s);
  }
  return {
    startMs,
    perSecond,
    total: requests.length,
    failed: requests.filter((r) => r.status !== '200' && r.status !== SHED_STATUS).length,
    shed: requests.filter((r) => r.status === SHED_STATUS).length,
    dropped: rows.filter((r) => r.name === 'dropped_iterations').reduce((n, r) => n + r.value, 0),
    okDurationsMs: requests.filter((r) => r.status === '200').map((r) => r.value),
  };
}

export function secondPercentiles(s: SecondStats | undefined): { p50: number; p95: number; p99: number } {
  const d = s?.durations ?? [];
  return { p50: percentile(d, 50), p95: percentile(d, 95), p99: percentile(d, 99) };
}
