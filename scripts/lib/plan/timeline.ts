// What a load run records: one sample per second, and every replica change as it happened.

export interface Sample {
  /** Seconds from the start of the run. */
  t: number;
  replicas: number;
  desired: number;
  ready: number;
  /** Average custom-metric value per pod, as the HPA reads it (NaN when unavailable). */
  metric: number;
  /** Requests per second the schedule asked the load driver to start (the arrival rate). */
  offered: number;
  /** Responses per second. */
  achieved: number;
  /** Responses other than 200 and shedding's 429. */
  errors: number;
  /** Requests the pods shed (429 with Retry-After). */
  shed: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface ReplicaChange {
  t: number;
  from: number;
  to: number;
}

export interface RunRecord {
  profile: string;
  /** The schedule the load driver was given (absent in records made before it was kept). */
  schedule?: { startRate: number; stages: { target: number; seconds: number }[] };
  stepAt: number;
  dropAt: number;
  endAt: number;
  samples: Sample[];
  changes: ReplicaChange[];
  /** First time (s) a pod beyond minReplicas turned Ready after the step. */
  firstNewReadyAt?: number;
  requests: {
    total: number;
    /** Requests that failed for a reason other than shedding. */
    failed: number;
    shed: number;
    /** Arrivals the load driver could not send on time: its bound on requests in flight was reached. */
    notSent: number;
    /** Requests under the overlay's latency objective. */
    underSlo: number;
  };
  /** Seconds from creation to Ready of each pod the run saw start. */
  podStarts: number[];
  /**
   * Every status the HPA wrote (the controller writes one at a sync when something changed):
   * when it was seen, its desired replicas, and what it read of each spec.metrics entry, in
   * order. Absent in records made before it was recorded.
   */
  hpaStatus?: HpaStatusSample[];
  /** What the model server said of the run (vLLM's metrics, from Prometheus), where it exports them. */
  server?: ServerFigures;
}

export interface HpaStatusSample {
  t: number;
  desired: number;
  /** status.currentMetrics as numbers, in the order of spec.metrics (NaN where it has none). */
  metrics: number[];
}

/** Samples from t - before to t + after, for a failed assertion's context. */
export function around(record: RunRecord, t: number, before = 10, after = 10): string {
  const rows = record.samples.filter((s) => s.t >= t - before && s.t <= t + after);
  const header = '     t  replicas desired ready  metric offered achieved errors   shed  p95 ms';
  const lines = rows.map(
    (s) =>
      `${s.t.toFixed(0).padStart(6)}  ${String(s.replicas).padStart(8)} ${String(s.desired).padStart(7)} ${String(s.ready).padStart(5)}  ${
        Number.isFinite(s.metric) ? s.metric.toFixed(2).padStart(6) : '   n/a'
      } ${s.offered.toFixed(0).padStart(7)} ${s.achieved.toFixed(0).padStart(8)} ${String(s.errors).padStart(6)} ${String(s.shed).padStart(6)}  ${
        Number.isFinite(s.p95) ? s.p95.toFixed(0).padStart(6) : '   n/a'
      }`,
  );
  return [header, ...lines].join('\n');
}

/** What the model server itself says of a run (scripts/lib/loadtest/server-figures.ts). */
export interface ServerFigures {
  ttftP50Seconds: number;
  ttftP95Seconds: number;
  /** Tokens generated per second by the fleet, every 5 s of the run (s from its start). */
  tokensPerSecond: { t: number; value: number }[];
}
