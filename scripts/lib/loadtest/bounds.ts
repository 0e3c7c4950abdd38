import type { V1Deployment, V2HorizontalPodAutoscaler, V2HPAScalingRules } from '@kubernetes/client-node';
import { UserError } from '../cli.ts';
import { durationSeconds, parseQuantity, type KObject, type ServiceMonitor } from '../manifests/objects.ts';
import { loadExceeds, type Profile } from './profiles.ts';

// Every bound the e2e asserts is computed here, from the rendered HPA and Deployment and
// from the metric pipeline's settings; none is typed in by hand.

/** kube-controller-manager's --horizontal-pod-autoscaler-sync-period default, which every cluster we run keeps. */
export const HPA_SYNC_SECONDS = 15;
/** Time for a watch event or an API read to reach the recorder. */
export const OBSERVATION_LATENCY_SECONDS = 2;
/** The HPA ignores ratios within this of 1 (--horizontal-pod-autoscaler-tolerance default). */
export const HPA_TOLERANCE = 0.1;

export interface HpaSettings {
  minReplicas: number;
  maxReplicas: number;
  metric: string;
  target: number;
  scaleUp: Required<Pick<V2HPAScalingRules, 'stabilizationWindowSeconds'>> & V2HPAScalingRules;
  scaleDown: Required<Pick<V2HPAScalingRules, 'stabilizationWindowSeconds'>> & V2HPAScalingRules;
}

/** The ratio above 1 the HPA ignores before scaling up: the HPA's own, else the default. */
export function scaleUpTolerance(hpa: HpaSettings): number {
  return hpa.scaleUp.tolerance !== undefined ? parseQuantity(String(hpa.scaleUp.tolerance)) : HPA_TOLERANCE;
}

export interface PipelineSettings {
  scrapeSeconds: number;
  rateWindowSeconds: number;
  relistSeconds: number;
  syncSeconds: number;
  /** Pod creation to Ready, as measured on this cluster. */
  podStartSeconds: number;
  /** The pod's mean service time, from the Deployment's INFERENCE_SERVICE_TIME_MS. */
  serviceSeconds: number;
  /** The latency objective the overlay declares (inferscale.dev/latency-slo-ms). */
  latencySloSeconds: number;
}

/** What the bounds need of a load profile (stepAt: when scaling is due). */
export type LoadProfile = Pick<Profile, 'baseRate' | 'peakRate' | 'stepAt' | 'dropAt' | 'dropEndsAt' | 'endAt'>;

export function hpaSettings(objects: KObject[]): HpaSettings {
  const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler') as (V2HorizontalPodAutoscaler & KObject) | undefined;
  const metric = hpa?.spec?.metrics?.find((m) => m.type === 'Pods')?.pods;
  if (!hpa?.spec || !metric?.target.averageValue) throw new UserError('the overlay has no HPA with a Pods metric and an AverageValue target, which the load test asserts on.');
  const rules = (r: V2HPAScalingRules | undefined, fallbackWindow: number) => ({ ...r, stabilizationWindowSeconds: r?.stabilizationWindowSeconds ?? fallbackWindow });
  return {
    minReplicas: hpa.spec.minReplicas ?? 1,
    maxReplicas: hpa.spec.maxReplicas,
    metric: metric.metric.name,
    target: parseQuantity(String(metric.target.averageValue)),
    scaleUp: rules(hpa.spec.behavior?.scaleUp, 0),
    scaleDown: rules(hpa.spec.behavior?.scaleDown, 300),
  };
}

function containerEnv(objects: KObject[], name: string): string | undefined {
  const d = objects.find((o) => o.kind === 'Deployment') as (V1Deployment & KObject) | undefined;
  return d?.spec?.template.spec?.containers.flatMap((c) => c.env ?? []).find((e) => e.name === name)?.value;
}

export function pipelineSettings(
  objects: KObject[],
  opts: { rateWindowSeconds: number; relistSeconds: number; podStartSeconds: number },
): PipelineSettings {
  const sm = objects.find((o) => o.kind === 'ServiceMonitor') as ServiceMonitor | undefined;
  const interval = sm?.spec.endpoints?.[0]?.interval;
  if (!interval) throw new UserError('the overlay has no ServiceMonitor endpoint with an interval, from which the load test computes its bounds.');
  const deployment = objects.find((o) => o.kind === 'Deployment');
  const slo = deployment?.metadata.annotations?.['inferscale.dev/latency-slo-ms'];
  return {
    scrapeSeconds: durationSeconds(interval),
    rateWindowSeconds: opts.rateWindowSeconds,
    relistSeconds: opts.relistSeconds,
    syncSeconds: HPA_SYNC_SECONDS,
    podStartSeconds: opts.podStartSeconds,
    serviceSeconds: Number(containerEnv(objects, 'INFERENCE_SERVICE_TIME_MS') ?? '200') / 1000,
    latencySloSeconds: Number(slo ?? '1000') / 1000,
  };
}

/** The fewest replicas that serve `rate` with every pod at the HPA's target concurrency. */
export function replicasFor(rate: number, hpa: HpaSettings, pipe: PipelineSettings): number {
  const needed = Math.ceil((rate * pipe.serviceSeconds) / hpa.target - 1e-9);
  return Math.min(hpa.maxReplicas, Math.max(hpa.minReplicas, needed));
}

/** Seconds the scale-down policies need to go from `from` to `to` replicas, after the first step. */
export function scaleDownExtraSeconds(from: number, to: number, rules: V2HPAScalingRules): number {
  const policies = rules.policies ?? [{ type: 'Percent', value: 100, periodSeconds: 15 }];
  let replicas = from;
  let steps = 0;
  while (replicas > to && steps < 100) {
    const allowed = policies.map((p) => (p.type === 'Pods' ? p.value : Math.floor((replicas * p.value) / 100)));
    const pick = rules.selectPolicy === 'Min' ? Math.min(...allowed) : Math.max(...allowed);
    replicas = Math.max(to, replicas - Math.max(1, pick));
    steps += 1;
  }
  const period = Math.max(...policies.map((p) => p.periodSeconds));
  return Math.max(0, steps - 1) * period;
}

export interface Bounds {
  /** Earliest and latest time (s from start) of the first replica increase. */
  firstIncreaseEarliest: number;
  firstIncreaseLatest: number;
  /** The replicas the peak rate needs; the run must reach it within one. */
  expectedPeak: number;
  /** No decrease before this: the scale-down window after the last sync that saw the load. */
  firstDecreaseEarliest: number;
  /** Back at minReplicas by this. */
  backAtMinBy: number;
  /** Once back, no change for this long. */
  stableSeconds: number;
  /** The pipeline's floor for the reaction time: what no tuning of ours could beat. */
  reactionFloor: number;
  /** How long the windowed metric takes to cross the target after the step. */
  crossSeconds: number;
}

export function computeBounds(hpa: HpaSettings, pipe: PipelineSettings, load: LoadProfile): Bounds {
  const U = hpa.scaleUp.stabilizationWindowSeconds;
  const D = hpa.scaleDown.stabilizationWindowSeconds;
  const { scrapeSeconds: S, rateWindowSeconds: W, syncSeconds: H, podStartSeconds: P } = pipe;
  const buffer = S + OBSERVATION_LATENCY_SECONDS;
  const startReplicas = hpa.minReplicas;
  const basePerPod = (load.baseRate * pipe.serviceSeconds) / startReplicas;
  const peakPerPod = (load.peakRate * pipe.serviceSeconds) / startReplicas;
  const threshold = hpa.target * (1 + scaleUpTolerance(hpa));
  const crossSeconds = peakPerPod > basePerPod ? (W * Math.max(0, threshold - basePerPod)) / (peakPerPod - basePerPod) : Number.POSITIVE_INFINITY;
  const expectedPeak = replicasFor(load.peakRate, hpa, pipe);
  return {
    firstIncreaseEarliest: load.stepAt + U,
    firstIncreaseLatest: load.stepAt + U + S + W + H + P + buffer,
    expectedPeak,
    // The HPA keeps the highest recommendation of the last D seconds; the last high one can
    // come from the last sync before the drop, up to one sync period earlier.
    firstDecreaseEarliest: load.dropAt + D - H,
    backAtMinBy: load.dropEndsAt + D + S + W + H + scaleDownExtraSeconds(expectedPeak + 1, hpa.minReplicas, hpa.scaleDown) + buffer,
    stableSeconds: H,
    reactionFloor: S / 2 + crossSeconds + H / 2 + P,
    crossSeconds,
  };
}

/** The offered rate above which minReplicas are past the scale-up threshold. */
export function minReplicasCapacity(hpa: HpaSettings, pipe: PipelineSettings): number {
  return (hpa.minReplicas * hpa.target * (1 + scaleUpTolerance(hpa))) / pipe.serviceSeconds;
}

export interface RunBounds {
  pipe: PipelineSettings;
  /** When scaling is due: the step, or where a ramp climbs past minReplicas' capacity. */
  stepAt: number;
  bounds: Bounds;
}

/** Everything a finished run is checked against, from the overlay, the profile and what the run measured. */
export function boundsForRun(objects: KObject[], hpa: HpaSettings, profile: Profile, measured: { rateWindowSeconds: number; relistSeconds: number; podStartSeconds: number }): RunBounds {
  const pipe = pipelineSettings(objects, measured);
  const stepAt = loadExceeds(profile, minReplicasCapacity(hpa, pipe));
  return { pipe, stepAt, bounds: computeBounds(hpa, pipe, { ...profile, stepAt }) };
}
