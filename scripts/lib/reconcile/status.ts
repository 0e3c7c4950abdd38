import { AutoscalingV2Api, CoreV1Api, type KubeConfig, type V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { UserError } from '../cli.ts';
import { apiErrorCode } from '../kube/client.ts';
import { errorSentence } from '../wait.ts';
import { metricListed, podMetricValues } from '../kube/custom-metrics.ts';
import { parseQuantity, scaleTargetSelector, type KObject } from '../manifests/objects.ts';
import { kedaHpa, type ScaledObject } from '../manifests/keda.ts';
import { kubeGet } from '../kube/raw.ts';
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
  /** An External metric: one value for the fleet (under `fleet`), not one per pod. */
  external?: boolean;
  /** The running pods the HPA's target selects; the metric must be numeric for each. */
  pods: string[];
  numeric: boolean;
  idle: boolean;
  scalingActive: boolean;
  /** KEDA has scaled the target to zero: the HPA is disabled there, and KEDA scales up on the first work. */
  idleAtZero?: boolean;
  currentReplicas?: number;
  desiredReplicas?: number;
  conditions: string;
}

/** True only when the HPA's metric was seen served and numeric for every pod, and it scales on it. */
export const healthy = (s: HpaStatus): boolean => s.listed && s.unavailable === undefined && s.numeric && (s.scalingActive || s.idleAtZero === true);

export async function pipelineStatus(kc: KubeConfig, objects: KObject[]): Promise<HpaStatus[]> {
  const autoscaling = kc.makeApiClient(AutoscalingV2Api);
  const core = kc.makeApiClient(CoreV1Api);
  // A ScaledObject's HPA is the one KEDA makes of it.
  const declaredHpas = [...objects.filter((o) => o.kind === 'HorizontalPodAutoscaler'), ...objects.filter((o) => o.kind === 'ScaledObject').map((so) => kedaHpa(so as ScaledObject))];
  if (declaredHpas.length === 0) throw new UserError('the overlay declares no HorizontalPodAutoscaler or ScaledObject, so there is no metric pipeline to check.');
  const statuses: HpaStatus[] = [];
  for (const declared of declaredHpas) {
    const ns = declared.metadata.namespace ?? 'default';
    const name = `HorizontalPodAutoscaler/${declared.metadata.name}`;
    const hpa: V2HorizontalPodAutoscaler = await autoscaling.readNamespacedHorizontalPodAutoscaler({ name: declared.metadata.name, namespace: ns }).catch((e: unknown) => {
      if (apiErrorCode(e) === 404) throw new UserError(`${name} is not in namespace ${ns}; reconcile the overlay first.`);
      throw new UserError(`cannot read ${name} in namespace ${ns}: ${errorSentence(e)}.`);
    });
    const selector = scaleTargetSelector(objects, hpa);
    const listedPods = await core.listNamespacedPod({ namespace: ns, labelSelector: selector });
    const pods = listedPods.items.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp).map((p) => p.metadata?.name ?? '');
    const common = {
      hpa: name,
      pods,
      scalingActive: hpa.status?.conditions?.some((c) => c.type === 'ScalingActive' && c.status === 'True') ?? false,
      idleAtZero: hpa.status?.conditions?.some((c) => c.type === 'ScalingActive' && c.status === 'False' && c.reason === 'ScalingDisabled') && objects.some((o) => o.kind === 'ScaledObject' && (o as ScaledObject).spec.minReplicaCount === 0),
      currentReplicas: hpa.status?.currentReplicas,
      desiredReplicas: hpa.status?.desiredReplicas,
      conditions: hpaConditionWords(hpa),
    };
    const metrics = hpaMetricNames(hpa);
    const externals = (hpa.spec?.metrics ?? []).flatMap((m) => (m.external ? [m.external.metric] : []));
    for (const metric of externals) {
      // The External metric as the HPA asks for it: the namespace, the name and its selector.
      const selector = Object.entries(metric.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
      const res = await kubeGet(kc, `/apis/external.metrics.k8s.io/v1beta1/namespaces/${ns}/${metric.name}${selector ? `?labelSelector=${encodeURIComponent(selector)}` : ''}`);
      const items = res.status === 200 ? ((JSON.parse(res.body) as { items?: { value: string }[] }).items ?? []) : [];
      const value = items[0] ? parseQuantity(items[0].value) : Number.NaN;
      statuses.push({
        ...common,
        metric: metric.name,
        external: true,
        listed: res.status === 200,
        unavailable: res.status === 200 ? (items.length ? undefined : 'the external metrics API returns no value') : `HTTP ${res.status}: ${res.body.slice(0, 200)}`,
        values: { fleet: value },
        numeric: Number.isFinite(value),
        idle: value === 0,
      });
    }
    if (metrics.length === 0 && externals.length === 0) {
      statuses.push({ ...common, metric: '(none)', listed: false, unavailable: 'the HPA has no Pods metric, and this preflight checks the custom metrics pipeline', values: {}, numeric: false, idle: false });
    }
    for (const metric of metrics) {
      const listed = await metricListed(kc, metric).catch(() => false);
      const read = await podMetricValues(kc, ns, metric, selector).catch((e: Error) => ({ status: 0, message: e.message, values: new Map<string, number>() }));
      const values = Object.fromEntries(read.values);
      const numbers = Object.values(values);
      statuses.push({
        ...common,
        metric,
        listed,
        unavailable: read.status === 200 ? undefined : read.message ?? `HTTP ${read.status}`,
        values,
        numeric: read.status === 200 && pods.length > 0 && pods.every((p) => Number.isFinite(values[p])),
        idle: numbers.length > 0 && numbers.every((v) => v === 0),
      });
    }
  }
  return statuses;
}

export function statusWords(s: HpaStatus): string[] {
  const lines: string[] = [];
  if (s.unavailable !== undefined || !s.listed) {
    lines.push(`✗ the metric ${s.metric} is unavailable: ${s.unavailable ?? 'the custom metrics API does not list it'}`);
  } else if (s.external) {
    lines.push(`${s.numeric ? '✓' : '✗'} the External metric ${s.metric} is ${s.numeric ? 'numeric' : 'not numeric'} for the fleet: ${s.values.fleet}`);
    lines.push(`${s.idle ? '✓' : '•'} at idle it is 0: ${s.idle ? 'yes' : 'no (the pods are busy, or it is not 0 at idle)'}`);
  } else {
    const values = s.pods.map((pod) => `${pod}=${s.values[pod] ?? 'none'}`).join(', ');
    lines.push(`${s.numeric ? '✓' : '✗'} the metric ${s.metric} is ${s.numeric ? 'numeric' : 'not numeric'} for every pod: ${values || 'no running pods'}`);
    lines.push(`${s.idle ? '✓' : '•'} at idle it is 0: ${s.idle ? 'yes' : 'no (the pods are busy, or it is not 0 at idle)'}`);
  }
  const replicas = `${s.currentReplicas ?? '?'} current, ${s.desiredReplicas ?? '?'} desired replicas`;
  lines.push(
    s.idleAtZero && !s.scalingActive
      ? `✓ ${s.hpa} is at zero replicas: KEDA scales it up on the first work`
      : s.scalingActive
      ? `✓ ${s.hpa} is scaling on it: ${replicas}`
      : `✗ ${s.hpa} is not scaling; it keeps its ${replicas}. It says: ${s.conditions}`,
  );
  return lines;
}
