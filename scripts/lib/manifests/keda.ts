import type { V2HorizontalPodAutoscaler, V2HPAScalingRules } from '@kubernetes/client-node';
import type { KObject } from './objects.ts';

// The HPA KEDA's operator makes of a ScaledObject, as v2.21.0 builds it
// (controllers/keda/hpa.go, apis/keda/v1alpha1/scaledobject_types.go): the bounds, the
// simulator and the recorder read it as they read an HPA of ours.

export interface ScaledObjectTrigger {
  type: string;
  metricType?: 'AverageValue' | 'Value' | 'Utilization';
  metadata: Record<string, string>;
}

export interface ScaledObject extends KObject {
  spec: {
    scaleTargetRef: { name: string; kind?: string; apiVersion?: string };
    pollingInterval?: number;
    cooldownPeriod?: number;
    minReplicaCount?: number;
    maxReplicaCount?: number;
    fallback?: { failureThreshold: number; replicas: number; behavior?: string };
    advanced?: { horizontalPodAutoscalerConfig?: { name?: string; behavior?: { scaleUp?: V2HPAScalingRules; scaleDown?: V2HPAScalingRules } } };
    triggers: ScaledObjectTrigger[];
  };
}

/** KEDA's defaults: pollingInterval 30 s, cooldownPeriod 300 s, maxReplicaCount 100. */
export const KEDA_DEFAULTS = { pollingIntervalSeconds: 30, cooldownPeriodSeconds: 300, maxReplicaCount: 100 };

export const scaledObjectOf = (objects: readonly KObject[]): ScaledObject | undefined => objects.find((o) => o.kind === 'ScaledObject') as ScaledObject | undefined;

/** GetHPAName: the advanced config's name, else keda-hpa-<name>. */
export const kedaHpaName = (so: ScaledObject): string => so.spec.advanced?.horizontalPodAutoscalerConfig?.name || `keda-hpa-${so.metadata.name}`;

/** GenerateMetricNameWithIndex: s<index>-<scaler>, e.g. s0-prometheus. */
export const kedaMetricName = (index: number, trigger: ScaledObjectTrigger): string => `s${index}-${trigger.type.toLowerCase()}`;

/**
 * The HPA: minReplicas at least 1 (KEDA itself scales between 0 and 1), maxReplicas 100 by
 * default, one External metric per trigger with the trigger's threshold as an AverageValue
 * (or Value) target, and the advanced config's behavior.
 */
export function kedaHpa(so: ScaledObject): V2HorizontalPodAutoscaler & KObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: kedaHpaName(so), namespace: so.metadata.namespace },
    spec: {
      scaleTargetRef: { apiVersion: so.spec.scaleTargetRef.apiVersion ?? 'apps/v1', kind: so.spec.scaleTargetRef.kind ?? 'Deployment', name: so.spec.scaleTargetRef.name },
      minReplicas: so.spec.minReplicaCount !== undefined && so.spec.minReplicaCount > 0 ? so.spec.minReplicaCount : 1,
      maxReplicas: so.spec.maxReplicaCount ?? KEDA_DEFAULTS.maxReplicaCount,
      metrics: so.spec.triggers.map((t, i) => {
        const type = t.metricType ?? 'AverageValue';
        const threshold = t.metadata.threshold ?? '0';
        return {
          type: 'External',
          external: {
            metric: { name: kedaMetricName(i, t), selector: { matchLabels: { 'scaledobject.keda.sh/name': so.metadata.name } } },
            target: type === 'Value' ? { type, value: threshold } : { type: 'AverageValue', averageValue: threshold },
          },
        };
      }),
      behavior: so.spec.advanced?.horizontalPodAutoscalerConfig?.behavior,
    },
  } as V2HorizontalPodAutoscaler & KObject;
}
