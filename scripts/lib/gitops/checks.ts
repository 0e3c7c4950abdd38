import type { KubeConfig } from '@kubernetes/client-node';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDocument } from 'yaml';
import { UserError } from '../cli.ts';
import type { ServedRepository } from '../cluster/provider.ts';
import { kubeGet, kubeRequest } from '../kube/raw.ts';
import type { AssertionResult } from '../loadtest/assertions.ts';
import type { DuringLoad } from '../loadtest/run.ts';
import type { KObject } from '../manifests/objects.ts';
import type { Sh } from '../shell.ts';
import { errorSentence, waitOrUndefined } from '../wait.ts';
import { commitTo } from './commit.ts';
import { commitBoundSeconds, healBoundSeconds, waitApplied, waitFailed, type GitOpsDriver, type GitOpsIntervals } from './driver.ts';

/** A controller's words with the served repository's commit ids left out: "revision <commit>". */
export const withoutCommitIds = (words: string): string => words.replace(/\b[0-9a-f]{7,40}\b/g, '<commit>');

// The checks the e2e makes through a GitOps controller (Flux, Argo CD), each against the
// live embedded cluster: it never fights the HPA, applies a commit within its intervals,
// heals and prunes, and refuses a broken commit without touching what runs. Bounds come
// from the controller's intervals as the cluster has them.

/** Where the e2e settings live in Git: the HPA's scale-down window is edited here. */
export const E2E_HPA_PATCH = 'components/e2e/hpa-patch.yaml';
/** The app layer's resource list: removing a file from it is how an object leaves Git. */
export const APP_KUSTOMIZATION = 'base/app/kustomization.yaml';
/** What leaves Git in the prune check. */
export const PRUNED_FILE = 'networkpolicy.yaml';
const HAND_EDIT_LABEL = 'app.kubernetes.io/part-of';
const HAND_MANAGER = 'inferscale-hand-edit';

export interface GitOpsCheckContext {
  $: Sh;
  kc: KubeConfig;
  driver: GitOpsDriver;
  served: ServedRepository;
  /** The app's objects as rendered: their namespace and names. */
  objects: KObject[];
  log: (line: string) => void;
}

const find = (objects: KObject[], kind: string): KObject => {
  const obj = objects.find((o) => o.kind === kind);
  if (!obj) throw new UserError(`the overlay has no ${kind}, which the Flux checks use.`);
  return obj;
};

const PATHS: Record<string, string> = {
  Deployment: '/apis/apps/v1',
  Service: '/api/v1',
  HorizontalPodAutoscaler: '/apis/autoscaling/v2',
  NetworkPolicy: '/apis/networking.k8s.io/v1',
  ConfigMap: '/api/v1',
  PodDisruptionBudget: '/apis/policy/v1',
};
const PLURAL: Record<string, string> = {
  Deployment: 'deployments',
  Service: 'services',
  HorizontalPodAutoscaler: 'horizontalpodautoscalers',
  NetworkPolicy: 'networkpolicies',
  ConfigMap: 'configmaps',
  PodDisruptionBudget: 'poddisruptionbudgets',
};
const objectPath = (kind: string, namespace: string, name = ''): string => `${PATHS[kind]}/namespaces/${namespace}/${PLURAL[kind]}${name ? `/${name}` : ''}`;

interface LiveObject {
  metadata: { name: string; labels?: Record<string, string>; managedFields?: { manager: string; operation: string; subresource?: string; fieldsV1?: { 'f:spec'?: Record<string, unknown> } }[]; deletionTimestamp?: string };
  spec?: Record<string, unknown> & { replicas?: number };
}

async function live(kc: KubeConfig, kind: string, namespace: string, name: string): Promise<LiveObject | undefined> {
  const res = await kubeGet(kc, objectPath(kind, namespace, name));
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new UserError(`reading ${kind} ${namespace}/${name} answered HTTP ${res.status}.`);
  return JSON.parse(res.body) as LiveObject;
}

async function mergePatch(kc: KubeConfig, kind: string, namespace: string, name: string, patch: unknown): Promise<void> {
  const res = await kubeRequest(kc, 'PATCH', `${objectPath(kind, namespace, name)}?fieldManager=${HAND_MANAGER}`, { body: JSON.stringify(patch), contentType: 'application/merge-patch+json' });
  if (res.status >= 300) throw new UserError(`patching ${kind} ${namespace}/${name} answered HTTP ${res.status}: ${res.body.slice(0, 200)}`);
}

/** Who owns the Deployment's spec.replicas, by manager (and subresource). */
export function replicaOwners(d: LiveObject): string[] {
  return (d.metadata.managedFields ?? []).filter((m) => m.fieldsV1?.['f:spec'] && 'f:replicas' in (m.fieldsV1['f:spec'] ?? {})).map((m) => `${m.manager} (${m.operation}${m.subresource ? ` ${m.subresource}` : ''})`);
}

async function runningPods(kc: KubeConfig, namespace: string, selector: string): Promise<string[]> {
  const res = await kubeGet(kc, `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(selector)}`);
  const pods = (JSON.parse(res.body) as { items: LiveObject[] }).items;
  return pods.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name).sort();
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

async function timed<T>(what: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await what();
  return { value, ms: Date.now() - started };
}

/** A check that throws fails with the reason in one sentence instead of stopping the e2e. */
async function guarded(name: string, bound: string, check: () => Promise<AssertionResult>): Promise<AssertionResult> {
  try {
    return await check();
  } catch (error) {
    return { name, ok: false, bound, observed: errorSentence(error) };
  }
}

/** Edits one YAML file of the work tree, comments kept. */
async function editYaml(worktree: string, file: string, edit: (doc: ReturnType<typeof parseDocument>) => void): Promise<void> {
  const path = join(worktree, file);
  const doc = parseDocument(await readFile(path, 'utf8'));
  edit(doc);
  await writeFile(path, doc.toString());
}

/** Commits, then waits for Flux to apply the commit; returns it and how long it took. */
async function commitAndApply(c: GitOpsCheckContext, message: string, edit: (worktree: string) => Promise<void>, timeoutMs: number): Promise<{ commit: string; ms: number }> {
  const { repo, branch } = c.served;
  const commit = await commitTo(c.$, repo, branch, message, edit);
  const { ms } = await timed(() => waitApplied(c.driver, commit, timeoutMs));
  c.log(`${c.driver.label} applied ${commit.slice(0, 7)} "${message}" in ${seconds(ms)}`);
  return { commit, ms };
}

/**
 * Flux 1, made during the load: once the replicas reach the simulator's peak, two forced
 * reconciles. Flux's manager must not own spec.replicas, the count must not move because of
 * them, and no pod may go.
 */
export function reconcileAtPeak(c: GitOpsCheckContext, intervals: GitOpsIntervals): (run: DuringLoad) => Promise<AssertionResult[]> {
  const name = `${c.driver.label} 1. forced reconciles at the peak leave the HPA its replicas`;
  const manager = c.driver.label === 'Flux' ? 'kustomize-controller' : 'argocd-controller';
  return async (run) => {
    const bound = `two reconciles; spec.replicas and the pods unchanged; ${manager} owns no spec.replicas`;
    return [
      await guarded(name, bound, async () => {
        // At the fewest replicas the run's peak may reach (assertion 3's bound), before the load
        // ends: the peak the central phase predicts is a replica more than a run at another
        // sync phase may reach.
        const target = Math.max(2, run.leastPeak);
        const reached = await waitOrUndefined(`the replicas to reach ${target}`, Math.max(0, run.endsAt - Date.now() - 30_000), () => ((run.replicas() ?? 0) >= target ? true : undefined));
        if (!reached) return { name, ok: false, bound, observed: `the replicas never reached ${target} (the fewest the peak may reach) during the load` };
        const selector = `app.kubernetes.io/name=${run.deployment}`;
        const before = (await live(c.kc, 'Deployment', run.namespace, run.deployment)) as LiveObject;
        const podsBefore = await runningPods(c.kc, run.namespace, selector);
        const handled: string[] = [];
        for (let i = 0; i < 2; i++) {
          handled.push(await c.driver.forceReconcile(intervals.timeoutSeconds * 1000));
        }
        const after = (await live(c.kc, 'Deployment', run.namespace, run.deployment)) as LiveObject;
        const podsAfter = await runningPods(c.kc, run.namespace, selector);
        const removed = podsBefore.filter((p) => !podsAfter.includes(p));
        const gitopsOwns = replicaOwners(after).filter((o) => o.startsWith(manager));
        const observed =
          `replicas ${before.spec?.replicas} before, ${after.spec?.replicas} after 2 reconciles, each handled; ` +
          `spec.replicas owned by ${replicaOwners(before).join(', ') || 'no manager'} before, ${replicaOwners(after).join(', ') || 'no manager'} after; ` +
          `${podsBefore.length} pods before, ${removed.length} removed`;
        c.log(`${c.driver.label} 1: ${observed} (requested at ${handled.join(', ')})`);
        // The HPA itself may add a replica meanwhile; only a decrease could be Flux's.
        const ok = gitopsOwns.length === 0 && (after.spec?.replicas ?? 0) >= (before.spec?.replicas ?? 0) && removed.length === 0;
        return { name, ok, bound, observed };
      }),
    ];
  };
}

/** Flux 2: a commit of a new scale-down window reaches the live HPA within the bound; returns the window. */
export async function commitScaleDownWindow(c: GitOpsCheckContext, intervals: GitOpsIntervals): Promise<{ result: AssertionResult; window?: number }> {
  const name = `${c.driver.label} 2. a commit of a new scale-down window is applied within the intervals`;
  const boundS = commitBoundSeconds(intervals);
  const bound = `≤ ${boundS} s (Git looked at every ${intervals.sourceSeconds} s + a reconcile every ${intervals.reconcileSeconds} s)`;
  let window: number | undefined;
  const result = await guarded(name, bound, async () => {
    const hpa = find(c.objects, 'HorizontalPodAutoscaler');
    const ns = hpa.metadata.namespace ?? 'default';
    type HpaSpec = { behavior?: { scaleDown?: { stabilizationWindowSeconds?: number } } };
    const liveWindow = async (): Promise<number | undefined> =>
      ((await live(c.kc, 'HorizontalPodAutoscaler', ns, hpa.metadata.name))?.spec as HpaSpec | undefined)?.behavior?.scaleDown?.stabilizationWindowSeconds;
    // 300 s: the HPA's default scale-down window.
    const current = (await liveWindow()) ?? 300;
    const next = current > 30 ? current - 15 : current + 15;
    const { ms } = await commitAndApply(
      c,
      `e2e: scale-down window ${current} s → ${next} s`,
      (dir) => editYaml(dir, E2E_HPA_PATCH, (doc) => doc.setIn(['spec', 'behavior', 'scaleDown', 'stabilizationWindowSeconds'], next)),
      intervals.timeoutSeconds * 1000 + boundS * 1000,
    );
    const nowLive = await liveWindow();
    window = nowLive;
    return { name, ok: ms / 1000 <= boundS && nowLive === next, bound, observed: `applied in ${seconds(ms)}; the live window is ${nowLive} s (was ${current} s, committed ${next} s)` };
  });
  return { result, window };
}

/** Flux 3: a hand edit is healed, an object removed from Git is pruned, a hand-made one is left alone. */
export async function healAndPrune(c: GitOpsCheckContext, intervals: GitOpsIntervals): Promise<AssertionResult[]> {
  const svc = find(c.objects, 'Service');
  const ns = svc.metadata.namespace ?? 'default';
  const healName = `${c.driver.label} 3a. a hand edit of the Service is healed`;
  const healBound = `≤ ${healBoundSeconds(intervals)} s (two reconcile intervals)`;
  const heal = await guarded(healName, healBound, async () => {
    const want = (await live(c.kc, 'Service', ns, svc.metadata.name))?.metadata.labels?.[HAND_EDIT_LABEL];
    await mergePatch(c.kc, 'Service', ns, svc.metadata.name, { metadata: { labels: { [HAND_EDIT_LABEL]: 'edited-by-hand' } } });
    const started = Date.now();
    const healed = await waitOrUndefined('the hand edit to be healed', (healBoundSeconds(intervals) + intervals.timeoutSeconds) * 1000, async () =>
      (await live(c.kc, 'Service', ns, svc.metadata.name))?.metadata.labels?.[HAND_EDIT_LABEL] === want ? true : undefined,
    );
    const ms = Date.now() - started;
    return { name: healName, ok: Boolean(healed) && ms / 1000 <= healBoundSeconds(intervals), bound: healBound, observed: healed ? `label ${HAND_EDIT_LABEL} back to "${want}" after ${seconds(ms)}` : `still edited after ${seconds(ms)}` };
  });

  const pruneName = `${c.driver.label} 3b. an object removed from Git is pruned, one made by hand is left alone`;
  const pruneBound = `≤ ${commitBoundSeconds(intervals)} s; the hand-made ConfigMap stays`;
  const policy = find(c.objects, 'NetworkPolicy');
  const prune = await guarded(pruneName, pruneBound, async () => {
    const handMade = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'made-by-hand', namespace: ns }, data: { note: 'not in Git' } };
    const created = await kubeRequest(c.kc, 'POST', `${objectPath('ConfigMap', ns)}?fieldManager=${HAND_MANAGER}`, { body: JSON.stringify(handMade), contentType: 'application/json' });
    if (created.status >= 300 && created.status !== 409) throw new UserError(`creating ConfigMap ${ns}/made-by-hand answered HTTP ${created.status}.`);
    let original = '';
    let ms = Number.NaN;
    let pruned = false;
    let kept = false;
    try {
      ({ ms } = await commitAndApply(
        c,
        `e2e: ${PRUNED_FILE} leaves Git`,
        async (dir) => {
          original = await readFile(join(dir, APP_KUSTOMIZATION), 'utf8');
          await editYaml(dir, APP_KUSTOMIZATION, (doc) => {
            const resources = (doc.get('resources') as { items: { value: unknown }[] } | undefined)?.items ?? [];
            const at = resources.findIndex((r) => String((r as { value: unknown }).value ?? r) === PRUNED_FILE);
            if (at < 0) throw new UserError(`${APP_KUSTOMIZATION} does not list ${PRUNED_FILE}.`);
            doc.deleteIn(['resources', at]);
          });
        },
        (commitBoundSeconds(intervals) + intervals.timeoutSeconds) * 1000,
      ));
      pruned = (await live(c.kc, 'NetworkPolicy', policy.metadata.namespace ?? ns, policy.metadata.name)) === undefined;
      kept = (await live(c.kc, 'ConfigMap', ns, 'made-by-hand')) !== undefined;
    } finally {
      // Back as it was, whatever happened, so that what runs next is the overlay as committed.
      if (original) await commitAndApply(c, `e2e: ${PRUNED_FILE} back in Git`, (dir) => writeFile(join(dir, APP_KUSTOMIZATION), original), (commitBoundSeconds(intervals) + intervals.timeoutSeconds) * 1000);
      await kubeRequest(c.kc, 'DELETE', objectPath('ConfigMap', ns, 'made-by-hand'));
    }
    return {
      name: pruneName,
      ok: pruned && kept && ms / 1000 <= commitBoundSeconds(intervals),
      bound: pruneBound,
      observed: `NetworkPolicy ${policy.metadata.name} ${pruned ? 'pruned' : 'still there'} ${seconds(ms)} after the commit; the hand-made ConfigMap ${kept ? 'left alone' : 'deleted'}`,
    };
  });
  return [heal, prune];
}

const specOf = async (kc: KubeConfig, o: KObject): Promise<string> => JSON.stringify((await live(kc, o.kind, o.metadata.namespace ?? 'default', o.metadata.name))?.spec ?? null);

/**
 * Flux 4: a commit with an invalid HPA (and a valid Service change beside it) is refused as
 * a whole: nothing running changes, and the status says why in one sentence.
 */
export async function refuseInvalidCommit(c: GitOpsCheckContext, intervals: GitOpsIntervals): Promise<AssertionResult> {
  const name = `${c.driver.label} 4. a commit with an invalid manifest leaves what runs untouched`;
  const bound = `refused within ${commitBoundSeconds(intervals)} s; Deployment, Service and HPA specs unchanged; status in one sentence`;
  return guarded(name, bound, async () => {
    const watched = ['Deployment', 'Service', 'HorizontalPodAutoscaler'].map((k) => find(c.objects, k));
    const before = await Promise.all(watched.map((o) => specOf(c.kc, o)));
    const { repo, branch } = c.served;
    const originals: Record<string, string> = {};
    const svcFile = 'base/app/service.yaml';
    const commit = await commitTo(c.$, repo, branch, 'e2e: an HPA with maxReplicas "eight"', async (dir) => {
      for (const f of [E2E_HPA_PATCH, svcFile]) originals[f] = await readFile(join(dir, f), 'utf8');
      await editYaml(dir, E2E_HPA_PATCH, (doc) => doc.setIn(['spec', 'maxReplicas'], 'eight'));
      await editYaml(dir, svcFile, (doc) => doc.setIn(['spec', 'sessionAffinity'], 'ClientIP'));
    });
    let failed;
    let ms = Number.NaN;
    let changed: string[] = [];
    let words = '';
    let restored: { commit: string };
    try {
      const started = Date.now();
      failed = await waitFailed(c.driver, commit, (commitBoundSeconds(intervals) + intervals.timeoutSeconds) * 1000);
      ms = Date.now() - started;
      // Another interval: a partial apply would show by now.
      await sleep(intervals.reconcileSeconds * 1000);
      const after = await Promise.all(watched.map((o) => specOf(c.kc, o)));
      changed = watched.filter((_, i) => before[i] !== after[i]).map((o) => o.kind);
      // As the controller said it when it refused (Argo CD clears a comparison error on a
      // later, "temporary", failed attempt).
      words = failed.words;
      c.log(`${c.driver.label} 4: ${words}`);
    } finally {
      // The fix, whatever happened, so that what runs next is the overlay as committed.
      restored = await commitAndApply(c, 'e2e: the HPA and Service as they were', async (dir) => {
        for (const [f, text] of Object.entries(originals)) await writeFile(join(dir, f), text);
      }, (commitBoundSeconds(intervals) + intervals.timeoutSeconds) * 1000);
    }
    const oneSentence = !words.includes('\n');
    c.log(`${c.driver.label} 4: fixed by ${restored.commit.slice(0, 7)}`);
    return {
      name,
      ok: changed.length === 0 && oneSentence && ms / 1000 <= commitBoundSeconds(intervals) && /maxReplicas|eight|invalid|cannot/i.test(words),
      bound,
      // The served repository's commit ids are the run's own (the log keeps them): a published record carries none.
      observed: `refused after ${seconds(ms)}; ${changed.length === 0 ? 'nothing running changed' : `changed: ${changed.join(', ')}`}; status: "${withoutCommitIds(words)}"; fixed by the next commit`,
    };
  });
}
