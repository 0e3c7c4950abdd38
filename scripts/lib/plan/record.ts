import type { PipelineSettings } from './bounds.ts';
import type { RunRecord, Sample } from './timeline.ts';
import type { SimRun, SimSecond } from '../simulate/run.ts';

// A simulated run in the shape a recorded one has, so the same assertions, figures and
// report read both. A request's latency is its wait for a slot (the queue ahead of it over
// the pods' service rate) plus its service time, uniform within the jitter and stretched
// by the CPU limit in compute mode; its percentiles and the share under the objective
// follow from that distribution.

/** The q-quantile of wait + stretch × U(service − jitter, service + jitter). */
export const latencyQuantile = (s: Pick<SimSecond, 'waitSeconds' | 'stretch'>, pipe: Pick<PipelineSettings, 'serviceSeconds' | 'jitterSeconds'>, q: number): number =>
  s.waitSeconds + s.stretch * (pipe.serviceSeconds + (2 * q - 1) * pipe.jitterSeconds);

/** The share of requests of that second under `slo` seconds. */
export function shareUnder(s: Pick<SimSecond, 'waitSeconds' | 'stretch'>, pipe: Pick<PipelineSettings, 'serviceSeconds' | 'jitterSeconds'>, slo: number): number {
  const low = latencyQuantile(s, pipe, 0);
  const high = latencyQuantile(s, pipe, 1);
  if (high <= low) return slo >= low ? 1 : 0;
  return Math.min(1, Math.max(0, (slo - low) / (high - low)));
}

export function simulatedRecord(sim: SimRun, o: { profile: string; stepAt: number; dropAt: number; endAt: number; pipe: PipelineSettings }): RunRecord {
  const seconds = sim.seconds.filter((s) => s.t <= o.endAt);
  const samples: Sample[] = seconds.map((s) => ({
    t: s.t,
    replicas: s.replicas,
    desired: s.replicas,
    ready: s.ready,
    metric: s.concurrency,
    offered: s.offered,
    achieved: s.offered - s.shed,
    errors: 0,
    shed: Math.round(s.shed),
    p50: latencyQuantile(s, o.pipe, 0.5),
    p95: latencyQuantile(s, o.pipe, 0.95),
    p99: latencyQuantile(s, o.pipe, 0.99),
  }));
  const total = Math.round(samples.reduce((n, s) => n + s.offered, 0));
  const shed = samples.reduce((n, s) => n + s.shed, 0);
  const underSlo = Math.round(seconds.reduce((n, s) => n + (s.offered - s.shed) * shareUnder(s, o.pipe, o.pipe.latencySloSeconds), 0));
  return {
    profile: o.profile,
    stepAt: o.stepAt,
    dropAt: o.dropAt,
    endAt: o.endAt,
    samples,
    changes: sim.changes.filter((c) => c.t <= o.endAt),
    firstNewReadyAt: sim.firstNewReadyAt,
    requests: { total, failed: 0, shed, notSent: 0, underSlo },
    podStarts: [o.pipe.podStartSeconds],
  };
}
