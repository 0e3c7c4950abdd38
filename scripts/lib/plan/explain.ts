import type { HpaSettings, PipelineSettings } from './bounds.ts';
import { controllerSettings, CPU_WINDOW_SECONDS, OBSERVATION_LATENCY_SECONDS } from './bounds.ts';
import type { HpaStatusSample, RunRecord, Sample } from './timeline.ts';
import { newMemory, sync, type ControllerMemory, type ControllerSettings, type Decision, type MetricReading, type MetricTarget } from '../simulate/controller.ts';

// Why the HPA did what it did, sync by sync: for a prediction, the simulator's own chain;
// for a real run, the same chain rebuilt from what the run recorded (the metric the HPA
// read, the replicas and the Ready pods), at the syncs the recorded status changes place.

/** A decision beside what the cluster did at that sync (real runs only). */
export interface ExplainedSync extends Decision {
  /** The HPA's desired replicas recorded just after the sync. */
  observed?: number;
}

/**
 * The syncs of a real run: every sync period from the phase of the first replica change
 * (only a sync changes the count; the recorder sees the change as it happens).
 */
export function syncTimes(record: RunRecord, syncSeconds: number): number[] {
  const first = record.changes[0];
  if (!first) return [];
  const phase = first.t % syncSeconds;
  const last = record.samples.at(-1)?.t ?? 0;
  const times: number[] = [];
  for (let t = phase; t <= last; t += syncSeconds) times.push(t);
  return times;
}

/**
 * The chain rebuilt for a real run. With the HPA's statuses recorded (each written at a
 * sync), from what the controller itself read of every metric, at syncs a period apart from
 * the first status (a sync that changed nothing writes none: it read what the last did).
 * Older records have only the per-pod metric: then, for a Pods metric, the recorded average
 * per pod stands for every Ready pod's value (the ratio the controller computes from them
 * is the same), pods not Ready have none, at the syncs the first replica change places.
 */
export function reconstructDecisions(record: RunRecord, hpa: HpaSettings, pipe: Pick<PipelineSettings, 'syncSeconds'>): ExplainedSync[] {
  const settings = controllerSettings(hpa);
  if (record.hpaStatus && record.hpaStatus.length > 0) return fromStatus(record, record.hpaStatus, settings, pipe.syncSeconds);
  if (!settings.metrics.every((m) => m.type === 'Pods')) return [];
  const memory = newMemory();
  const at = (t: number) => record.samples.find((s) => s.t >= t);
  const out: ExplainedSync[] = [];
  for (const t of syncTimes(record, pipe.syncSeconds)) {
    // A sample stands for the second after its t: the one that ends before the sync.
    const before = [...record.samples].reverse().find((s) => s.t <= t - 1);
    const after = at(t + OBSERVATION_LATENCY_SECONDS + 1);
    if (!before || !Number.isFinite(before.metric) || before.ready === 0) continue;
    const readings = settings.metrics.map(() => ({ perPod: Array.from({ length: before.ready }, () => before.metric), missing: Math.max(0, before.replicas - before.ready) }));
    const d = sync(settings, memory, t, { current: before.replicas, ready: before.ready }, readings);
    out.push({ ...d, observed: after?.desired });
  }
  return out;
}

/** How far a status may be seen from the sync time a period predicts (the controller's period drifts a little). */
const STATUS_SLACK_SECONDS = 1.5;

/**
 * How far the record's sync times may be from the controller's own clock: a status is seen
 * when the recorder's watch delivers it, some tenths after the sync that stamped its
 * recommendation, and not by the same delay each time. A recommendation or a scale event
 * within this of a window's or a policy period's edge may have been on either side of it.
 */
export const SYNC_TIMING_SLACK_SECONDS = 1;

/** The rules with every stabilization window and policy period `ds` seconds longer (shorter when negative). */
export function withWindowsShifted(s: ControllerSettings, ds: number): ControllerSettings {
  const shift = (r: ControllerSettings['scaleUp']) => ({
    ...r,
    stabilizationWindowSeconds: r.stabilizationWindowSeconds === 0 ? 0 : Math.max(0, r.stabilizationWindowSeconds + ds),
    policies: r.policies.map((p) => ({ ...p, periodSeconds: Math.max(1, p.periodSeconds + ds) })),
  });
  return { ...s, scaleUp: shift(s.scaleUp), scaleDown: shift(s.scaleDown) };
}

function fromStatus(record: RunRecord, statuses: HpaStatusSample[], settings: ControllerSettings, syncSeconds: number): ExplainedSync[] {
  const memory = newMemory();
  const last = record.samples.at(-1)?.t ?? 0;
  const out: ExplainedSync[] = [];
  const timingVariants = [settings, withWindowsShifted(settings, -SYNC_TIMING_SLACK_SECONDS), withWindowsShifted(settings, SYNC_TIMING_SLACK_SECONDS)];
  for (let t = (statuses[0] as HpaStatusSample).t; t <= last; t += syncSeconds) {
    // A sync that wrote a status is where that status was seen: the next period counts from it.
    const written = statuses.find((s) => Math.abs(s.t - t) <= STATUS_SLACK_SECONDS);
    if (written) t = written.t;
    const status = written ?? [...statuses].reverse().find((s) => s.t <= t);
    const before = [...record.samples].reverse().find((s) => s.t <= t - 1) ?? record.samples[0];
    if (!status || !before || before.ready === 0) continue;
    // The pods the controller counted are those of the second it synced in; the record has
    // them a second apart, so a pod turning Ready within a second of the sync may fall on
    // either side. The second before is taken unless a neighbour's Ready count gives what the
    // cluster set: judged within the record's resolution, never beyond it. A neighbour with
    // other replicas is not taken: that is the sync's own change, which it must not explain.
    // Likewise a recommendation at a window's edge (SYNC_TIMING_SLACK_SECONDS): the windows
    // a little shorter or longer are tried after the exact ones.
    const candidates = [before, ...record.samples.filter((x) => x !== before && Math.abs(x.t - (t - 1)) <= 1 && x.ready > 0 && x.replicas === before.replicas)];
    let chosen: { d: Decision; memory: ControllerMemory } | undefined;
    for (const { rules, sample } of timingVariants.flatMap((rules) => candidates.map((sample) => ({ rules, sample })))) {
      const trial = { ...memory };
      const readings = settings.metrics.map((m, i) => readingOf(m, status.metrics[i] ?? Number.NaN, sample, () => readyTimes(record.samples, sample.t)));
      const d = sync(rules, trial, t, { current: sample.replicas, ready: sample.ready }, readings);
      chosen ??= { d, memory: trial };
      if (d.replicas === status.desired) {
        chosen = { d, memory: trial };
        break;
      }
    }
    if (!chosen) continue;
    Object.assign(memory, chosen.memory);
    // The count the cluster set: this sync's status, or the last one's when it wrote none.
    out.push({ ...chosen.d, observed: status.desired });
  }
  return out;
}

/**
 * What the controller read of one metric, as the rules take it: the External value, or every
 * pod it counted at the status's average. For CPU it counts a pod once it has been Ready a
 * whole metrics window (groupPods' CPU initialization rule: the status averages those only);
 * the Ready ones younger than that are unready, the others missing. `sample` is the
 * second before the sync.
 */
function readingOf(m: MetricTarget, value: number, sample: Pick<Sample, 't' | 'replicas' | 'ready'>, readySince: () => number[]): MetricReading {
  if (!Number.isFinite(value)) return {};
  if (m.type === 'External') return { value: 'averageValue' in m ? value * sample.replicas : value };
  const counted = m.type === 'Resource' ? readySince().filter((at) => at + CPU_WINDOW_SECONDS <= sample.t + 1).length : sample.ready;
  return { perPod: Array.from({ length: counted }, () => value), unready: sample.ready - counted, missing: Math.max(0, sample.replicas - sample.ready) };
}

/**
 * When each pod Ready at `t` turned Ready, from the Ready count second by second: a rise is a
 * pod turning Ready, a fall removes the latest (a ReplicaSet deletes the pods Ready the
 * shortest first). The pods Ready at the first sample were Ready before the run.
 */
export function readyTimes(samples: Pick<Sample, 't' | 'ready'>[], t: number): number[] {
  const times: number[] = [];
  for (const [i, s] of samples.entries()) {
    if (s.t > t) break;
    if (i === 0) times.push(...Array.from({ length: s.ready }, () => Number.NEGATIVE_INFINITY));
    while (times.length < s.ready) times.push(s.t);
    times.length = Math.min(times.length, s.ready);
  }
  return times;
}

/** The decision nearest `t`. */
export function nearest<T extends Decision>(decisions: T[], t: number): T | undefined {
  return decisions.reduce<T | undefined>((best, d) => (best === undefined || Math.abs(d.at - t) < Math.abs(best.at - t) ? d : best), undefined);
}

/**
 * The syncs worth a row: the first, every one that changed the count, every one a window or
 * a policy held back (not those merely clamped at minReplicas or maxReplicas, where the
 * count already is), and for a real run every one where the cluster set another count.
 */
export function notable<T extends ExplainedSync>(decisions: T[]): T[] {
  return decisions.filter(
    (d, i) =>
      i === 0 ||
      d.replicas !== d.current ||
      (d.proposed !== d.current && !(d.limit === 'TooFewReplicas' || d.limit === 'TooManyReplicas')) ||
      (d.observed !== undefined && d.observed !== d.replicas),
  );
}

export function decisionTable(decisions: ExplainedSync[], observed: boolean): string[] {
  const head = observed ? '| t | replicas | metric (ratio to target) | proposed | after windows | after rates, min/max | set by | the cluster set |' : '| t | replicas | metric (ratio to target) | proposed | after windows | after rates, min/max | set by |';
  const rule = observed ? '| --- | --- | --- | --- | --- | --- | --- | --- |' : '| --- | --- | --- | --- | --- | --- | --- |';
  const rows = notable(decisions).map((d) => {
    const metrics = d.metrics.map((m) => `${m.name} ${m.usage.toFixed(2)} (${Number.isFinite(m.ratio) ? m.ratio.toFixed(2) : 'n/a'})`).join(', ');
    const cells = [`${d.at.toFixed(1)} s`, d.current, metrics, d.proposed, d.stabilized, `${d.replicas} (${d.limit})`, d.rule];
    if (observed) cells.push(d.observed ?? 'n/a');
    return `| ${cells.join(' | ')} |`;
  });
  return [head, rule, ...rows];
}
