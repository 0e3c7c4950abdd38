import type { PipelineSettings } from '../loadtest/bounds.ts';
import type { RunRecord, Sample } from '../loadtest/timeline.ts';
import type { SimRun } from './run.ts';

// A simulated run in the shape a recorded one has, so the same assertions, figures and
// report read both. Latency is the fluid model's: the service time, stretched by the queue
// (requests in flight per pod over its slots) once every slot is busy.

export function simulatedRecord(sim: SimRun, o: { profile: string; stepAt: number; dropAt: number; endAt: number; pipe: PipelineSettings }): RunRecord {
  const latency = (concurrency: number) => o.pipe.serviceSeconds * Math.max(1, concurrency / o.pipe.slots);
  const samples: Sample[] = sim.seconds
    .filter((s) => s.t <= o.endAt)
    .map((s) => {
      const l = latency(s.concurrency);
      return { t: s.t, replicas: s.replicas, desired: s.replicas, ready: s.ready, metric: s.concurrency, offered: s.offered, achieved: s.offered - s.shed, errors: 0, shed: Math.round(s.shed), p50: l, p95: l, p99: l };
    });
  const total = Math.round(samples.reduce((n, s) => n + s.offered, 0));
  const shed = samples.reduce((n, s) => n + s.shed, 0);
  const underSlo = Math.round(samples.filter((s) => s.p95 <= o.pipe.latencySloSeconds).reduce((n, s) => n + s.offered - s.shed, 0));
  return {
    profile: o.profile,
    stepAt: o.stepAt,
    dropAt: o.dropAt,
    endAt: o.endAt,
    samples,
    changes: sim.changes.filter((c) => c.t <= o.endAt),
    firstNewReadyAt: sim.firstNewReadyAt,
    requests: { total, failed: 0, shed, dropped: 0, underSlo },
    podStarts: [o.pipe.podStartSeconds],
  };
}
