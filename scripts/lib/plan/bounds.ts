import { availableParallelism } from 'node:os';
import type { V1Deployment, V2HorizontalPodAutoscaler, V2HPAScalingRules } from '@kubernetes/client-node';
import { UserError } from '../cli.ts';
import { durationSeconds, parseQuantity, type KObject, type ServiceMonitor } from '../manifests/objects.ts';
import { longestRequestMs, type ServiceConfig } from '../../../inference/src/config.ts';
import { containerCpuOf, requestCostOf, serviceConfigOf } from '../manifests/service-config.ts';
import type { RunRecord } from './timeline.ts';
import { CAPACITY_ANNOTATION, capacityOf } from '../manifests/capacity.ts';
import { scaledDeploymentOf, serverFactsOf, type ServerFacts } from '../manifests/server-facts.ts';
import { sloMsOf } from '../manifests/slo.ts';
import { limitRate, withDefaults, type ControllerSettings, type MetricTarget, type ScaleEvent } from '../simulate/controller.ts';
import { kedaHpa, scaledObjectOf } from '../manifests/keda.ts';
import { allPhases, simulate, type Arrivals, type Phases, type PipelineModel, type PodSettings, type SimRun } from '../simulate/run.ts';
import { loadExceeds, loadFallsBelow, offeredAt, REFERENCE_RATE, scaleProfile, withTail, type Profile } from './profiles.ts';

// Every bound the e2e asserts is computed here: the controller's own rules
// (simulate/controller.ts) run over the profile's schedule, the pods and the metric pipeline
// (simulate/run.ts), at every phase of the sync period and the scrape interval, and every
// spacing of the pods' scrapes within it, that nobody controls. The earliest and latest of
// each event over those phases are the bounds; none is typed in by hand.

/** kube-controller-manager's --horizontal-pod-autoscaler-sync-period default, which every cluster we run keeps. */
export const HPA_SYNC_SECONDS = 15;
/** Time for a watch event or an API read to reach the recorder. */
export const OBSERVATION_LATENCY_SECONDS = 2;
/** metrics-server's --metric-resolution as its published manifests and the embedded cluster run it: the window a pod's CPU is averaged over. */
export const CPU_WINDOW_SECONDS = 15;
/** The per-pod metric the runs record when the HPA scales on none (the concurrency our adapter rule serves). */
export const RECORDED_METRIC = 'inference_concurrency';
/** The offered load per pod in requests in flight (policies/demand): the rate of the arrivals' costs alone. */
export const DEMAND_METRIC = 'inference_demand';
/** That load over what a pod runs at once: 1 is a pod at its capacity, whatever the server. */
export const UTILIZATION_METRIC = 'inference_utilization';
const signalOf = (name: string): { signal?: 'demand' | 'utilization' } => (name === DEMAND_METRIC ? { signal: 'demand' } : name === UTILIZATION_METRIC ? { signal: 'utilization' } : {});

export interface HpaSettings {
  minReplicas: number;
  maxReplicas: number;
  /** Every metric the HPA scales on, with its target. */
  metrics: MetricTarget[];
  /** The per-pod metric a run records: the HPA's Pods metric, else inference_concurrency. */
  metric: string;
  /**
   * The Pods metric's target (requests in flight, or the load signal it names: podRateAt
   * tells them apart), else the pods' slots (a policy on another signal is judged by when pods
   * are full).
   */
  target: number;
  scaleUp: Required<Pick<V2HPAScalingRules, 'stabilizationWindowSeconds'>> & V2HPAScalingRules;
  scaleDown: Required<Pick<V2HPAScalingRules, 'stabilizationWindowSeconds'>> & V2HPAScalingRules;
}

/** What a run measures of its pipeline before it is planned: the rule's window and kind (from the adapter rule), the adapter's relist, the pods' start. */
export interface MeasuredPipeline {
  rateWindowSeconds: number;
  relistSeconds: number;
  podStartSeconds: number;
  /** The rule averages sampled gauges (avg_over_time) rather than a counter's rate(). */
  averagesGauges?: boolean;
}

/** The pipeline as the simulator models it (its timings: simulate/run.ts's PipelineModel) and the pods it feeds. */
export interface PipelineSettings extends PipelineModel {
  /** Pod creation to Ready, as measured on this cluster. */
  podStartSeconds: number;
  /** The pod's mean service time of the load's request (manifests/service-config.ts's requestCostOf), and its jitter (± uniform). */
  serviceSeconds: number;
  jitterSeconds: number;
  /** INFERENCE_COMPUTE_MODE, and the container's CPU request and limit (cores). */
  cpu: PodSettings['cpu'];
  /** The pod's slots and queue (INFERENCE_SLOTS, INFERENCE_QUEUE_LIMIT, defaults included). */
  slots: number;
  queueLimit: number;
  /** The longest a request can take: a full queue ahead of it, then its own service. */
  longestRequestSeconds: number;
  /** The latency objective the overlay declares (inferscale.dev/latency-slo-ms). */
  latencySloSeconds: number;
}

/** The HPA's spec.metrics the controller model knows, with their targets as numbers. */
function metricTargets(hpa: V2HorizontalPodAutoscaler): MetricTarget[] {
  const targets: MetricTarget[] = [];
  for (const m of hpa.spec?.metrics ?? []) {
    if (m.type === 'Pods' && m.pods?.target.averageValue !== undefined) targets.push({ type: 'Pods', name: m.pods.metric.name, averageValue: parseQuantity(String(m.pods.target.averageValue)), ...signalOf(m.pods.metric.name) });
    else if (m.type === 'External' && m.external?.target.value !== undefined) targets.push({ type: 'External', name: m.external.metric.name, value: parseQuantity(String(m.external.target.value)) });
    else if (m.type === 'External' && m.external?.target.averageValue !== undefined) targets.push({ type: 'External', name: m.external.metric.name, averageValue: parseQuantity(String(m.external.target.averageValue)) });
    else if (m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target.averageUtilization !== undefined) targets.push({ type: 'Resource', name: 'cpu', averageUtilization: m.resource.target.averageUtilization });
    else throw new UserError(`the HPA's ${m.type} metric ${JSON.stringify(m.pods?.metric.name ?? m.external?.metric.name ?? m.resource?.name ?? '')} has a target the simulator does not model; use Pods/AverageValue, External/Value or AverageValue, or Resource cpu/Utilization.`);
  }
  return targets;
}

/** The overlay's HPA: its own, or the one KEDA makes of its ScaledObject. */
export function hpaOf(objects: KObject[]): (V2HorizontalPodAutoscaler & KObject) | undefined {
  const own = objects.find((o) => o.kind === 'HorizontalPodAutoscaler') as (V2HorizontalPodAutoscaler & KObject) | undefined;
  const so = scaledObjectOf(objects);
  return own ?? (so ? kedaHpa(so) : undefined);
}

/** A KEDA query for the fleet's requests in flight: ours (the in-flight-seconds integral's rate), or the vLLM preset's gauges. */
const FLEET_IN_FLIGHT = /^[\s(]*sum\(\s*(rate\(\s*inference_inflight_seconds_total|avg_over_time\(\s*vllm:num_requests_running)\b/;

/** What an External metric stands for, from the rule or the query that serves it. */
function externalSignals(objects: KObject[], metrics: MetricTarget[]): MetricTarget[] {
  const so = scaledObjectOf(objects);
  return metrics.map((m, i) => {
    if (m.type !== 'External') return m;
    const query = so?.spec.triggers[i]?.metadata.query;
    if (query === undefined) return { ...m, signal: 'latency' };
    // The fleet's requests in flight, ours or the vLLM preset's running + waiting (the batch
    // backlog beside it is 0 under the load driver, which never retries).
    if (FLEET_IN_FLIGHT.test(query)) return { ...m, signal: 'concurrency' };
    throw new UserError(`the simulator models a ScaledObject's Prometheus query only as the fleet's requests in flight (the sum of the rate of inference_inflight_seconds_total, or of vLLM's running and waiting averaged over time); got "${query}".`);
  });
}

export function hpaSettings(objects: KObject[]): HpaSettings {
  const hpa = hpaOf(objects);
  const metrics = hpa ? externalSignals(objects, metricTargets(hpa)) : [];
  if (!hpa?.spec || metrics.length === 0) throw new UserError('the overlay has no HPA with a metric and a target, which the load test asserts on.');
  const pods = metrics.find((m) => m.type === 'Pods');
  // KEDA's trigger on the same signal: its threshold is the target per replica.
  const perReplica = metrics.find((m) => m.type === 'External' && m.signal === 'concurrency' && 'averageValue' in m) as { averageValue: number } | undefined;
  const rules = (r: V2HPAScalingRules | undefined, fallbackWindow: number) => ({ ...r, stabilizationWindowSeconds: r?.stabilizationWindowSeconds ?? fallbackWindow });
  return {
    minReplicas: hpa.spec.minReplicas ?? 1,
    maxReplicas: hpa.spec.maxReplicas,
    metrics,
    metric: pods?.name ?? RECORDED_METRIC,
    target: pods?.averageValue ?? perReplica?.averageValue ?? factsOf(objects).slots,
    scaleUp: rules(hpa.spec.behavior?.scaleUp, 0),
    scaleDown: rules(hpa.spec.behavior?.scaleDown, 300),
  };
}

/** The inference container's settings as the service reads them, defaults included; undefined for another server. */
function serviceConfig(objects: KObject[]): ServiceConfig | undefined {
  const d = scaledDeploymentOf(objects);
  const config = d ? serviceConfigOf(d) : undefined;
  if (typeof config === 'string') throw new UserError(`the overlay's inference container would not start: ${config}`);
  return config;
}

/** The scaled server's facts: the service's settings, or the Deployment's annotations (an error names a missing one). */
function factsOf(objects: KObject[]): ServerFacts {
  const d = scaledDeploymentOf(objects);
  if (!d) throw new UserError('the overlay has no Deployment to scale.');
  return serverFactsOf(d);
}

/** The inference container's CPU request and limit, cores (a limit of the node's cores when none is set). */
function cpuOf(objects: KObject[]): { requestCores: number; limitCores: number } {
  const { requestCores, limitCores } = containerCpuOf(objects.find((o) => o.kind === 'Deployment') as (V1Deployment & KObject) | undefined);
  return { requestCores: requestCores ?? 1, limitCores: limitCores ?? availableParallelism() };
}

export function pipelineSettings(
  objects: KObject[],
  opts: MeasuredPipeline,
): PipelineSettings {
  const sm = objects.find((o) => o.kind === 'ServiceMonitor') as ServiceMonitor | undefined;
  const interval = sm?.spec.endpoints?.[0]?.interval;
  if (!interval) throw new UserError('the overlay has no ServiceMonitor endpoint with an interval, from which the load test computes its bounds.');
  const config = serviceConfig(objects);
  const facts = factsOf(objects);
  const deployment = scaledDeploymentOf(objects);
  const sloMs = sloMsOf(deployment, 'the bounds and the report judge latency by it');
  const cpu = cpuOf(objects);
  const capacity = capacityOf(deployment);
  const common = {
    scrapeSeconds: durationSeconds(interval),
    rateWindowSeconds: opts.rateWindowSeconds,
    averagesGauges: opts.averagesGauges ?? false,
    relistSeconds: opts.relistSeconds,
    syncSeconds: HPA_SYNC_SECONDS,
    cpuWindowSeconds: CPU_WINDOW_SECONDS,
    podStartSeconds: opts.podStartSeconds,
    slots: facts.slots,
    queueLimit: facts.queueLimit,
    latencySloSeconds: sloMs / 1000,
  };
  if (capacity) {
    // A calibrated server serves requestsPerSecond at most. Ours on the CPU: its running
    // requests share the pod's CPU limit (a compute-bound pod of that cost, as the simulator
    // models it). Another server: its sequences run side by side on the accelerator.
    const longestRequestSeconds = (facts.queueLimit + facts.slots) / capacity.requestsPerSecond;
    return config
      ? { ...common, serviceSeconds: cpu.limitCores / capacity.requestsPerSecond, jitterSeconds: 0, cpu: { mode: 'compute', ...cpu }, longestRequestSeconds }
      : { ...common, serviceSeconds: facts.slots / capacity.requestsPerSecond, jitterSeconds: 0, cpu: { mode: 'sleep', ...cpu }, longestRequestSeconds };
  }
  if (!config) {
    // Another server (a preset's): its work is on the accelerator, off the pod's CPU.
    return {
      ...common,
      serviceSeconds: facts.requestMs / 1000,
      jitterSeconds: 0,
      cpu: { mode: 'sleep', ...cpu },
      longestRequestSeconds: ((Math.ceil(facts.queueLimit / facts.slots) + 1) * facts.requestMs) / 1000,
    };
  }
  // Ours: what the load's request costs (a completion's tokens, or the predict route's time).
  const cost = requestCostOf(deployment as V1Deployment, config);
  return {
    ...common,
    serviceSeconds: cost.ms / 1000,
    jitterSeconds: cost.jitterMs / 1000,
    cpu: { mode: config.computeMode, ...cpu },
    longestRequestSeconds: longestRequestMs(config, cpu.limitCores, cost) / 1000,
  };
}

/**
 * The profile as the run offers it: with `sized` (its rates are the defaults) and an overlay
 * with a calibrated capacity, every rate scaled by loadScale; otherwise as given.
 */
export function sizedProfile(objects: KObject[], profile: Profile, measured: Parameters<typeof pipelineSettings>[1], sized: boolean | undefined): { profile: Profile; scale?: number } {
  const scale = sized ? loadScale(objects, pipelineSettings(objects, measured)) : undefined;
  return scale === undefined ? { profile } : { profile: scaleProfile(profile, scale), scale };
}

/** What a sized run says of its rates. */
export const sizedLine = (p: Profile, scale: number): string =>
  `the ${p.name} load is sized to the overlay's calibrated capacity (${CAPACITY_ANNOTATION}): the default rates × ${scale.toFixed(4)}, ${p.baseRate} to ${p.peakRate} req/s`;

/**
 * How much the built-in profiles' rates scale for an overlay with a calibrated capacity:
 * their defaults are sized for overlays/local, whose minReplicas serve REFERENCE_RATE at the
 * HPA's target; undefined for an overlay without one (its rates stay the defaults).
 */
export function loadScale(objects: KObject[], pipe: PipelineSettings): number | undefined {
  if (!capacityOf(objects.find((o) => o.kind === 'Deployment'))) return undefined;
  const hpa = hpaSettings(objects);
  return (hpa.minReplicas * podRateAt(hpa, pipe)) / REFERENCE_RATE;
}

/**
 * Requests per second one pod serves with `concurrency` requests in flight: each running
 * request finishes in the service time, up to the slots; in compute mode the running ones
 * share the pod's CPU limit, so its throughput stops at limit / service time.
 */
export function podThroughput(concurrency: number, pipe: Pick<PipelineSettings, 'slots' | 'serviceSeconds' | 'cpu'>): number {
  // Reports written before the CPU model have no cpu: they were sleep-mode runs.
  const running = Math.min(concurrency, pipe.slots, pipe.cpu?.mode === 'compute' ? pipe.cpu.limitCores : Number.POSITIVE_INFINITY);
  return running / pipe.serviceSeconds;
}

/**
 * The rate one pod serves while a Pods metric that is not requests in flight reads `value`
 * there: utilization (the offered load over what the pod runs at once) is that share of its
 * whole throughput; demand is seconds of service a second. Undefined for requests in flight.
 */
function rateOfLoadSignal(value: number, hpa: Pick<HpaSettings, 'metrics'>, pipe: Pick<PipelineSettings, 'slots' | 'serviceSeconds' | 'cpu'>): number | undefined {
  // Reports written before the signals were told apart have no metrics: they scaled on in flight.
  const signal = hpa.metrics?.find((m) => m.type === 'Pods')?.signal;
  if (signal === 'utilization') return value * podThroughput(Number.POSITIVE_INFINITY, pipe);
  if (signal === 'demand') return value / pipe.serviceSeconds;
  return undefined;
}

/** The rate one pod serves at `value` of the HPA's metric (its target, unless given), counted as the capacity figures count requests in flight: running, up to the slots and the CPU limit. */
export function podRateAt(hpa: Pick<HpaSettings, 'metrics' | 'target'>, pipe: Pick<PipelineSettings, 'slots' | 'serviceSeconds' | 'cpu'>, value = hpa.target): number {
  return rateOfLoadSignal(value, hpa, pipe) ?? podThroughput(value, pipe);
}

/**
 * The fewest replicas that serve `rate` with every pod's metric at the HPA's target, as the
 * controller would read it in a steady state: off the CPU the rate its target's requests in
 * flight serve; on a CPU limit, where requests in flight grow as ρ / (1 − ρ), the utilisation
 * that target means (3 in flight: 0.75 of the pod's throughput, as 3 of 4 slots off the CPU).
 */
export function replicasFor(rate: number, hpa: HpaSettings, pipe: PipelineSettings): number {
  const needed = Math.ceil(rate / rateAtAverage(hpa.target, hpa, pipe) - 1e-9);
  return Math.min(hpa.maxReplicas, Math.max(hpa.minReplicas, needed));
}

/**
 * The fewest replicas a run's peak may reach and still pass (assertion 3): what the offered load
 * needs at the target, or the lowest peak any phase of sync and scrape gives, less one.
 */
export const leastPeak = (b: Pick<Bounds, 'peakLow' | 'expectedPeak'>): number => Math.min(b.peakLow, b.expectedPeak) - 1;

/** The controller's view of the HPA: its rules with the API server's defaults filled in. */
export function controllerSettings(hpa: HpaSettings): ControllerSettings {
  return {
    minReplicas: hpa.minReplicas,
    maxReplicas: hpa.maxReplicas,
    metrics: hpa.metrics,
    scaleUp: withDefaults(hpa.scaleUp, 'up', parseQuantity),
    scaleDown: withDefaults(hpa.scaleDown, 'down', parseQuantity),
  };
}

export interface Range {
  earliest: number;
  latest: number;
}

export interface Bounds {
  /** Earliest and latest time (s from start) of the first replica increase. */
  firstIncreaseEarliest: number;
  firstIncreaseLatest: number;
  /** The replicas the peak rate needs at the target; the run must reach the simulated peak within one. */
  expectedPeak: number;
  peakLow: number;
  peakHigh: number;
  /** No decrease before this: the scale-down window after the last sync that saw the load. */
  firstDecreaseEarliest: number;
  /** Back at minReplicas by this. */
  backAtMinBy: number;
  /** Once back, no change for this long. */
  stableSeconds: number;
  /** Step to the first new pod Ready: the best phase, the mean over phases, the worst. */
  reaction: { best: number; expected: number; worst: number };
  /** At most this many requests shed (429) in the whole run: the capacity gap over the reaction budget. */
  shedBound: number;
  /** Shedding stops within this once the Ready pods can serve the offered load: a full queue drains. */
  shedSettleSeconds: number;
  /** How long the run must be observed: the latest bound, then the stable period. */
  observeUntil: number;
}

const minOf = (xs: number[]) => Math.min(...xs);
const maxOf = (xs: number[]) => Math.max(...xs);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;


export const podsOf = (pipe: PipelineSettings): PodSettings => ({
  slots: pipe.slots,
  queueLimit: pipe.queueLimit,
  serviceSeconds: pipe.serviceSeconds,
  jitterSeconds: pipe.jitterSeconds,
  startSeconds: pipe.podStartSeconds,
  cpu: pipe.cpu,
});

/** Runs the profile at one phase of sync and scrape, for `seconds`; arrivals even unless given (a seeded Poisson draw). */
export function simulateAt(hpa: HpaSettings, pipe: PipelineSettings, profile: Profile, seconds: number, phases: Phases, arrivals?: Arrivals): SimRun {
  return simulate((t) => offeredAt(profile, t), seconds, controllerSettings(hpa), podsOf(pipe), pipe, phases, { arrivals });
}

/**
 * Runs the profile at every phase; `seconds` long enough for the slowest to settle. With
 * `strides`, at every spacing of the pods' scrapes too (each target has its own offset).
 */
export function simulateAllPhases(hpa: HpaSettings, pipe: PipelineSettings, profile: Profile, seconds: number, o: { strides?: boolean } = {}): SimRun[] {
  return allPhases(pipe, 1, o).map((phases) => simulateAt(hpa, pipe, profile, seconds, phases));
}

/** How far past its window a recommendation may still count: more than a sync's duration, less than a scrape. */
const BOUNDARY_SECONDS = 0.5;

let sweeps = 0;
/** How many sweeps this process has run: a load run plans with one (a test counts it). */
export const sweepsRun = (): number => sweeps;

/**
 * The one pass over the phases a run is planned with: every phase of sync and scrape and
 * every spacing of the pods' scrapes (a sync that reads one pod's fresh rate and another's
 * from a few seconds back decides differently near a threshold: a sawtooth's teeth show it,
 * and the offsets are Prometheus's, not ours).
 */
export function sweepPhases(hpa: HpaSettings, pipe: PipelineSettings, profile: Profile, seconds: number): SimRun[] {
  sweeps++;
  return simulateAllPhases(hpa, pipe, profile, seconds, { strides: true });
}

/** Long enough for the slowest phase to scale down after the load: the scale-down window, a rate window and a sync per policy step beyond its end. */
export function planHorizon(hpa: HpaSettings, pipe: PipelineSettings, endAt: number): number {
  return endAt + hpa.scaleDown.stabilizationWindowSeconds + pipe.rateWindowSeconds + (hpa.maxReplicas + 1) * pipe.syncSeconds;
}

/** The bounds over a sweep of `profile`, for a run observed from 0 to at least `endAt`. */
export function computeBounds(hpa: HpaSettings, pipe: PipelineSettings, profile: Profile, stepAt: number, runs: SimRun[], endAt = profile.endAt): Bounds {
  const H = pipe.syncSeconds;
  const peaks = runs.map((r) => maxOf(r.seconds.map((s) => s.replicas)));
  const firstDown = runs.map((r) => r.changes.find((c) => c.to < c.from)?.t ?? Number.POSITIVE_INFINITY);
  const reactions = runs.map((r) => (r.firstNewReadyAt ?? Number.NaN) - stepAt).filter(Number.isFinite);
  // The worst case for shedding: no new capacity until the latest first new pod, then the queue full.
  const budgetEnd = stepAt + (reactions.length ? maxOf(reactions) : endAt - stepAt);
  const minCapacity = hpa.minReplicas * podThroughput(pipe.slots, pipe);
  let gap = 0;
  for (let t = 0; t < budgetEnd; t += 0.1) gap += Math.max(0, offeredAt(profile, t) - minCapacity) * 0.1;
  // The latest return a correct controller can make, from its rules (returnBound); the
  // simulator's phases are a prediction inside it, which a test holds.
  const backAtMinBy = returnBound(hpa, pipe, profile, endAt).by;
  // Likewise the first increase (increaseBound), from the rules and the offered load.
  const increase = increaseBound(hpa, pipe, profile);
  return {
    firstIncreaseEarliest: increase.earliest,
    firstIncreaseLatest: increase.latest,
    expectedPeak: replicasFor(profile.peakRate, hpa, pipe),
    peakLow: minOf(peaks),
    peakHigh: maxOf(peaks),
    firstDecreaseEarliest: minOf(firstDown),
    backAtMinBy,
    stableSeconds: H,
    reaction: reactions.length ? { best: minOf(reactions), expected: mean(reactions), worst: maxOf(reactions) } : { best: Number.NaN, expected: Number.NaN, worst: Number.NaN },
    shedBound: Math.ceil(gap),
    shedSettleSeconds: pipe.longestRequestSeconds + OBSERVATION_LATENCY_SECONDS,
    // A load that never gets quiet needs no return to minReplicas: the schedule's end.
    observeUntil: Math.ceil(Math.max(endAt, Number.isFinite(backAtMinBy) ? backAtMinBy + H + OBSERVATION_LATENCY_SECONDS : endAt)),
  };
}

/**
 * The most load minReplicas serve with every sync proposing no more than minReplicas: their
 * requests in flight at most the target. Off the CPU a pod's in-flight is its rate times the
 * service time (Little's law); on a CPU limit its requests share the cores, and in flight
 * grows as ρ / (1 − ρ) with the utilisation ρ (processor sharing), so ρ at most target / (1 + target).
 */
export function minReplicasQuietRate(hpa: HpaSettings, pipe: PipelineSettings): number {
  return hpa.minReplicas * rateAtAverage(hpa.target, hpa, pipe);
}

/**
 * The rate one pod takes while the HPA's metric averages `value` there (see
 * minReplicasQuietRate): in flight as the queue makes it, a load signal as it counts.
 */
function rateAtAverage(value: number, hpa: HpaSettings, pipe: PipelineSettings): number {
  const load = rateOfLoadSignal(value, hpa, pipe);
  if (load !== undefined) return load;
  return pipe.cpu?.mode === 'compute' ? podThroughput(Number.POSITIVE_INFINITY, pipe) * (value / (1 + value)) : podThroughput(value, pipe);
}

export interface IncreaseBound {
  /** No sync can propose more than minReplicas before the load first passes what they hold at the scale-up threshold (target × (1 + tolerance)). */
  earliest: number;
  /** When the load, averaged over the rate window, is past what minReplicas can hold at all under the threshold; none: it never is. */
  crossAt: number;
  /** Then a scrape shows it, the next sync proposes more, and the scale-up window keeps it (whole syncs). */
  latest: number;
}

/**
 * When a correct controller first adds a pod, from its rules and the offered load: not
 * before the load passes the scale-up threshold of minReplicas (nor, with a scale-up window
 * longer than a sync, before the window after the sync that first read it), and no later
 * than the sync after the rate window's average of the load is past it for sure (off the CPU
 * by Little's law; on a CPU limit, past the pods' whole throughput), a scrape later, with
 * the syncs a scale-up window longer than a sync holds it on top.
 */
export function increaseBound(hpa: HpaSettings, pipe: PipelineSettings, profile: Profile): IncreaseBound {
  const tolerance = controllerSettings(hpa).scaleUp.tolerance;
  const threshold = hpa.target * (1 + tolerance);
  const upWindow = hpa.scaleUp.stabilizationWindowSeconds;
  const earliest = loadExceeds(profile, hpa.minReplicas * rateAtAverage(threshold, hpa, pipe)) + Math.max(0, upWindow - pipe.syncSeconds);
  const sure = pipe.cpu.mode === 'compute' ? hpa.minReplicas * podThroughput(Number.POSITIVE_INFINITY, pipe) : minReplicasCapacity(hpa, pipe);
  const w = pipe.rateWindowSeconds;
  let crossAt = Number.POSITIVE_INFINITY;
  for (let tenth = 0; tenth <= profile.endAt * 10; tenth++) {
    const t = tenth / 10;
    let sum = 0;
    for (let u = Math.max(0, t - w); u < t; u += 0.1) sum += offeredAt(profile, u) * 0.1;
    if (sum / w > sure) {
      crossAt = t;
      break;
    }
  }
  // The window keeps the syncs of the last upWindow seconds (a sync's own timing moves them by
  // up to BOUNDARY_SECONDS): shorter than a sync it holds only the sync's own recommendation.
  const heldSyncs = upWindow > 0 ? Math.max(0, Math.ceil((upWindow + BOUNDARY_SECONDS) / pipe.syncSeconds) - 1) : 0;
  const latest = crossAt + pipe.scrapeSeconds + pipe.syncSeconds + heldSyncs * pipe.syncSeconds + OBSERVATION_LATENCY_SECONDS;
  return { earliest, crossAt, latest };
}

/** The latest return to minReplicas, and the steps it is made of. */
export interface ReturnBound {
  /** When the load last asks more than minReplicas serve quietly (minReplicasQuietRate); none: it never stops. */
  quietFrom: number;
  /** After this no sync reads that load: a full queue drained, the rate window and a scrape passed. */
  lastHighSync: number;
  /**
   * The highest recommendation kept leaves the scale-down window, and the half second a sync's
   * own timing adds: a recommendation made exactly one window before a sync may fall inside it
   * (with a window of whole sync periods, as the Flux e2e commits, that holds the count one
   * sync longer: a real spike went 4 -> 2 at 147.1 s, not 132 s).
   */
  windowEnds: number;
  /** From the first sync after it, the scale-down policies' steps from maxReplicas to minReplicas. */
  steps: { at: number; to: number }[];
  /** Back at minReplicas by this, as the recorder sees it. */
  by: number;
}

/**
 * The latest a correct controller is back at minReplicas after a load, from its rules and the
 * pipeline's worst cases, not from a model of the metric: once the load asks no more than
 * minReplicas serve quietly, every sync after lastHighSync proposes at most minReplicas; the
 * stabilization window keeps the highest earlier recommendation until windowEnds; then the
 * scale-down policies (the controller's own limitRate) take the count down from maxReplicas
 * (the highest it can be) one sync at a time. Infinite when the load never gets that low.
 */
export function returnBound(hpa: HpaSettings, pipe: PipelineSettings, profile: Profile, endAt = profile.endAt): ReturnBound {
  const quiet = minReplicasQuietRate(hpa, pipe);
  const stillHigh = offeredAt(profile, Math.min(endAt, profile.endAt) - 0.05) > quiet;
  const quietFrom = stillHigh ? Number.POSITIVE_INFINITY : loadFallsBelow(profile, quiet);
  const lastHighSync = quietFrom + pipe.longestRequestSeconds + pipe.rateWindowSeconds + pipe.scrapeSeconds;
  const windowEnds = lastHighSync + hpa.scaleDown.stabilizationWindowSeconds + BOUNDARY_SECONDS;
  const steps: { at: number; to: number }[] = [];
  if (!Number.isFinite(quietFrom)) return { quietFrom, lastHighSync, windowEnds, steps, by: Number.POSITIVE_INFINITY };
  const settings = controllerSettings(hpa);
  const events: ScaleEvent[] = [];
  let current = hpa.maxReplicas;
  let at = windowEnds + pipe.syncSeconds;
  for (let i = 0; current > hpa.minReplicas && i < 1000; i++, at += pipe.syncSeconds) {
    const { replicas } = limitRate(settings, events, at, current, hpa.minReplicas);
    if (replicas < current) {
      events.push({ at, change: replicas - current });
      steps.push({ at, to: replicas });
      current = replicas;
    }
  }
  return { quietFrom, lastHighSync, windowEnds, steps, by: (steps.at(-1)?.at ?? windowEnds) + OBSERVATION_LATENCY_SECONDS };
}

/** The offered rate above which minReplicas are past the scale-up threshold. */
export function minReplicasCapacity(hpa: HpaSettings, pipe: PipelineSettings): number {
  return hpa.minReplicas * podRateAt(hpa, pipe, hpa.target * (1 + controllerSettings(hpa).scaleUp.tolerance));
}

export interface RunBounds {
  pipe: PipelineSettings;
  /** When scaling is due: where the load first asks more than minReplicas serve at the target. */
  stepAt: number;
  /** Where it last asks more: after this the replicas may come down. */
  dropAt: number;
  bounds: Bounds;
}

/** A load run planned before it starts: its bounds and its prediction, from one sweep. */
export interface RunPlan extends RunBounds {
  /** The schedule the load driver runs: the one asked for, held at its last rate until the latest bound has passed (unless fixed). */
  profile: Profile;
  /** The prediction: of the sweep's phases (pods scraped at once), the run whose first increase is the median, so that whichever phase the cluster has, it is at most half the spread away; to the profile's end. */
  central: SimRun;
  prediction: RunEvents;
}

/**
 * Where a real run's syncs fell, seconds after the load started, in [0, sync period): the
 * phase of its first recorded HPA status (each written at a sync), else of its first replica
 * change (only a sync makes one); undefined when it has neither.
 */
export function runSyncPhase(record: Pick<RunRecord, 'hpaStatus' | 'changes'>, syncSeconds: number): number | undefined {
  const t = record.hpaStatus?.[0]?.t ?? record.changes[0]?.t;
  return t === undefined ? undefined : ((t % syncSeconds) + syncSeconds) % syncSeconds;
}

/** The events a prediction is held to in time. */
export const TIMED_EVENTS = ['firstIncrease', 'firstDecrease', 'backAtMin'] as const;

/** How far a predicted event is from the run's, seconds: 0 when neither happened, NaN when only one did. */
export const eventMiss = (seen: RunEvents, said: RunEvents, k: (typeof TIMED_EVENTS)[number]): number =>
  Number.isNaN(seen[k]) && Number.isNaN(said[k]) ? 0 : Math.abs(seen[k] - said[k]);

/** How far a prediction is from what a run did: the largest miss in seconds of its events (infinite when one happened and the other not), and the peak's miss in replicas. */
export function predictionMiss(seen: RunEvents, said: RunEvents): { seconds: number; replicas: number } {
  const seconds = Math.max(...TIMED_EVENTS.map((k) => eventMiss(seen, said, k)));
  return { seconds: Number.isNaN(seconds) ? Number.POSITIVE_INFINITY : seconds, replicas: Math.abs(seen.peak - said.peak) };
}

/**
 * The prediction at a run's own sync phase: which sync a decision falls on is then where the
 * run's syncs fell. The scrape phase and the pods' scrape spacing a run does not record
 * (Prometheus offsets each target by a hash of it), so each whole second of both is
 * predicted (as the bounds' sweep does), and with `seen` the one nearest what the run did is
 * taken (by the peak, then the events' largest miss);
 * without it, the plan's central scrape phase. Without a measured sync phase, the plan's
 * central run.
 */
export function predictAtSyncPhase(
  hpa: HpaSettings,
  plan: Pick<RunPlan, 'pipe' | 'profile' | 'central'>,
  syncPhase: number | undefined,
  seen?: RunEvents,
): { sim: SimRun; prediction: RunEvents } {
  if (syncPhase === undefined) return { sim: plan.central, prediction: runEvents(plan.central.changes, hpa.minReplicas) };
  const phases: Phases[] = seen ? allPhases(plan.pipe, 1, { strides: true }).filter((p) => p.sync === 0).map((p) => ({ ...p, sync: syncPhase })) : [{ ...plan.central.phases, sync: syncPhase }];
  const candidates = phases.map((p) => simulateAt(hpa, plan.pipe, plan.profile, plan.profile.endAt, p)).map((sim) => ({ sim, prediction: runEvents(sim.changes, hpa.minReplicas) }));
  if (!seen) return candidates[0]!;
  const miss = (c: (typeof candidates)[number]) => predictionMiss(seen, c.prediction);
  return candidates.reduce((best, c) => {
    const [a, b] = [miss(c), miss(best)];
    return a.replicas < b.replicas || (a.replicas === b.replicas && a.seconds < b.seconds) ? c : best;
  });
}

/**
 * Plans a run of `asked` on the overlay with one sweep: the schedule is simulated to the
 * horizon with its last rate held (what the driver sends, up to where the run stops
 * observing), the bounds and the prediction both come from that sweep. With `fixedSchedule`
 * the driver sends the schedule as asked and nothing after its end.
 */
export function planRun(objects: KObject[], hpa: HpaSettings, asked: Profile, measured: MeasuredPipeline, o: { fixedSchedule?: boolean } = {}): RunPlan {
  const pipe = pipelineSettings(objects, measured);
  const capacity = minReplicasCapacity(hpa, pipe);
  const horizon = planHorizon(hpa, pipe, asked.endAt);
  const simulated = o.fixedSchedule ? asked : withTail(asked, horizon);
  const stepAt = loadExceeds(asked, capacity);
  const sweep = sweepPhases(hpa, pipe, simulated, horizon);
  const bounds = computeBounds(hpa, pipe, simulated, stepAt, sweep, asked.endAt);
  const profile = o.fixedSchedule ? asked : withTail(asked, bounds.observeUntil);
  const ranked = sweep
    .filter((r) => r.phases.stride === undefined)
    .map((r) => until(r, profile.endAt))
    .map((r) => ({ r, t: runEvents(r.changes, hpa.minReplicas).firstIncrease }))
    .sort((a, b) => (a.t || Infinity) - (b.t || Infinity));
  const central = (ranked[Math.floor(ranked.length / 2)] ?? ranked[0])!.r;
  return { pipe, stepAt, dropAt: loadFallsBelow(profile, capacity), bounds, profile, central, prediction: runEvents(central.changes, hpa.minReplicas) };
}

/** A simulated run as it stood at `seconds` (the model is causal: the first seconds of a longer run are the shorter run). */
function until(run: SimRun, seconds: number): SimRun {
  const firstNewReadyAt = run.firstNewReadyAt !== undefined && run.firstNewReadyAt < seconds ? run.firstNewReadyAt : undefined;
  const kept = run.seconds.filter((s) => s.t < seconds);
  return { ...run, seconds: kept, changes: run.changes.filter((c) => c.t < seconds), decisions: run.decisions.filter((d) => d.at < seconds), firstNewReadyAt, shedTotal: kept.reduce((n, s) => n + s.shed, 0) };
}

/** The events a run is judged by, from its replica changes. */
export interface RunEvents {
  firstIncrease: number;
  peak: number;
  firstDecrease: number;
  backAtMin: number;
}

export function runEvents(changes: { t: number; from: number; to: number }[], minReplicas: number): RunEvents {
  return {
    firstIncrease: changes.find((c) => c.to > c.from)?.t ?? Number.NaN,
    peak: Math.max(minReplicas, ...changes.map((c) => c.to)),
    firstDecrease: changes.find((c) => c.to < c.from)?.t ?? Number.NaN,
    backAtMin: [...changes].reverse().find((c) => c.to === minReplicas && c.from > c.to)?.t ?? Number.NaN,
  };
}
