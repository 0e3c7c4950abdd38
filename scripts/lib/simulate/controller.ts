import type { V2HPAScalingPolicy, V2HPAScalingRules } from '@kubernetes/client-node';

// The HorizontalPodAutoscaler controller's rules for a Pods metric with an AverageValue
// target, as plain functions. Each follows the upstream function it names, in
// kubernetes/kubernetes pkg/controller/podautoscaler/ (horizontal.go, replica_calculator.go).

/** The cluster-wide --horizontal-pod-autoscaler-tolerance default. */
export const DEFAULT_TOLERANCE = 0.1;

export interface ScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: V2HPAScalingPolicy[];
  tolerance: number;
}

export interface ControllerSettings {
  minReplicas: number;
  maxReplicas: number;
  /** The AverageValue target per pod. */
  target: number;
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
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

/**
 * replica_calculator.go `GetMetricReplicas` → `calcPlainMetricReplicas`: the usage ratio of
 * the average over the pods that have a value; within the tolerance nothing changes.
 * Pods without a value yet count as 0 when scaling up and as the target when scaling down,
 * and the result is thrown away if filling them in flips the direction.
 */
export function metricReplicas(s: ControllerSettings, currentReplicas: number, values: number[], missingPods: number): number {
  if (values.length === 0) return currentReplicas;
  const ratio = values.reduce((a, b) => a + b, 0) / values.length / s.target;
  const tolerance = ratio > 1 ? s.scaleUp.tolerance : s.scaleDown.tolerance;
  if (missingPods === 0) {
    if (Math.abs(1 - ratio) <= tolerance) return currentReplicas;
    return Math.ceil(ratio * values.length - 1e-9);
  }
  const fill = ratio < 1 ? s.target : 0;
  const all = [...values, ...Array.from({ length: missingPods }, () => fill)];
  const newRatio = all.reduce((a, b) => a + b, 0) / all.length / s.target;
  if (Math.abs(1 - newRatio) <= tolerance || (newRatio < 1 && ratio > 1) || (newRatio > 1 && ratio < 1)) return currentReplicas;
  return Math.ceil(newRatio * all.length - 1e-9);
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

/**
 * horizontal.go `calculateScaleUpLimitWithScalingRules` / `calculateScaleDownLimitWithBehaviors`
 * and `convertDesiredReplicasWithBehaviorRate`: each policy limits the change over its
 * period, counted from the replicas at the period's start; selectPolicy picks the policy
 * that allows the most change (Max) or the least (Min).
 */
export function rateLimit(s: ControllerSettings, events: ScaleEvent[], now: number, currentReplicas: number, desired: number): number {
  if (desired > currentReplicas) {
    const rules = s.scaleUp;
    if (rules.selectPolicy === 'Disabled') return currentReplicas;
    const limits = rules.policies.map((p) => {
      const start = currentReplicas - changedInPeriod(events, now, p.periodSeconds, true);
      return p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    });
    const limit = rules.selectPolicy === 'Min' ? Math.min(...limits) : Math.max(...limits);
    return Math.min(desired, Math.min(limit, s.maxReplicas));
  }
  if (desired < currentReplicas) {
    const rules = s.scaleDown;
    if (rules.selectPolicy === 'Disabled') return currentReplicas;
    const limits = rules.policies.map((p) => {
      const start = currentReplicas + changedInPeriod(events, now, p.periodSeconds, false);
      return p.type === 'Pods' ? start - p.value : Math.floor(start * (1 - p.value / 100));
    });
    const limit = rules.selectPolicy === 'Min' ? Math.max(...limits) : Math.min(...limits);
    return Math.max(desired, Math.max(limit, s.minReplicas));
  }
  return desired;
}

/** One sync of the controller (horizontal.go `reconcileAutoscaler` for one Pods metric), updating its memory. */
export function sync(
  s: ControllerSettings,
  memory: { recommendations: Recommendation[]; events: ScaleEvent[] },
  now: number,
  currentReplicas: number,
  values: number[],
  missingPods: number,
): number {
  // The recommendation is stored as the metric gives it; min and max apply with the rates.
  const raw = metricReplicas(s, currentReplicas, values, missingPods);
  const stabilized = stabilize(s, memory.recommendations, now, currentReplicas, raw);
  const longest = Math.max(s.scaleUp.stabilizationWindowSeconds, s.scaleDown.stabilizationWindowSeconds);
  memory.recommendations = [...memory.recommendations.filter((r) => r.at > now - longest), { at: now, replicas: raw }];
  const next = rateLimit(s, memory.events, now, currentReplicas, stabilized);
  if (next !== currentReplicas) memory.events = [...memory.events.filter((e) => e.at > now - 1800), { at: now, change: next - currentReplicas }];
  return next;
}
