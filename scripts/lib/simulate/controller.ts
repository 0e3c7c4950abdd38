import type { V2HPAScalingPolicy, V2HPAScalingRules } from '@kubernetes/client-node';

// The HorizontalPodAutoscaler controller's rules as plain functions, for the metric types an
// inference service is scaled on: Pods/AverageValue (ours), External/Value (a latency
// metric) and Resource/Utilization (CPU). Each follows the upstream function it names, in
// kubernetes/kubernetes v1.37 pkg/controller/podautoscaler/ (horizontal.go, replica_calculator.go).

/** The cluster-wide --horizontal-pod-autoscaler-tolerance default. */
export const DEFAULT_TOLERANCE = 0.1;

export interface ScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: V2HPAScalingPolicy[];
  tolerance: number;
}

/** One entry of the HPA's spec.metrics, with its target as a number (milli-units resolved). */
/** What an External metric measures: the mean request latency (the adapter's rule), or the fleet's requests in flight (KEDA's query). */
export type ExternalSignal = 'latency' | 'concurrency';

export type MetricTarget =
  /**
   * Pods: the per-pod concurrency (the in-flight-seconds counter's rate); with `demand` the
   * offered load in requests in flight (the demand-seconds counter's rate); with
   * `utilization` that load over what a pod runs at once (its slots, or its CPU limit's cores
   * in compute mode).
   */
  | { type: 'Pods'; name: string; averageValue: number; signal?: 'demand' | 'utilization' }
  | { type: 'External'; name: string; value: number; signal?: ExternalSignal }
  | { type: 'External'; name: string; averageValue: number; signal?: ExternalSignal }
  | { type: 'Resource'; name: string; averageUtilization: number };

export interface ControllerSettings {
  minReplicas: number;
  maxReplicas: number;
  metrics: MetricTarget[];
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
}

/**
 * What the controller reads for one metric at a sync. Pods and Resource: one value per pod
 * that has one (Resource: its usage in % of its request), with the pods that have none
 * (`missing`) and those not counted yet (`unready`: Pending, or within the CPU
 * initialization period). External: the value (the sum of its series).
 */
export interface MetricReading {
  perPod?: number[];
  missing?: number;
  unready?: number;
  value?: number;
}

/**
 * The behavior the API server defaults when a field is not set (SetDefaults_HorizontalPodAutoscalerBehavior):
 * up: no window, the larger of 4 pods or 100 % per 15 s; down: 300 s window, 100 % per 15 s.
 */
export function withDefaults(rules: V2HPAScalingRules | undefined, direction: 'up' | 'down', parseTolerance: (q: string) => number): ScalingRules {
  const up = direction === 'up';
  const policies: V2HPAScalingPolicy[] = up
    ? [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }]
    : [{ type: 'Percent', value: 100, periodSeconds: 15 }];
  return {
    stabilizationWindowSeconds: rules?.stabilizationWindowSeconds ?? (up ? 0 : 300),
    selectPolicy: (rules?.selectPolicy as ScalingRules['selectPolicy'] | undefined) ?? 'Max',
    policies: rules?.policies?.length ? rules.policies : policies,
    tolerance: rules?.tolerance !== undefined ? parseTolerance(String(rules.tolerance)) : DEFAULT_TOLERANCE,
  };
}

export interface Tolerances {
  up: number;
  down: number;
}

/** horizontal.go: the per-HPA tolerance of each direction (HPAConfigurableTolerance), else the cluster's. */
export const tolerancesOf = (s: ControllerSettings): Tolerances => ({ up: s.scaleUp.tolerance, down: s.scaleDown.tolerance });

/** replica_calculator.go `Tolerances.isWithin`. */
const isWithin = (t: Tolerances, ratio: number): boolean => 1 - t.down <= ratio && ratio <= 1 + t.up;

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const ceil = (x: number) => Math.ceil(x - 1e-9);

/**
 * replica_calculator.go `calcPlainMetricReplicas` (Pods) and `GetResourceReplicas` (Resource):
 * the usage ratio of the average over the pods that have a value; within the tolerance
 * nothing changes. Missing pods count as 0 when scaling up and as `scaleDownFill` when
 * scaling down (the target; for CPU, 100 % or the target if higher); unready pods count as 0
 * on a scale-up and not at all otherwise; a result that flips the direction keeps the count.
 */
export function plainMetricReplicas(target: number, t: Tolerances, current: number, values: number[], missing = 0, unready = 0, scaleDownFill = target): { replicas: number; ratio: number } {
  if (values.length === 0) return { replicas: current, ratio: Number.NaN };
  const ratio = sum(values) / values.length / target;
  const scaleUpWithUnready = unready > 0 && ratio > 1;
  if (!scaleUpWithUnready && missing === 0) return { replicas: isWithin(t, ratio) ? current : ceil(ratio * values.length), ratio };
  const filled = [...values];
  if (missing > 0 && ratio !== 1) filled.push(...Array.from({ length: missing }, () => (ratio < 1 ? scaleDownFill : 0)));
  if (scaleUpWithUnready) filled.push(...Array.from({ length: unready }, () => 0));
  const newRatio = sum(filled) / filled.length / target;
  if (isWithin(t, newRatio) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return { replicas: current, ratio };
  const replicas = ceil(newRatio * filled.length);
  if ((newRatio < 1 && replicas > current) || (newRatio > 1 && replicas < current)) return { replicas: current, ratio };
  return { replicas, ratio };
}

/**
 * replica_calculator.go `GetExternalMetricReplicas` → `getUsageRatioReplicaCount`: the value
 * over the target, times the Ready pods; at 0 replicas, the ratio itself.
 */
export function externalValueReplicas(target: number, t: Tolerances, current: number, value: number, readyPods: number): { replicas: number; ratio: number } {
  const ratio = value / target;
  if (current === 0) return { replicas: ceil(ratio), ratio };
  return { replicas: isWithin(t, ratio) ? current : ceil(ratio * readyPods), ratio };
}

/**
 * replica_calculator.go `GetExternalPerPodMetricReplicas`: the value over the target per pod
 * times the Deployment's replicas (Ready or not), and then the value over the target.
 */
export function externalAverageReplicas(targetPerPod: number, t: Tolerances, statusReplicas: number, value: number): { replicas: number; ratio: number } {
  const ratio = value / (targetPerPod * statusReplicas);
  return { replicas: isWithin(t, ratio) ? statusReplicas : ceil(value / targetPerPod), ratio };
}

export interface MetricProposal {
  name: string;
  type: MetricTarget['type'];
  /** The value the HPA reports for it: the average per pod (Pods, Resource in %), or the value (External). */
  usage: number;
  target: number;
  ratio: number;
  replicas: number;
}

/** horizontal.go `computeReplicasForMetric`: one metric's proposal, or none when it has no value. */
export function proposalFor(spec: MetricTarget, t: Tolerances, current: number, statusReplicas: number, readyPods: number, r: MetricReading): MetricProposal | undefined {
  if (spec.type === 'External') {
    if (r.value === undefined || !Number.isFinite(r.value)) return undefined;
    const perPod = 'averageValue' in spec;
    const target = perPod ? spec.averageValue : spec.value;
    const p = perPod ? externalAverageReplicas(target, t, statusReplicas, r.value) : externalValueReplicas(target, t, current, r.value, readyPods);
    return { name: spec.name, type: spec.type, usage: perPod ? r.value / Math.max(1, statusReplicas) : r.value, target, ...p };
  }
  const values = r.perPod ?? [];
  if (values.length === 0) return undefined;
  const target = spec.type === 'Pods' ? spec.averageValue : spec.averageUtilization;
  const fill = spec.type === 'Resource' ? Math.max(100, target) : target;
  const p = plainMetricReplicas(target, t, current, values, r.missing, r.unready, fill);
  return { name: spec.name, type: spec.type, usage: sum(values) / values.length, target, ...p };
}

export interface Recommendation {
  at: number;
  replicas: number;
}

export interface ScaleEvent {
  at: number;
  /** Positive when replicas were added. */
  change: number;
}

/**
 * horizontal.go `stabilizeRecommendationWithBehaviors`: scale up to the lowest and down to
 * the highest recommendation of their windows (the current one included); a recommendation
 * exactly at the window's edge has left it.
 */
export function stabilize(s: ControllerSettings, history: Recommendation[], now: number, currentReplicas: number, desired: number): number {
  const upCutoff = now - s.scaleUp.stabilizationWindowSeconds;
  const downCutoff = now - s.scaleDown.stabilizationWindowSeconds;
  let up = desired;
  let down = desired;
  for (const r of history) {
    if (r.at > upCutoff) up = Math.min(up, r.replicas);
    if (r.at > downCutoff) down = Math.max(down, r.replicas);
  }
  let recommendation = currentReplicas;
  if (recommendation < up) recommendation = up;
  if (recommendation > down) recommendation = down;
  return recommendation;
}

/** horizontal.go `getReplicasChangePerPeriod`: what the scale events of the last period added (or removed). */
function changedInPeriod(events: ScaleEvent[], now: number, periodSeconds: number, up: boolean): number {
  return events.filter((e) => e.at > now - periodSeconds && (up ? e.change > 0 : e.change < 0)).reduce((n, e) => n + Math.abs(e.change), 0);
}

export type LimitReason = 'DesiredWithinRange' | 'ScaleUpLimit' | 'TooManyReplicas' | 'ScaleDownLimit' | 'TooFewReplicas';

/**
 * horizontal.go `convertDesiredReplicasWithBehaviorRate` with `calculateScaleUpLimitWithScalingRules`
 * and `calculateScaleDownLimitWithBehaviors`: each policy limits the change over its period,
 * counted from the replicas at the period's start; selectPolicy picks the policy that allows
 * the most change (Max) or the least (Min); then maxReplicas or minReplicas. The reason is
 * the condition's, as the HPA reports it.
 */
export function limitRate(s: ControllerSettings, events: ScaleEvent[], now: number, current: number, desired: number): { replicas: number; reason: LimitReason } {
  if (desired > current) {
    const rules = s.scaleUp;
    const limits = rules.policies.map((p) => {
      const start = current - changedInPeriod(events, now, p.periodSeconds, true);
      return p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    });
    const policyLimit = rules.selectPolicy === 'Disabled' ? current : rules.selectPolicy === 'Min' ? Math.min(...limits) : Math.max(...limits);
    const limit = Math.max(policyLimit, current);
    const [maximum, reason]: [number, LimitReason] = s.maxReplicas > limit ? [limit, 'ScaleUpLimit'] : [s.maxReplicas, 'TooManyReplicas'];
    if (desired > maximum) return { replicas: maximum, reason };
  } else if (desired < current) {
    const rules = s.scaleDown;
    const limits = rules.policies.map((p) => {
      const start = current + changedInPeriod(events, now, p.periodSeconds, false);
      return p.type === 'Pods' ? start - p.value : Math.floor(start * (1 - p.value / 100));
    });
    const policyLimit = rules.selectPolicy === 'Disabled' ? current : rules.selectPolicy === 'Min' ? Math.max(...limits) : Math.min(...limits);
    const limit = Math.min(policyLimit, current);
    const [minimum, reason]: [number, LimitReason] = s.minReplicas < limit ? [limit, 'ScaleDownLimit'] : [s.minReplicas, 'TooFewReplicas'];
    if (desired < minimum) return { replicas: minimum, reason };
  }
  return { replicas: desired, reason: 'DesiredWithinRange' };
}

/** Every step of one sync, so a reader sees why the count is what it is. */
export interface Decision {
  at: number;
  current: number;
  metrics: MetricProposal[];
  /** The highest proposal of the metrics (computeReplicasForMetrics); the current count when none has a value. */
  proposed: number;
  /** After the stabilization windows. */
  stabilized: number;
  /** After the rate policies and min/max: the count the controller sets. */
  replicas: number;
  limit: LimitReason;
  /** Which rule set the count, in a few words. */
  rule: string;
}

export interface ControllerMemory {
  recommendations: Recommendation[];
  events: ScaleEvent[];
}

export const newMemory = (): ControllerMemory => ({ recommendations: [], events: [] });

/** Which step of the chain decided the count. */
function ruleOf(d: Omit<Decision, 'rule'>, t: Tolerances): string {
  if (d.metrics.length === 0) return 'no metric has a value: the count stays';
  if (d.replicas !== d.stabilized) return { ScaleUpLimit: 'a scale-up policy', ScaleDownLimit: 'a scale-down policy', TooManyReplicas: 'maxReplicas', TooFewReplicas: 'minReplicas', DesiredWithinRange: 'the rates' }[d.limit];
  if (d.stabilized !== d.proposed) return d.proposed > d.current ? 'the scale-up window' : 'the scale-down window';
  if (d.proposed === d.current && d.metrics.every((m) => isWithin(t, m.ratio)) && d.metrics.some((m) => m.ratio !== 1)) return 'the tolerance';
  return 'the metric';
}

/** One sync of the controller (horizontal.go `reconcileAutoscaler`), updating its memory. */
export function sync(s: ControllerSettings, memory: ControllerMemory, now: number, pods: { current: number; ready: number }, readings: MetricReading[]): Decision {
  const t = tolerancesOf(s);
  const metrics = s.metrics.map((m, i) => proposalFor(m, t, pods.current, pods.current, pods.ready, readings[i] ?? {})).filter((p): p is MetricProposal => p !== undefined);
  if (metrics.length === 0) {
    const d = { at: now, current: pods.current, metrics, proposed: pods.current, stabilized: pods.current, replicas: pods.current, limit: 'DesiredWithinRange' as const };
    return { ...d, rule: ruleOf(d, t) };
  }
  // The recommendation is stored as the metrics give it; min and max apply with the rates.
  const proposed = Math.max(...metrics.map((m) => m.replicas));
  const stabilized = stabilize(s, memory.recommendations, now, pods.current, proposed);
  const longest = Math.max(s.scaleUp.stabilizationWindowSeconds, s.scaleDown.stabilizationWindowSeconds);
  memory.recommendations = [...memory.recommendations.filter((r) => r.at > now - longest), { at: now, replicas: proposed }];
  const { replicas, reason } = limitRate(s, memory.events, now, pods.current, stabilized);
  if (replicas !== pods.current) memory.events = [...memory.events.filter((e) => e.at > now - 1800), { at: now, change: replicas - pods.current }];
  const d = { at: now, current: pods.current, metrics, proposed, stabilized, replicas, limit: reason };
  return { ...d, rule: ruleOf(d, t) };
}

/** One line for a decision: the metric, the proposal and what each later step did to it. */
export function explain(d: Decision): string {
  const metrics = d.metrics.length
    ? d.metrics.map((m) => `${m.name} ${m.usage.toFixed(2)} against ${m.target} (ratio ${Number.isFinite(m.ratio) ? m.ratio.toFixed(3) : 'n/a'}) proposes ${m.replicas}`).join('; ')
    : 'no metric has a value';
  return `${d.at.toFixed(1)} s: ${d.current} replicas; ${metrics}; windows → ${d.stabilized}; rates and min/max → ${d.replicas} (${d.limit}); set by ${d.rule}`;
}
