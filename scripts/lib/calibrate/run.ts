import type { LoadRequest } from '../loadtest/request.ts';
import { analyse, type Calibration, type Level } from './analyse.ts';
import { measureLevel } from './measure.ts';

// The levels, one after another against one server, rising: the first (one in flight)
// says what a request costs alone, which sizes the arrivals offered to the rest.

export interface CalibrateOptions {
  binary: string;
  request: LoadRequest;
  baseUrl: string;
  levels: number[];
  warmupSeconds: number;
  seconds: number;
  sloMs: number;
  dir: string;
  log: (line: string) => void;
  signal?: AbortSignal;
}

/** Arrivals offered at the first level: above what any one pod completes one at a time. */
const FIRST_OFFERED = 50;

export async function calibrate(o: CalibrateOptions): Promise<Calibration> {
  const levels: Level[] = [];
  let offeredRate = FIRST_OFFERED;
  for (const concurrency of [...o.levels].sort((a, b) => a - b)) {
    o.log(`… ${concurrency} in flight for ${o.warmupSeconds + o.seconds} s (${offeredRate.toFixed(0)} arrivals/s offered, the bound keeps ${concurrency} at the server)`);
    const level = await measureLevel({ ...o, concurrency, offeredRate });
    levels.push(level);
    o.log(`  ${level.throughput.toFixed(2)} req/s, p50 ${level.p50Ms.toFixed(0)} ms, p95 ${level.p95Ms.toFixed(0)} ms, ${level.refused} refused`);
    // Five times what the largest level could complete at the cost alone: never the limit.
    if (levels.length === 1 && Number.isFinite(level.p50Ms)) offeredRate = Math.min(2000, Math.max(FIRST_OFFERED, (5 * Math.max(...o.levels) * 1000) / level.p50Ms));
  }
  return analyse(levels, o.sloMs);
}
