import { createHash } from 'node:crypto';
import type { KObject } from '../manifests/objects.ts';

// kubectl's ApplySet labelling (KEP-3659): a parent object records which group-kinds and
// namespaces the set spans; every member carries the parent's id. Pruning lists only
// members, so objects created by hand are never touched.

export const APPLYSET_ID = 'applyset.kubernetes.io/id';
export const APPLYSET_PART_OF = 'applyset.kubernetes.io/part-of';
export const APPLYSET_TOOLING = 'applyset.kubernetes.io/tooling';
export const APPLYSET_GROUP_KINDS = 'applyset.kubernetes.io/contains-group-kinds';
export const APPLYSET_NAMESPACES = 'applyset.kubernetes.io/additional-namespaces';
export const TOOLING = 'inferscale/v1';
export const PARENT_NAME = 'inferscale-applyset';

/** The id kubectl derives from the parent: base64url(sha256(name.namespace.kind.group)). */
export function applysetId(name: string, namespace: string, kind = 'ConfigMap', group = ''): string {
  const digest = createHash('sha256').update(`${name}.${namespace}.${kind}.${group}`).digest('base64url');
  return `applyset-${digest}-v1`;
}

/** "Deployment.apps", "Service" (core has no group). */
export function groupKind(obj: Pick<KObject, 'apiVersion' | 'kind'>): string {
  const group = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '';
  return group ? `${obj.kind}.${group}` : obj.kind;
}

export function parentConfigMap(namespace: string, groupKinds: string[], namespaces: string[]): KObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: PARENT_NAME,
      namespace,
      labels: { [APPLYSET_ID]: applysetId(PARENT_NAME, namespace) },
      annotations: {
        [APPLYSET_TOOLING]: TOOLING,
        [APPLYSET_GROUP_KINDS]: [...new Set(groupKinds)].sort().join(','),
        [APPLYSET_NAMESPACES]: [...new Set(namespaces)].filter((n) => n !== namespace).sort().join(','),
      },
    },
  };
}

export function withMembership(obj: KObject, id: string): KObject {
  return { ...obj, metadata: { ...obj.metadata, labels: { ...obj.metadata.labels, [APPLYSET_PART_OF]: id } } };
}
