import { AutoscalingV2Api, type KubeConfig, type V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { metricListed, podMetricValues } from '../kube/custom-metrics.ts';
import { scaleTargetSelector, type KObject } from '../manifests/objects.ts';
import { hpaConditionWords, hpaMetricNames } from './gates.ts';

// The preflight: for each HPA of an overlay, is its metric served and numeric for every
// pod, is it 0 at idle, and what does the HPA say — all in words.

export interface HpaStatus {
  hpa: string;
  metric: string;
  listed: boolean;
  /** The API's sentence when the values cannot be read. */
  unavailable?: string;
  values: Record<string, number>;
  numeric: boolean;
  idle: boolean;
  scalingActive: boolean;
  currentReplicas?: number;
  desiredReplicas?: number;
  conditions: string;
}

export async function pipelineStatus(kc: KubeConfig, objects: KObject[]): Promise<HpaStatus[]> {
  const autoscaling = kc.makeApiClient(AutoscalingV2Api);
  const statuses: HpaStatus[] = [];
  for (const declared of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
    const ns = declared.metadata.namespace ?? 'default';
    const hpa: V2HorizontalPodAutoscaler = await autoscaling.readNamespacedHorizontalPodAutoscaler({ name: declared.metadata.name, namespace: ns });
    const selector = scaleTargetSelector(objects, hpa);
    for (const metric of hpaMetricNames(hpa)) {
      const listed = await metricListed(kc, metric).catch(() => false);
      const read = await podMetricValues(kc, ns, metric, selector).catch((e: Error) => ({ status: 0, message: e.message, values: new Map<string, number>() }));
      const values = Object.fromEntries(read.values);
      const numbers = Object.values(values);
      statuses.push({
        hpa: `HorizontalPodAutoscaler/${declared.metadata.name}`,
        metric,
        listed,
        unavailable: read.status === 200 ? undefined : read.message ?? `HTTP ${read.status}`,
        values,
        numeric: read.status === 200 && numbers.length > 0 && numbers.every(Number.isFinite),
        idle: numbers.length > 0 && numbers.every((v) => v === 0),
        scalingActive: hpa.status?.conditions?.some((c) => c.type === 'ScalingActive' && c.status === 'True') ?? false,
        currentReplicas: hpa.status?.currentReplicas,
        desiredReplicas: hpa.status?.desiredReplicas,
        conditions: hpaConditionWords(hpa),
      });
    }
  }
  return statuses;
}

export function statusWords(s: HpaStatus): string[] {
  const lines: string[] = [];
  if (s.unavailable !== undefined || !s.listed) {
    lines.push(`✗ the metric ${s.metric} is unavailable: ${s.unavailable ?? 'the custom metrics API does not list it'}`);
  } else {
    const values = Object.entries(s.values).map(([pod, v]) => `${pod}=${v}`).join(', ');
    lines.push(`${s.numeric ? '✓' : '✗'} the metric ${s.metric} is ${s.numeric ? 'numeric' : 'not numeric'} for every pod: ${values || 'no pods'}`);
    lines.push(`${s.idle ? '✓' : '•'} at idle it is 0: ${s.idle ? 'yes' : 'no (the pods are busy, or it is not 0 at idle)'}`);
  }
  const replicas = `${s.currentReplicas ?? '?'} current, ${s.desiredReplicas ?? '?'} desired replicas`;
  lines.push(
    s.scalingActive
      ? `✓ ${s.hpa} is scaling on it: ${replicas}`
      : `✗ ${s.hpa} is not scaling; it keeps its ${replicas}. It says: ${s.conditions}`,
  );
  return lines;
}
