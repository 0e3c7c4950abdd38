import type { KubeConfig } from '@kubernetes/client-node';
import { UserError } from '../cli.ts';
import { kubeGet, kubeRequest } from '../kube/raw.ts';
import type { KObject } from '../manifests/objects.ts';
import { waitFor } from '../wait.ts';
import { overlayPath, type AppState, type DriverFactory } from './driver.ts';
import { durationSeconds, firstSentence, shortRevision } from './flux.ts';

// Argo CD's Application as a user sees it: synced or not, healthy or not, the last
// revision it synced and why the last sync failed; a sync asked for as `argocd app sync`
// asks (the Application's operation field).

export const APPLICATION_API = '/apis/argoproj.io/v1alpha1';

interface Application {
  metadata: { name: string; namespace?: string };
  spec?: { source?: { path?: string } };
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string; message?: string };
    operationState?: {
      phase?: string;
      message?: string;
      startedAt?: string;
      operation?: { info?: { name: string; value: string }[] };
      syncResult?: { revision?: string };
    };
    conditions?: { type: string; message?: string }[];
    history?: { revision?: string }[];
  };
}

const isApplication = (o: KObject): o is KObject & Application => o.kind === 'Application' && o.apiVersion.startsWith('argoproj.io/');

export function applicationState(app: Application, resyncSeconds: number): AppState {
  const st = app.status ?? {};
  const op = st.operationState;
  const error = st.conditions?.find((c) => c.type.endsWith('Error'));
  const applied = st.history?.at(-1)?.revision;
  // A comparison error is about the revision compared; a failed sync, about the one it synced.
  const attempted = error ? st.sync?.revision : (op?.syncResult?.revision ?? st.sync?.revision);
  const failed = op?.phase === 'Failed' || op?.phase === 'Error' || error !== undefined;
  const ok = !error && st.sync?.status === 'Synced' && st.health?.status === 'Healthy' && (op === undefined || op.phase === 'Succeeded');
  const what = `Argo CD Application ${app.metadata.namespace ?? 'argocd'}/${app.metadata.name} (${app.spec?.source?.path ?? '?'}, every ${resyncSeconds} s)`;
  const last = `last synced revision ${shortRevision(applied)}`;
  let words: string;
  if (ok) words = `${what} is Synced and Healthy: ${last}.`;
  else if (failed) words = `${what} is ${st.sync?.status ?? 'Unknown'} (${op?.phase === 'Failed' || op?.phase === 'Error' ? `sync ${op.phase}` : error?.type}): revision ${shortRevision(attempted)} failed: ${firstSentence(op?.message && op.phase !== 'Succeeded' ? op.message : error?.message)}; ${last}.`;
  else words = `${what} is ${st.sync?.status ?? 'not compared yet'}, ${st.health?.status ?? 'health unknown'}${op?.phase ? `, sync ${op.phase}` : ''}; ${last}.`;
  return { applied: ok ? (st.sync?.revision ?? applied) : applied, attempted, ok, failed, words };
}

async function readApplication(kc: KubeConfig, namespace: string, name: string): Promise<Application | undefined> {
  const res = await kubeGet(kc, `${APPLICATION_API}/namespaces/${namespace}/applications/${name}`);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new UserError(`reading Application ${namespace}/${name} answered HTTP ${res.status}: ${firstSentence(res.body)}`);
  return JSON.parse(res.body) as Application;
}

/** Every Application in the cluster; undefined when the cluster does not serve Argo CD's API. */
export async function listApplications(kc: KubeConfig, resyncSeconds: number): Promise<AppState[] | undefined> {
  const res = await kubeGet(kc, `${APPLICATION_API}/applications`);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new UserError(`listing Argo CD Applications answered HTTP ${res.status}: ${firstSentence(res.body)}`);
  return ((JSON.parse(res.body) as { items: Application[] }).items ?? []).map((a) => applicationState(a, resyncSeconds));
}

async function setting(kc: KubeConfig, namespace: string, configMap: string, key: string, fallback: string): Promise<number> {
  const res = await kubeGet(kc, `/api/v1/namespaces/${namespace}/configmaps/${configMap}`);
  const value = res.status === 200 ? (JSON.parse(res.body) as { data?: Record<string, string> }).data?.[key] : undefined;
  return durationSeconds(value ?? fallback);
}

/** Argo CD's timeout.reconciliation (argocd-cm), which its controller resyncs every Application at; 120 s by default. */
export const resyncSeconds = (kc: KubeConfig, namespace = 'argocd'): Promise<number> => setting(kc, namespace, 'argocd-cm', 'timeout.reconciliation', '120s');

/** How long the repo-server keeps what a branch resolved to (argocd-cmd-params-cm); 3 minutes by default. */
export const revisionCacheSeconds = (kc: KubeConfig, namespace = 'argocd'): Promise<number> =>
  setting(kc, namespace, 'argocd-cmd-params-cm', 'reposerver.revision.cache.expiration', '3m');

export function argocdDrivers(): DriverFactory {
  return {
    appFor: (objects, overlay) =>
      objects.find((o) => isApplication(o) && overlayPath(o.spec?.source?.path) === overlayPath(overlay)),
    childFolder: (o) => {
      const path = isApplication(o) ? overlayPath(o.spec?.source?.path) : '';
      return path.startsWith('gitops/') ? path : undefined;
    },
    driver(kc, app: KObject) {
      const namespace = app.metadata.namespace ?? 'argocd';
      const name = app.metadata.name;
      let resync: number | undefined;
      const every = async (): Promise<number> => (resync ??= await resyncSeconds(kc, namespace));
      return {
        label: 'Argo CD',
        object: `Application ${namespace}/${name}`,
        read: async () => {
          const a = await readApplication(kc, namespace, name);
          return a && applicationState(a, await every());
        },
        // A commit is seen once the repo-server's cached branch expires, at the next resync;
        // what runs is compared with Git every resync. A sync with its health wait is given
        // three minutes.
        intervals: async () => ({ sourceSeconds: (await revisionCacheSeconds(kc, namespace)) + (await every()), reconcileSeconds: await every(), timeoutSeconds: 180 }),
        async forceReconcile(timeoutMs) {
          const token = new Date().toISOString();
          const patch = { operation: { initiatedBy: { username: 'inferscale' }, info: [{ name: 'requestedAt', value: token }], sync: { syncStrategy: { hook: {} } } } };
          const res = await kubeRequest(kc, 'PATCH', `${APPLICATION_API}/namespaces/${namespace}/applications/${name}`, { body: JSON.stringify(patch), contentType: 'application/merge-patch+json' });
          if (res.status >= 300) throw new UserError(`asking Application ${namespace}/${name} to sync answered HTTP ${res.status}: ${firstSentence(res.body)}`);
          await waitFor(`Argo CD to run the sync requested at ${token}`, timeoutMs, async () => {
            const op = (await readApplication(kc, namespace, name))?.status?.operationState;
            return op?.operation?.info?.some((i) => i.value === token) && op.phase === 'Succeeded' ? true : undefined;
          });
          return token;
        },
      };
    },
  };
}
