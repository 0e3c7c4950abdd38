import { AppsV1Api, type KubeConfig } from '@kubernetes/client-node';
import { mergePatch } from '../kube/apply.ts';
import type { KObject } from '../manifests/objects.ts';

// An HPA does not scale a Deployment up from zero replicas ("scaling is disabled since the
// replica count of the target is zero"): only KEDA does. An overlay whose HPA takes over a
// Deployment that an earlier one (scale to zero on KEDA) left at zero would never start, so
// reconcile sets such a Deployment to the HPA's minReplicas, once, and says so.

export interface Wake {
  namespace: string;
  deployment: string;
  minReplicas: number;
}

/** The Deployments an overlay's own HPAs (not KEDA's) must take from zero, given each one's live replicas. */
export function wakesFor(objects: KObject[], liveReplicas: (namespace: string, name: string) => number | undefined): Wake[] {
  if (objects.some((o) => o.kind === 'ScaledObject')) return [];
  return objects.flatMap((o) => {
    if (o.kind !== 'HorizontalPodAutoscaler') return [];
    const spec = (o as { spec?: { minReplicas?: number; scaleTargetRef?: { kind: string; name: string } } }).spec;
    const namespace = o.metadata.namespace ?? 'default';
    const target = spec?.scaleTargetRef;
    const min = spec?.minReplicas ?? 1;
    if (target?.kind !== 'Deployment' || min < 1 || liveReplicas(namespace, target.name) !== 0) return [];
    return [{ namespace, deployment: target.name, minReplicas: min }];
  });
}

export async function wakeFromZero(kc: KubeConfig, objects: KObject[], out: (line: string) => void): Promise<Wake[]> {
  const apps = kc.makeApiClient(AppsV1Api);
  const live = new Map<string, number | undefined>();
  for (const o of objects.filter((x) => x.kind === 'Deployment')) {
    const namespace = o.metadata.namespace ?? 'default';
    const d = await apps.readNamespacedDeployment({ name: o.metadata.name, namespace }).catch(() => undefined);
    live.set(`${namespace}/${o.metadata.name}`, d?.spec?.replicas);
  }
  const wakes = wakesFor(objects, (namespace, name) => live.get(`${namespace}/${name}`));
  for (const w of wakes) {
    await mergePatch(kc, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: w.deployment, namespace: w.namespace }, spec: { replicas: w.minReplicas } } as KObject, 'inferscale-reconcile');
    out(`Deployment/${w.deployment} was at 0 replicas (scaled to zero before); an HPA does not scale from zero, so it is set to the HPA's minReplicas, ${w.minReplicas}`);
  }
  return wakes;
}
