import { AppsV1Api, AutoscalingV2Api, type KubeConfig } from '@kubernetes/client-node';
import { mergePatch } from '../kube/apply.ts';
import type { KObject } from '../manifests/objects.ts';
import { waitFor } from '../wait.ts';

// Calibration measures one pod: the HPA is held at one replica while it runs, and given its
// own bounds back afterwards, whatever happened.

export interface Target {
  namespace: string;
  hpa: string;
  deployment: string;
}

const setBounds = (kc: KubeConfig, t: Target, minReplicas: number, maxReplicas: number): Promise<void> =>
  mergePatch(kc, { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: t.hpa, namespace: t.namespace }, spec: { minReplicas, maxReplicas } } as KObject, 'inferscale-calibrate');

export async function withOnePod<T>(kc: KubeConfig, t: Target, log: (line: string) => void, body: () => Promise<T>): Promise<T> {
  const hpa = await kc.makeApiClient(AutoscalingV2Api).readNamespacedHorizontalPodAutoscaler({ name: t.hpa, namespace: t.namespace });
  const bounds = { min: hpa.spec?.minReplicas ?? 1, max: hpa.spec?.maxReplicas ?? 1 };
  log(`holding ${t.namespace}/${t.hpa} at one replica (it was ${bounds.min} to ${bounds.max})`);
  await setBounds(kc, t, 1, 1);
  try {
    await waitFor(`${t.deployment} to run one Ready pod`, 180_000, async () => {
      const d = await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: t.deployment, namespace: t.namespace });
      return d.spec?.replicas === 1 && d.status?.readyReplicas === 1 && (d.status.replicas ?? 0) === 1 ? true : undefined;
    });
    return await body();
  } finally {
    await setBounds(kc, t, bounds.min, bounds.max);
    log(`${t.namespace}/${t.hpa} back to ${bounds.min} to ${bounds.max} replicas`);
  }
}
