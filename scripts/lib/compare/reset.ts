import { AppsV1Api, AutoscalingV2Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { apiErrorCode } from '../kube/client.ts';
import { labelSelector, type KObject } from '../manifests/objects.ts';
import { waitFor } from '../wait.ts';

// Between two runs of the comparison: whatever scales the Deployment goes (every HPA on it,
// and a KEDA ScaledObject with the HPA it made; the controller forgets its recommendations
// and scale events with them) and the Deployment comes back to minReplicas, so the next
// policy starts from the state the first one did, whichever policy ran before it.

const SCALED_OBJECTS = { group: 'keda.sh', version: 'v1alpha1', plural: 'scaledobjects' };
const gone = (e: unknown) => {
  if (apiErrorCode(e) !== 404) throw e;
};

/** Deletes every ScaledObject and HPA that scales the named Deployment (none when KEDA's CRD is not installed). */
export async function deleteScalers(kc: KubeConfig, namespace: string, deployment: string): Promise<void> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const listed = (await custom.listNamespacedCustomObject({ ...SCALED_OBJECTS, namespace }).catch((e: unknown) => gone(e))) as { items?: { metadata: { name: string }; spec?: { scaleTargetRef?: { name?: string } } }[] } | undefined;
  for (const so of listed?.items ?? []) {
    if (so.spec?.scaleTargetRef?.name === deployment) await custom.deleteNamespacedCustomObject({ ...SCALED_OBJECTS, namespace, name: so.metadata.name }).catch(gone);
  }
  const autoscaling = kc.makeApiClient(AutoscalingV2Api);
  for (const hpa of (await autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace })).items) {
    if (hpa.spec?.scaleTargetRef.name === deployment && hpa.metadata?.name) await autoscaling.deleteNamespacedHorizontalPodAutoscaler({ name: hpa.metadata.name, namespace }).catch(gone);
  }
}

export async function resetToMin(kc: KubeConfig, objects: KObject[], minReplicas: number, timeoutMs: number): Promise<void> {
  const deployment = objects.find((o) => o.kind === 'Deployment') as (KObject & { spec?: { selector?: { matchLabels?: Record<string, string> } } }) | undefined;
  if (!deployment) return;
  const namespace = deployment.metadata.namespace ?? 'default';
  await deleteScalers(kc, namespace, deployment.metadata.name);
  const apps = kc.makeApiClient(AppsV1Api);
  const live = await apps.readNamespacedDeployment({ name: deployment.metadata.name, namespace }).catch(gone);
  if (!live) return;
  if (live.spec?.replicas !== minReplicas) {
    await apps.replaceNamespacedDeploymentScale({ name: deployment.metadata.name, namespace, body: { metadata: { name: deployment.metadata.name, namespace }, spec: { replicas: minReplicas } } });
  }
  const selector = labelSelector(deployment.spec?.selector?.matchLabels);
  const core = kc.makeApiClient(CoreV1Api);
  await waitFor(`${deployment.metadata.name} back at ${minReplicas} Ready pods and no others`, timeoutMs, async () => {
    const d = await apps.readNamespacedDeployment({ name: deployment.metadata.name, namespace });
    const pods = await core.listNamespacedPod({ namespace, labelSelector: selector });
    return d.status?.readyReplicas === minReplicas && pods.items.length === minReplicas ? true : undefined;
  });
}
