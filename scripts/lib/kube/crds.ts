import type { KubeConfig } from '@kubernetes/client-node';
import type { KObject } from '../manifests/objects.ts';
import { waitFor } from '../wait.ts';
import { serverSideApply } from './apply.ts';
import { kubeGet } from './raw.ts';

/** Applies CRDs as written and waits until each is Established (served). */
export async function installCrds(kc: KubeConfig, crds: KObject[], timeoutMs = 30_000): Promise<void> {
  for (const crd of crds) await serverSideApply(kc, crd);
  for (const crd of crds) {
    await waitFor(`CRD ${crd.metadata.name} to be Established`, timeoutMs, async () => {
      const res = await kubeGet(kc, `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
      const conditions = (JSON.parse(res.body) as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions ?? [];
      return conditions.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
    });
  }
}
