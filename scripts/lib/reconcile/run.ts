import { ApisApi, type KubeConfig } from '@kubernetes/client-node';
import { applyWith, FIELD_MANAGER } from '../kube/apply.ts';
import { apiErrorCode } from '../kube/client.ts';
import { errorSentence } from '../wait.ts';
import { objectApi, type ObjectApi } from '../kube/objects-api.ts';
import type { KObject } from '../manifests/objects.ts';
import { UserError } from '../cli.ts';
import {
  APPLYSET_GROUP_KINDS,
  APPLYSET_NAMESPACES,
  APPLYSET_PART_OF,
  applysetId,
  groupKind,
  PARENT_NAME,
  parentConfigMap,
  withMembership,
} from './applyset.ts';
import { objectDiff, project } from './diff.ts';

// Server-side apply of a rendered overlay in layers, with ApplySet pruning. Git owns the
// fields it declares; spec.replicas is never declared, so the HPA keeps owning it.

export interface ReconcileOptions {
  kc: KubeConfig;
  objects: KObject[];
  dryRun: boolean;
  /** Why the provider handles an object itself instead of applying it, or undefined. */
  handledByProvider?: (obj: KObject) => string | undefined;
}

export interface ReconcileResult {
  created: string[];
  configured: string[];
  unchanged: string[];
  pruned: string[];
  skipped: string[];
  diffs: string[];
}

const key = (o: Pick<KObject, 'apiVersion' | 'kind' | 'metadata'>) =>
  `${groupKind(o)}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
const label = (o: Pick<KObject, 'kind' | 'metadata'>) => `${o.kind}/${o.metadata.name}`;

async function readLive(api: ObjectApi, obj: KObject): Promise<KObject | undefined> {
  try {
    return await api.read<KObject>(obj);
  } catch (error) {
    if (apiErrorCode(error) === 404) return undefined;
    throw error;
  }
}

function isFoundation(o: KObject): boolean {
  return o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition';
}

/** The preferred apiVersion of a group-kind, for kinds known only from the parent's annotation. */
async function apiVersionOf(kc: KubeConfig, gk: string, known: KObject[]): Promise<string | undefined> {
  const fromGit = known.find((o) => groupKind(o) === gk);
  if (fromGit) return fromGit.apiVersion;
  const dot = gk.indexOf('.');
  if (dot < 0) return 'v1';
  const group = gk.slice(dot + 1);
  const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
  return groups.groups.find((g) => g.name === group)?.preferredVersion?.groupVersion;
}

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
}

/**
 * Hand edits (kubectl edit, patch, client-side apply) own the fields they touched, and a
 * hand-changed list key (a Service port) would survive a server-side apply beside Git's.
 * So an object with hand edits first gets Git's top-level spec fields written back whole
 * (the rest of the live spec, such as the HPA-owned spec.replicas, stays), and those
 * managers' entries are dropped; the apply that follows then owns exactly Git.
 */
async function restoreHandEdits(api: ObjectApi, live: KObject, desired: KObject): Promise<void> {
  const entries = (live.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  const kept = entries.filter((e) => !(e.operation === 'Update' && /^kubectl/.test(e.manager ?? '')));
  if (kept.length === entries.length) return;
  const liveSpec = (live as { spec?: Record<string, unknown> }).spec;
  const gitSpec = (desired as { spec?: Record<string, unknown> }).spec;
  const restored = {
    ...live,
    metadata: { ...live.metadata, managedFields: kept },
    ...(liveSpec && gitSpec ? { spec: { ...liveSpec, ...gitSpec } } : {}),
  };
  await api.replace(restored, undefined, undefined, FIELD_MANAGER);
}

export async function reconcile(opts: ReconcileOptions): Promise<ReconcileResult> {
  const { kc, dryRun } = opts;
  const api = objectApi(kc);
  const result: ReconcileResult = { created: [], configured: [], unchanged: [], pruned: [], skipped: [], diffs: [] };

  const namespace = opts.objects.find((o) => o.kind === 'Namespace')?.metadata.name ?? opts.objects.find((o) => o.metadata.namespace)?.metadata.namespace ?? 'default';
  const id = applysetId(PARENT_NAME, namespace);
  const members: KObject[] = [];
  for (const obj of opts.objects) {
    const handled = opts.handledByProvider?.(obj);
    if (handled) {
      result.skipped.push(`${label(obj)} (${handled})`);
      continue;
    }
    if (!(await api.serves(obj.apiVersion, obj.kind))) {
      throw new UserError(`the cluster does not serve ${obj.apiVersion} ${obj.kind} (for ${label(obj)}); install its CRD first. Nothing was applied.`);
    }
    members.push(withMembership(obj, id));
  }

  const parentRef = parentConfigMap(namespace, [], []);
  const parentLive = await readLive(api, parentRef);
  const split = (v: string | undefined) => (v ? v.split(',').filter(Boolean) : []);
  const previousKinds = split(parentLive?.metadata.annotations?.[APPLYSET_GROUP_KINDS]);
  const previousNamespaces = split(parentLive?.metadata.annotations?.[APPLYSET_NAMESPACES]);
  const kinds = [...new Set(members.map(groupKind))];
  const namespaces = [...new Set(members.map((m) => m.metadata.namespace).filter((n): n is string => Boolean(n)))];
  const allKinds = [...new Set([...previousKinds, ...kinds])];
  const allNamespaces = [...new Set([namespace, ...previousNamespaces, ...namespaces])];

  const applyOne = async (obj: KObject): Promise<void> => {
    const live = await readLive(api, obj);
    if (live && !dryRun) await restoreHandEdits(api, live, obj);
    let applied: KObject;
    try {
      applied = await applyWith(api, obj, dryRun);
    } catch (error) {
      if (!dryRun || !live) throw new UserError(`applying ${label(obj)} failed: ${errorSentence(error)}`);
      // A hand edit server-side apply cannot merge (a changed list key): show Git's fields against live.
      const diff = objectDiff(key(obj), project(live, obj) as KObject, obj);
      if (diff) result.diffs.push(diff);
      (diff ? result.configured : result.unchanged).push(label(obj));
      return;
    }
    if (dryRun) {
      const diff = objectDiff(key(obj), live, applied);
      if (diff) result.diffs.push(diff);
      (live ? (diff ? result.configured : result.unchanged) : result.created).push(label(obj));
      return;
    }
    if (!live) result.created.push(label(obj));
    else if (live.metadata.resourceVersion !== applied.metadata.resourceVersion) result.configured.push(label(obj));
    else result.unchanged.push(label(obj));
  };

  // Layer 1: namespaces and CRDs, so everything else has somewhere to go.
  for (const obj of members.filter(isFoundation)) await applyOne(obj);
  // The parent records the union of old and new kinds before members change, as kubectl does,
  // so an interrupted run can still prune what it had applied.
  if (!dryRun) await applyWith(api, parentConfigMap(namespace, allKinds, allNamespaces));
  // Layer 2: the rest.
  for (const obj of members.filter((o) => !isFoundation(o))) await applyOne(obj);

  const wanted = new Set(members.map(key));
  for (const gk of allKinds) {
    const apiVersion = await apiVersionOf(kc, gk, members);
    if (!apiVersion) continue;
    const kind = gk.split('.')[0] as string;
    const namespaced = await api.isNamespaced(apiVersion, kind).catch(() => undefined);
    if (namespaced === undefined) continue;
    for (const ns of namespaced ? allNamespaces : [undefined]) {
      const list = await api.list(apiVersion, kind, ns, undefined, undefined, undefined, undefined, `${APPLYSET_PART_OF}=${id}`);
      for (const item of list.items as KObject[]) {
        const obj = { ...item, apiVersion, kind };
        if (wanted.has(key(obj)) || obj.metadata.deletionTimestamp) continue;
        // A controller's object that inherited our labels (KEDA copies a ScaledObject's to
        // the HPA it makes) is its controller's to delete, with its owner.
        if ((obj.metadata as { ownerReferences?: { controller?: boolean }[] }).ownerReferences?.some((r) => r.controller)) continue;
        if (dryRun) {
          result.diffs.push(objectDiff(key(obj), obj, undefined));
        } else {
          // Gone already (its owner's deletion took it): what prune wanted.
          const gone = await api.delete(obj, undefined, undefined, undefined, undefined, 'Background').then(
            () => false,
            (e: unknown) => {
              if (apiErrorCode(e) === 404) return true;
              throw e;
            },
          );
          if (gone) continue;
        }
        result.pruned.push(label(obj));
      }
    }
  }
  if (!dryRun) await applyWith(api, parentConfigMap(namespace, kinds, namespaces));
  return result;
}
