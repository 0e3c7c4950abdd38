import { UserError } from '../cli.ts';
import type { Capacity } from '../manifests/capacity.ts';

// From what one pod sustained at each concurrency to its capacity: the cost of a request
// alone, the throughput where it stops growing (the knee), and the most requests in flight
// whose p95 latency stays under the SLO, which becomes the HPA's target.

export interface Level {
  /** Requests kept in flight against the pod. */
  concurrency: number;
  /** Completions per second (2xx), over the measured seconds. */
  throughput: number;
  /** Latency of the 2xx answers, ms. */
  p50Ms: number;
  p95Ms: number;
  /** Answers other than 2xx (shed or failed), and their share of all. */
  refused: number;
  answers: number;
}

export interface Calibration extends Capacity {
  /** The lowest concurrency whose throughput is within 10 % of the highest. */
  knee: number;
  sloMs: number;
  levels: Level[];
}

/** A level's throughput counts as the plateau's within this share of the highest. */
export const KNEE_SHARE = 0.9;

export function analyse(levels: Level[], sloMs: number): Calibration {
  const sorted = [...levels].sort((a, b) => a.concurrency - b.concurrency);
  const alone = sorted[0];
  if (!alone || alone.concurrency !== 1) throw new UserError('calibration needs a level of one request in flight: the cost of a request alone.');
  const answered = sorted.filter((l) => l.throughput > 0 && Number.isFinite(l.p95Ms));
  if (answered.length === 0) throw new UserError('no level had a successful answer: is the server up, and does it accept the load request?');
  const best = Math.max(...answered.map((l) => l.throughput));
  const knee = answered.find((l) => l.throughput >= KNEE_SHARE * best) as Level;
  const underSlo = answered.filter((l) => l.p95Ms <= sloMs && l.refused === 0);
  if (underSlo.length === 0) throw new UserError(`even one request at a time misses the SLO: p95 ${alone.p95Ms.toFixed(0)} ms against ${sloMs} ms; raise inferscale.dev/latency-slo-ms or give the pod more CPU.`);
  return {
    requestSeconds: round(alone.p50Ms / 1000),
    requestsPerSecond: round(best),
    targetConcurrency: Math.max(...underSlo.map((l) => l.concurrency)),
    knee: knee.concurrency,
    sloMs,
    levels: sorted,
  };
}

const round = (v: number): number => Math.round(v * 1000) / 1000;
