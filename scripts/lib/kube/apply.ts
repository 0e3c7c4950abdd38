import { KubernetesObjectApi, PatchStrategy, type KubeConfig } from '@kubernetes/client-node';
import type { KObject } from '../manifests/objects.ts';

/** The field manager every inferscale apply uses; it owns exactly the fields Git declares. */
export const FIELD_MANAGER = 'inferscale';

/**
 * Server-side apply of one object with our field manager (forcing conflicts, as GitOps tools
 * do), through a client the caller keeps (reconcile reuses one discovery cache).
 */
export async function applyWith(api: KubernetesObjectApi, obj: KObject, dryRun = false): Promise<KObject> {
  return (await api.patch(obj, undefined, dryRun ? 'All' : undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply)) as KObject;
}

/** Server-side apply of one object, with a client of its own. */
export function serverSideApply(kc: KubeConfig, obj: KObject, dryRun = false): Promise<KObject> {
  return applyWith(KubernetesObjectApi.makeApiClient(kc), obj, dryRun);
}
