import type { KubeConfig } from '@kubernetes/client-node';
import { UserError } from '../cli.ts';
import { FIELD_MANAGER, mergePatch } from '../kube/apply.ts';
import { kubeGet } from '../kube/raw.ts';
import type { KObject } from '../manifests/objects.ts';
import { waitFor } from '../wait.ts';
import { overlayPath, type AppState, type DriverFactory } from './driver.ts';

// Flux's objects as a user sees them: apply an entry point of gitops/, read a Kustomization's
// state in words, ask for a reconcile, wait for a revision to be applied.

export const KUSTOMIZATION_API = '/apis/kustomize.toolkit.fluxcd.io/v1';
export const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface KustomizationState {
  name: string;
  namespace: string;
  /** The Ready condition: True, False or Unknown (reconciling); undefined before the first. */
  ready?: string;
  reason?: string;
  message?: string;
  lastAppliedRevision?: string;
  lastAttemptedRevision?: string;
  lastHandledReconcileAt?: string;
  interval?: string;
  path?: string;
}

export function kustomizationState(obj: KObject): KustomizationState {
  const o = obj as KObject & {
    spec?: { interval?: string; path?: string };
    status?: { conditions?: Condition[]; lastAppliedRevision?: string; lastAttemptedRevision?: string; lastHandledReconcileAt?: string };
  };
  const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    name: o.metadata.name,
    namespace: o.metadata.namespace ?? 'flux-system',
    ready: ready?.status,
    reason: ready?.reason,
    message: ready?.message,
    lastAppliedRevision: o.status?.lastAppliedRevision,
    lastAttemptedRevision: o.status?.lastAttemptedRevision,
    lastHandledReconcileAt: o.status?.lastHandledReconcileAt,
    interval: o.spec?.interval,
    path: o.spec?.path,
  };
}

/** `main@sha1:0123…` (Flux) or a bare commit (Argo CD) → `0123456`; anything else as it is. */
export function shortRevision(revision: string | undefined): string {
  if (!revision) return 'none';
  const sha = /(?:(?:sha1|sha256):|^)([0-9a-f]{40,64})$/.exec(revision)?.[1];
  return sha ? sha.slice(0, 7) : revision;
}

/**
 * The first line of a controller's message: Flux's build errors run to many lines. Argo CD
 * wraps the cause in five prefixes, so up to 600 characters are kept: the cause comes last.
 */
export function firstSentence(message: string | undefined): string {
  const line = (message ?? '').split('\n').map((l) => l.trim()).find(Boolean) ?? '';
  return line.length > 600 ? `${line.slice(0, 597)}…` : line;
}

/** A Kustomization's state in one sentence. */
export function kustomizationWords(s: KustomizationState): string {
  const what = `Flux Kustomization ${s.namespace}/${s.name} (${s.path ?? '?'}, every ${s.interval ?? '?'})`;
  const applied = `last applied revision ${shortRevision(s.lastAppliedRevision)}`;
  if (s.ready === 'True') return `${what} is Ready: ${applied}.`;
  if (s.ready === undefined) return `${what} has not reconciled yet.`;
  if (s.ready === 'Unknown') return `${what} is reconciling revision ${shortRevision(s.lastAttemptedRevision)}; ${applied}.`;
  return `${what} is not Ready (${s.reason ?? 'no reason'}): revision ${shortRevision(s.lastAttemptedRevision)} failed: ${firstSentence(s.message)}; ${applied}.`;
}

export async function readKustomization(kc: KubeConfig, namespace: string, name: string): Promise<KustomizationState | undefined> {
  const res = await kubeGet(kc, `${KUSTOMIZATION_API}/namespaces/${namespace}/kustomizations/${name}`);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new UserError(`reading Kustomization ${namespace}/${name} answered HTTP ${res.status}: ${firstSentence(res.body)}`);
  return kustomizationState(JSON.parse(res.body) as KObject);
}

/** Every Kustomization in the cluster; undefined when the cluster does not serve Flux's API. */
export async function listKustomizations(kc: KubeConfig): Promise<KustomizationState[] | undefined> {
  const res = await kubeGet(kc, `${KUSTOMIZATION_API}/kustomizations`);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new UserError(`listing Flux Kustomizations answered HTTP ${res.status}: ${firstSentence(res.body)}`);
  return ((JSON.parse(res.body) as { items: KObject[] }).items ?? []).map(kustomizationState);
}

/**
 * `flux reconcile kustomization` without the CLI: sets reconcile.fluxcd.io/requestedAt and
 * waits until the controller reports it handled, so one apply is known to have run.
 */
export async function forceReconcile(kc: KubeConfig, namespace: string, name: string, timeoutMs: number): Promise<KustomizationState> {
  const token = new Date().toISOString();
  await mergePatch(kc, { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name, namespace, annotations: { [REQUESTED_AT]: token } } }, FIELD_MANAGER);
  return waitFor(`Flux to handle the reconcile requested at ${token}`, timeoutMs, async () => {
    const s = await readKustomization(kc, namespace, name);
    return s?.lastHandledReconcileAt === token && s.ready !== 'Unknown' ? s : undefined;
  });
}

/** Seconds in a Flux duration (`10s`, `1m30s`, `2h`). */
export function durationSeconds(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) throw new UserError(`"${text}" is not a duration like 30s, 1m or 1h30m.`);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 } as const;
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2] as keyof typeof unit], 0);
}

const toAppState = (s: KustomizationState): AppState => ({
  applied: s.lastAppliedRevision,
  attempted: s.lastAttemptedRevision,
  ok: s.ready === 'True',
  failed: s.ready === 'False',
  words: kustomizationWords(s),
});

interface FluxSpec {
  spec?: { path?: string; interval?: string; timeout?: string; sourceRef?: { name: string; namespace?: string } };
}

export const fluxDrivers: DriverFactory = {
  appFor: (objects, overlay) =>
    objects.find((o) => o.kind === 'Kustomization' && o.apiVersion.startsWith('kustomize.toolkit.fluxcd.io/') && overlayPath((o as FluxSpec).spec?.path) === overlayPath(overlay)),
  driver(kc, app) {
    const namespace = app.metadata.namespace ?? 'flux-system';
    const name = app.metadata.name;
    return {
      label: 'Flux',
      object: `Kustomization ${namespace}/${name}`,
      read: async () => {
        const s = await readKustomization(kc, namespace, name);
        return s && toAppState(s);
      },
      async intervals() {
        const ks = JSON.parse((await kubeGet(kc, `${KUSTOMIZATION_API}/namespaces/${namespace}/kustomizations/${name}`)).body) as FluxSpec;
        const ref = ks.spec?.sourceRef;
        if (!ref) throw new UserError(`Kustomization ${namespace}/${name} has no sourceRef.`);
        const src = JSON.parse((await kubeGet(kc, `/apis/source.toolkit.fluxcd.io/v1/namespaces/${ref.namespace ?? namespace}/gitrepositories/${ref.name}`)).body) as FluxSpec;
        return {
          sourceSeconds: durationSeconds(src.spec?.interval ?? '1m'),
          reconcileSeconds: durationSeconds(ks.spec?.interval ?? '10m'),
          timeoutSeconds: durationSeconds(ks.spec?.timeout ?? ks.spec?.interval ?? '10m'),
        };
      },
      forceReconcile: async (timeoutMs) => (await forceReconcile(kc, namespace, name, timeoutMs)).lastHandledReconcileAt ?? '?',
    };
  },
};
