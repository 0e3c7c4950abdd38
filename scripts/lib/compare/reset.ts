import { AppsV1Api, AutoscalingV2Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { apiErrorCode } from '../kube/client.ts';
import { labelSelector, type KObject } from '../manifests/objects.ts';
import { waitFor } from '../wait.ts';

// Between two runs of the comparison: the HPA goes (the controller forgets its
// recommendations and scale events with it) and the Deployment comes back to minReplicas,
// so the next policy starts from the state the first one did.

export async function resetToMin(kc: KubeConfig, objects: KObject[], minReplicas: number, timeoutMs: number): Promise<void> {
  const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler');
  const deployment = objects.find((o) => o.kind === 'Deployment') as (KObject & { spec?: { selector?: { matchLabels?: Record<string, string> } } }) | undefined;
  if (!deployment) return;
  const namespace = deployment.metadata.namespace ?? 'default';
  if (hpa) {
    await kc
      .makeApiClient(AutoscalingV2Api)
      .deleteNamespacedHorizontalPodAutoscaler({ name: hpa.metadata.name, namespace })
      .catch((e: unknown) => {
        if (apiErrorCode(e) !== 404) throw e;
      });
  }
  const apps = kc.makeApiClient(AppsV1Api);
  const live = await apps.readNamespacedDeployment({ name: deployment.metadata.name, namespace }).catch((e: unknown) => {
    if (apiErrorCode(e) === 404) return undefined;
    throw e;
  });
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
