import { KubernetesObjectApi, PatchStrategy, type KubeConfig } from '@kubernetes/client-node';
import { UserError } from '../cli.ts';
import type { KObject } from '../manifests/objects.ts';
import { kubeRequest } from './raw.ts';

/** The field manager every inferscale apply uses; it owns exactly the fields Git declares. */
export const FIELD_MANAGER = 'inferscale';

/**
 * Server-side apply of one object with our field manager (forcing conflicts, as GitOps tools
 * do), through a client the caller keeps (reconcile reuses one discovery cache).
 */
export async function applyWith(api: KubernetesObjectApi, obj: KObject, dryRun = false): Promise<KObject> {
  return (await api.patch(obj, undefined, dryRun ? 'All' : undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply)) as KObject;
}

/**
 * A JSON merge patch of the fields `obj` names, under a manager of its own: the one-off
 * changes that are not Git's (Flux's reconcile request, calibration's held HPA, a Deployment
 * taken back from zero).
 */
export async function mergePatch(kc: KubeConfig, obj: KObject, manager: string): Promise<void> {
  await KubernetesObjectApi.makeApiClient(kc).patch(obj, undefined, undefined, manager, undefined, PatchStrategy.MergePatch);
}

/** Server-side apply of one object, with a client of its own. */
export function serverSideApply(kc: KubeConfig, obj: KObject, dryRun = false): Promise<KObject> {
  if (obj.kind === 'CustomResourceDefinition' && obj.apiVersion === 'apiextensions.k8s.io/v1') return applyCrd(kc, obj, dryRun);
  return applyWith(KubernetesObjectApi.makeApiClient(kc), obj, dryRun);
}

/**
 * A CRD, sent as written: client-node's typed serializer names JSONSchemaProps' fields
 * `_default`, `ref`, `xKubernetesPreserveUnknownFields`…, so a CRD parsed from YAML loses
 * its `default:`s and `x-kubernetes-*` markers on the way (Flux's GitRepository then has no
 * default timeout, and its controller panics).
 */
async function applyCrd(kc: KubeConfig, obj: KObject, dryRun: boolean): Promise<KObject> {
  const query = new URLSearchParams({ fieldManager: FIELD_MANAGER, force: 'true', ...(dryRun ? { dryRun: 'All' } : {}) });
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${encodeURIComponent(obj.metadata.name)}?${query}`;
  const res = await kubeRequest(kc, 'PATCH', path, { body: JSON.stringify(obj), contentType: 'application/apply-patch+yaml', timeoutMs: 30_000 });
  if (res.status >= 300) {
    const message = (JSON.parse(res.body) as { message?: string }).message ?? res.body;
    throw new UserError(`applying CustomResourceDefinition ${obj.metadata.name} answered HTTP ${res.status}: ${message}`);
  }
  return JSON.parse(res.body) as KObject;
}
