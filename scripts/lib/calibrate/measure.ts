import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { percentile } from '../stats.ts';
import { runDriver, type DriverResult } from '../loadtest/driver.ts';
import type { LoadRequest } from '../loadtest/request.ts';
import type { Level } from './analyse.ts';

// One pod at a fixed concurrency: the load driver offers far more than it can take, and its
// bound on requests in flight keeps exactly `concurrency` of them at the server (an arrival
// that finds the bound full is not sent). What completes after the warm-up is the level.

export interface LevelOptions {
  binary: string;
  request: LoadRequest;
  baseUrl: string;
  concurrency: number;
  /** Arrivals per second offered: well above what the pod can complete. */
  offeredRate: number;
  warmupSeconds: number;
  seconds: number;
  dir: string;
  signal?: AbortSignal;
}

export async function measureLevel(o: LevelOptions): Promise<Level> {
  const dir = join(o.dir, `concurrency-${o.concurrency}`);
  await mkdir(dir, { recursive: true });
  const results: DriverResult[] = [];
  const total = o.warmupSeconds + o.seconds;
  await runDriver({
    binary: o.binary,
    profile: { name: 'stages', startRate: o.offeredRate, stages: [{ target: o.offeredRate, seconds: total }] },
    request: o.request,
    baseUrl: o.baseUrl,
    maxInFlight: o.concurrency,
    dir,
    onResult: (r) => {
      if (!r.notSent) results.push(r);
    },
    signal: o.signal,
  });
  return levelOf(results, o);
}

/** The level from the driver's results (ms from the run's start): answers that ended inside the measured seconds. */
export function levelOf(results: DriverResult[], o: Pick<LevelOptions, 'concurrency' | 'warmupSeconds' | 'seconds'>): Level {
  const from = o.warmupSeconds * 1000;
  const to = from + o.seconds * 1000;
  const inWindow = results.filter((r) => r.start + r.latency >= from && r.start + r.latency < to);
  const ok = inWindow.filter((r) => r.status >= 200 && r.status < 300).map((r) => r.latency);
  return {
    concurrency: o.concurrency,
    throughput: ok.length / o.seconds,
    p50Ms: ok.length > 0 ? percentile(ok, 50) : Number.NaN,
    p95Ms: ok.length > 0 ? percentile(ok, 95) : Number.NaN,
    refused: inWindow.length - ok.length,
    answers: inWindow.length,
  };
}
