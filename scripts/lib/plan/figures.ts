import { replicasFor, type Bounds, type HpaSettings, type PipelineSettings } from './bounds.ts';
import type { RunRecord } from './timeline.ts';

// The performance figures of a run, beside what the controller's rules allow: the reaction
// at the best phase of sync and scrape, the mean over phases (the expected), and the worst.

export interface Figures {
  /** Step to the first new replica Ready, seconds. */
  reactionSeconds: number;
  reaction: Bounds['reaction'];
  /** Load drop to back at minReplicas, seconds. */
  settleSeconds: number;
  /** Share of requests under the overlay's latency objective. */
  sloAttainment: number;
  replicaSeconds: number;
  /** The fewest replicas that could have served the offered load, summed over the run. */
  oracleReplicaSeconds: number;
  /** Direction changes of the replica count beyond those of the offered load. */
  reversals: number;
}

function directionChanges(series: number[]): number {
  let changes = 0;
  let last = 0;
  for (let i = 1; i < series.length; i++) {
    const d = Math.sign((series[i] as number) - (series[i - 1] as number));
    if (d === 0) continue;
    if (last !== 0 && d !== last) changes += 1;
    last = d;
  }
  return changes;
}

export function computeFigures(record: RunRecord, hpa: HpaSettings, pipe: PipelineSettings, bounds: Bounds): Figures {
  const reachedMin = record.changes.find((c) => c.t >= record.dropAt && c.to === hpa.minReplicas);
  const loaded = record.samples.filter((s) => s.t < record.endAt);
  return {
    reactionSeconds: record.firstNewReadyAt !== undefined ? record.firstNewReadyAt - record.stepAt : Number.NaN,
    reaction: bounds.reaction,
    settleSeconds: reachedMin ? reachedMin.t - record.dropAt : Number.NaN,
    sloAttainment: record.requests.total > 0 ? record.requests.underSlo / record.requests.total : Number.NaN,
    replicaSeconds: loaded.reduce((n, s) => n + s.replicas, 0),
    oracleReplicaSeconds: loaded.reduce((n, s) => n + replicasFor(s.offered, hpa, pipe), 0),
    reversals: Math.max(0, directionChanges(record.changes.flatMap((c, i) => (i === 0 ? [c.from, c.to] : [c.to]))) - directionChanges(loaded.map((s) => Math.round(s.offered)))),
  };
}

export function figureLines(f: Figures, pipe: PipelineSettings, minReplicas: number): string[] {
  // When no phase of the controller's model adds a pod, there is no reaction to set a run's against.
  const bounded = Number.isFinite(f.reaction.expected);
  const phases = `best phase ${f.reaction.best.toFixed(1)} s, expected ${f.reaction.expected.toFixed(1)} s, worst ${f.reaction.worst.toFixed(1)} s`;
  return [
    Number.isFinite(f.reactionSeconds)
      ? `reaction time: ${f.reactionSeconds.toFixed(1)} s${bounded ? ` (${phases}; ratio to the expected ${(f.reactionSeconds / f.reaction.expected).toFixed(2)})` : ''}`
      : `reaction time: no new replica was Ready during the run${bounded ? ` (${phases})` : ''}`,
    Number.isFinite(f.settleSeconds) ? `settle time: ${f.settleSeconds.toFixed(1)} s after the load dropped` : `settle time: not back at minReplicas (${minReplicas}) before the run ended`,
    `SLO attainment: ${(f.sloAttainment * 100).toFixed(2)} % of requests under ${(pipe.latencySloSeconds * 1000).toFixed(0)} ms (target ≥ 99 %)`,
    `replica-seconds: ${f.replicaSeconds} against an oracle of ${f.oracleReplicaSeconds} (ratio ${(f.replicaSeconds / f.oracleReplicaSeconds).toFixed(2)}; target ≤ 1.3)`,
    `direction reversals: ${f.reversals} (target 0)`,
  ];
}
