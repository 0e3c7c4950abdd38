import { AppsV1Api, AutoscalingV2Api, CoreV1Api, type KubeConfig, type V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { waitOrUndefined } from '../wait.ts';
import { kubeGet } from '../kube/raw.ts';
import type { ScaledObject } from '../manifests/keda.ts';
import { podMetricValues, waitApiServicesAvailable } from '../kube/custom-metrics.ts';
import { scaleTargetSelector, type KObject } from '../manifests/objects.ts';

// Health gates after an apply, each with a timeout and a verdict in words.

export interface GateResult {
  gate: string;
  ok: boolean;
  detail: string;
}

/** Its words when the gate passes, undefined at the timeout (the gate then says what it saw last). */
const until = (timeoutMs: number, check: () => Promise<string | undefined>): Promise<string | undefined> => waitOrUndefined('a health gate', timeoutMs, check);

export async function rolloutGate(kc: KubeConfig, ns: string, name: string, timeoutMs: number): Promise<GateResult> {
  const apps = kc.makeApiClient(AppsV1Api);
  let last = 'not read yet';
  const done = await until(
    timeoutMs,
    async () => {
      const d = await apps.readNamespacedDeployment({ name, namespace: ns });
      const want = d.spec?.replicas ?? 1;
      const s = d.status ?? {};
      last = `${s.updatedReplicas ?? 0} of ${want} updated, ${s.availableReplicas ?? 0} available`;
      // At zero replicas (KEDA's idle) the status leaves the counts out.
      const complete = (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && (s.updatedReplicas ?? 0) === want && (s.availableReplicas ?? 0) === want && (s.replicas ?? 0) === want;
      return complete ? `rollout complete: ${want} of ${want} replicas available` : undefined;
    },
  );
  return { gate: `Deployment/${name} rollout`, ok: done !== undefined, detail: done ?? `rollout not complete after ${timeoutMs / 1000} s: ${last}` };
}

export async function apiServiceGate(kc: KubeConfig, timeoutMs: number): Promise<GateResult> {
  try {
    await waitApiServicesAvailable(kc, timeoutMs);
    return { gate: 'custom metrics APIService', ok: true, detail: 'custom.metrics.k8s.io is Available' };
  } catch (error) {
    return { gate: 'custom metrics APIService', ok: false, detail: (error as Error).message };
  }
}

export function hpaMetricNames(hpa: V2HorizontalPodAutoscaler): string[] {
  return (hpa.spec?.metrics ?? []).flatMap((m) => (m.pods?.metric.name ? [m.pods.metric.name] : []));
}

export async function metricGate(kc: KubeConfig, ns: string, metric: string, selector: string, timeoutMs: number): Promise<GateResult> {
  let last = 'not read yet';
  const done = await until(
    timeoutMs,
    async () => {
      const { status, message, values } = await podMetricValues(kc, ns, metric, selector);
      if (status !== 200) {
        last = `the custom metrics API answers ${status}: ${message}`;
        return undefined;
      }
      const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: ns, labelSelector: selector });
      const running = pods.items.filter((p) => p.status?.phase === 'Running').map((p) => p.metadata?.name ?? '');
      const missing = running.filter((p) => !Number.isFinite(values.get(p)));
      last = missing.length ? `no numeric value yet for ${missing.join(', ')}` : '';
      if (running.length === 0 || missing.length > 0) return undefined;
      return `served for all ${running.length} pods: ${running.map((p) => `${p}=${values.get(p)}`).join(', ')}`;
    },
  );
  return { gate: `metric ${metric}`, ok: done !== undefined, detail: done ?? `not served after ${timeoutMs / 1000} s: ${last}` };
}

/** The HPA's conditions in words, e.g. "ScalingActive=False (FailedGetPodsMetric): ...". */
export function hpaConditionWords(hpa: V2HorizontalPodAutoscaler): string {
  return (hpa.status?.conditions ?? []).map((c) => `${c.type}=${c.status} (${c.reason}): ${c.message}`).join('; ') || 'no conditions reported yet';
}

/** `idleAtZero`: KEDA may have scaled the target to zero, where the HPA says ScalingDisabled and KEDA scales. */
export async function scalingActiveGate(kc: KubeConfig, ns: string, name: string, timeoutMs: number, idleAtZero = false): Promise<GateResult> {
  const api = kc.makeApiClient(AutoscalingV2Api);
  let last = 'not read yet';
  const done = await until(
    timeoutMs,
    async () => {
      const hpa = await api.readNamespacedHorizontalPodAutoscaler({ name, namespace: ns });
      last = hpaConditionWords(hpa);
      const active = hpa.status?.conditions?.find((c) => c.type === 'ScalingActive');
      if (idleAtZero && active?.status === 'False' && active.reason === 'ScalingDisabled') return 'at zero replicas: KEDA scales it up on the first work';
      return active?.status === 'True' ? `ScalingActive=True; ${hpa.status?.currentReplicas} current, ${hpa.status?.desiredReplicas} desired replicas` : undefined;
    },
  );
  return { gate: `HorizontalPodAutoscaler/${name}`, ok: done !== undefined, detail: done ?? `not scaling after ${timeoutMs / 1000} s: ${last}` };
}

/**
 * A KEDA ScaledObject: Ready (its trigger reads Prometheus) and its HPA's name, the HPA that
 * the ScalingActive gate then waits for.
 */
export async function scaledObjectGate(kc: KubeConfig, ns: string, name: string, timeoutMs: number): Promise<GateResult & { hpaName?: string }> {
  let last = 'not read yet';
  let hpaName: string | undefined;
  const done = await until(timeoutMs, async () => {
    const res = await kubeGet(kc, `/apis/keda.sh/v1alpha1/namespaces/${ns}/scaledobjects/${name}`);
    if (res.status !== 200) {
      last = `the API answers ${res.status}`;
      return undefined;
    }
    const so = JSON.parse(res.body) as { status?: { hpaName?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] } };
    const conditions = so.status?.conditions ?? [];
    last = conditions.map((c) => `${c.type}=${c.status} (${c.reason}): ${c.message}`).join('; ') || 'no conditions reported yet';
    hpaName = so.status?.hpaName;
    return conditions.some((c) => c.type === 'Ready' && c.status === 'True') && hpaName ? `Ready; its HPA is ${hpaName}` : undefined;
  });
  return { gate: `ScaledObject/${name}`, ok: done !== undefined, detail: done ?? `not Ready after ${timeoutMs / 1000} s: ${last}`, hpaName };
}

/** Every gate the rendered objects call for, in order. */
export async function healthGates(kc: KubeConfig, objects: KObject[], timeoutMs: number): Promise<GateResult[]> {
  const results: GateResult[] = [];
  for (const d of objects.filter((o) => o.kind === 'Deployment')) {
    results.push(await rolloutGate(kc, d.metadata.namespace ?? 'default', d.metadata.name, timeoutMs));
  }
  const hpas = objects.filter((o) => o.kind === 'HorizontalPodAutoscaler') as unknown as (V2HorizontalPodAutoscaler & KObject)[];
  // Without the custom metrics API the gates below cannot pass: they only say why, quickly.
  let budget = timeoutMs;
  if (hpas.some((h) => hpaMetricNames(h).length > 0)) {
    const api = await apiServiceGate(kc, timeoutMs);
    results.push(api);
    if (!api.ok) budget = Math.min(timeoutMs, 3000);
  }
  for (const hpa of hpas) {
    const ns = hpa.metadata.namespace ?? 'default';
    const selector = scaleTargetSelector(objects, hpa);
    for (const metric of hpaMetricNames(hpa)) {
      const gate = await metricGate(kc, ns, metric, selector, budget);
      results.push(gate);
      if (!gate.ok) budget = Math.min(budget, 3000);
    }
    results.push(await scalingActiveGate(kc, ns, hpa.metadata.name, budget));
  }
  for (const so of objects.filter((o) => o.kind === 'ScaledObject')) {
    const ns = so.metadata.namespace ?? 'default';
    const gate = await scaledObjectGate(kc, ns, so.metadata.name, budget);
    const { hpaName, ...result } = gate;
    results.push(result);
    if (!gate.ok || !hpaName) budget = Math.min(budget, 3000);
    else results.push(await scalingActiveGate(kc, ns, hpaName, budget, (so as ScaledObject).spec.minReplicaCount === 0));
  }
  return results;
}
