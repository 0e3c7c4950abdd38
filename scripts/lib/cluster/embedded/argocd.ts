import type { KubeConfig } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoPath } from '../../paths.ts';
import { serverSideApply } from '../../kube/apply.ts';
import type { KObject } from '../../manifests/objects.ts';
import { parseObjects } from '../../manifests/render.ts';
import { installCrds } from '../../kube/crds.ts';
import { serviceMonitorCrd } from './flux.ts';
import { PORTS } from './network.ts';
import type { ClusterPaths } from './paths.ts';
import { pkiFile } from './pki.ts';
import { httpStatus, type Daemon } from './processes.ts';

// Argo CD on the embedded cluster: Redis (Debian's), the repo-server and the
// application-controller as host processes, their CRDs from the module version they were
// built from, the cluster registered the way Argo CD registers an external one (a Secret with
// the API server's address and client certificate), and the default AppProject that
// argocd-server would otherwise create.

export const ARGOCD_NAMESPACE = 'argocd';
export const ARGOCD_PORTS = {
  redis: 9490,
  'argocd-repo-server': 9491,
  'argocd-repo-server metrics': 9492,
  'argocd-application-controller metrics': 9493,
};
/**
 * How often the controller compares every Application with Git (its --app-resync), seconds:
 * Argo CD's timeout.reconciliation, which defaults to 120 s; short so the e2e sees commits
 * and drift within its minutes.
 */
export const ARGOCD_RESYNC_SECONDS = 10;
/**
 * How long the repo-server keeps what a branch resolved to, seconds: the delay before a
 * commit is seen, 3 minutes by default (reposerver.revision.cache.expiration).
 */
export const ARGOCD_REVISION_CACHE_SECONDS = 10;
/** The root Application of gitops/argocd/minikube as committed, with the embedded cluster's differences patched in. */
export const EMBEDDED_ARGOCD_DIR = 'gitops/embedded/argocd';
/** The address Argo CD reaches the cluster at (its destination.server on the embedded cluster). */
export const ARGOCD_DESTINATION = (): string => `https://127.0.0.1:${PORTS.apiserver}`;

const redisAddr = `127.0.0.1:${ARGOCD_PORTS.redis}`;

export function redisDaemon(p: ClusterPaths): Daemon {
  return {
    name: 'redis-server',
    command: 'redis-server',
    // A cache only: nothing saved, nothing appended; loopback, no protected mode needed.
    args: ['--port', String(ARGOCD_PORTS.redis), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', join(p.state, 'argocd')],
    healthy: async () => {
      return new Promise<boolean>((resolve) => {
        const sock = connect(ARGOCD_PORTS.redis, '127.0.0.1', () => sock.write('PING\r\n'));
        sock.once('data', (d) => {
          sock.destroy();
          resolve(d.toString().startsWith('+PONG'));
        });
        sock.once('error', () => resolve(false));
      });
    },
  };
}

const argoEnv = (p: ClusterPaths, argocdBin: string, kustomizeBin: string): NodeJS.ProcessEnv => ({
  ...process.env,
  // The repo-server runs `kustomize build`, `git` and git-verify-wrapper.sh from PATH.
  PATH: `${argocdBin}:${kustomizeBin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
  KUBECONFIG: p.kubeconfig,
  ARGOCD_GPG_ENABLED: 'false',
  TMPDIR: join(p.state, 'argocd', 'tmp'),
});

export function repoServerDaemon(p: ClusterPaths, argocdBin: string, kustomizeBin: string): Daemon {
  return {
    name: 'argocd-repo-server',
    command: join(argocdBin, 'argocd-repo-server'),
    args: [
      '--address=127.0.0.1',
      `--port=${ARGOCD_PORTS['argocd-repo-server']}`,
      '--disable-tls',
      // Its default names a Secret's mount path, which plaintext refuses.
      '--client-ca-path=',
      `--revision-cache-expiration=${ARGOCD_REVISION_CACHE_SECONDS}s`,
      `--redis=${redisAddr}`,
      '--metrics-address=127.0.0.1',
      `--metrics-port=${ARGOCD_PORTS['argocd-repo-server metrics']}`,
      '--loglevel=info',
    ],
    env: argoEnv(p, argocdBin, kustomizeBin),
    healthy: async () => (await httpStatus(`http://127.0.0.1:${ARGOCD_PORTS['argocd-repo-server metrics']}/metrics`)) === 200,
  };
}

export function applicationControllerDaemon(p: ClusterPaths, argocdBin: string, kustomizeBin: string): Daemon {
  return {
    name: 'argocd-application-controller',
    command: join(argocdBin, 'argocd-application-controller'),
    args: [
      `--kubeconfig=${p.kubeconfig}`,
      `--namespace=${ARGOCD_NAMESPACE}`,
      `--repo-server=127.0.0.1:${ARGOCD_PORTS['argocd-repo-server']}`,
      '--repo-server-plaintext',
      `--redis=${redisAddr}`,
      `--app-resync=${ARGOCD_RESYNC_SECONDS}`,
      '--app-resync-jitter=0',
      `--metrics-port=${ARGOCD_PORTS['argocd-application-controller metrics']}`,
      '--loglevel=info',
    ],
    env: argoEnv(p, argocdBin, kustomizeBin),
    healthy: async () => (await httpStatus(`http://127.0.0.1:${ARGOCD_PORTS['argocd-application-controller metrics']}/metrics`)) === 200,
  };
}

const b64 = (b: Buffer | string): string => Buffer.from(b).toString('base64');

/** gitops/argocd/argocd-cm-patch.yaml: what a user adds to argocd-cm for the root Application. */
export const ARGOCD_CM_PATCH = 'gitops/argocd/argocd-cm-patch.yaml';
export const argocdCmPatch = (): { data: Record<string, string> } => parse(readFileSync(repoPath(ARGOCD_CM_PATCH), 'utf8')) as { data: Record<string, string> };

/** The objects Argo CD needs before its controllers start. */
export function argocdSetupObjects(p: ClusterPaths): KObject[] {
  const ns = ARGOCD_NAMESPACE;
  const labels = { 'app.kubernetes.io/part-of': 'argocd' };
  const tls = {
    caData: b64(readFileSync(pkiFile(p.pki, 'server-ca', 'crt'))),
    certData: b64(readFileSync(pkiFile(p.pki, 'admin', 'crt'))),
    keyData: b64(readFileSync(pkiFile(p.pki, 'admin', 'key'))),
  };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    // With the health check for Applications a user patches in, so the root's waves wait for health.
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-cm', namespace: ns, labels }, data: { ...argocdCmPatch().data, 'timeout.reconciliation': `${ARGOCD_RESYNC_SECONDS}s` } } as KObject,
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-rbac-cm', namespace: ns, labels }, data: {} } as KObject,
    // What the flags above say, where Argo CD keeps its settings (and the driver reads them).
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-cmd-params-cm', namespace: ns, labels }, data: { 'reposerver.revision.cache.expiration': `${ARGOCD_REVISION_CACHE_SECONDS}s` } } as KObject,
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'argocd-secret', namespace: ns, labels }, type: 'Opaque', data: {} } as KObject,
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'cluster-embedded', namespace: ns, labels: { 'argocd.argoproj.io/secret-type': 'cluster' } },
      type: 'Opaque',
      stringData: { name: 'embedded', server: ARGOCD_DESTINATION(), config: JSON.stringify({ tlsClientConfig: tls }) },
    } as KObject,
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'default', namespace: ns },
      spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }], clusterResourceWhitelist: [{ group: '*', kind: '*' }] },
    } as KObject,
  ];
}

export async function argocdCrds(argocdBin: string): Promise<KObject[]> {
  const dir = join(argocdBin, 'crds');
  const files = (await readdir(dir)).filter((f) => f.endsWith('-crd.yaml')).sort();
  return (await Promise.all(files.map(async (f) => parseObjects(await readFile(join(dir, f), 'utf8'))))).flat();
}

/** Redis's folder and the controllers' TMPDIR. */
export async function argocdFolders(p: ClusterPaths): Promise<void> {
  await mkdir(join(p.state, 'argocd', 'tmp'), { recursive: true });
}

/** Before the repo-server: the CRDs (Established), then the setup objects. */
export async function beforeArgocd(p: ClusterPaths, kc: KubeConfig, argocdBin: string): Promise<void> {
  // The ServiceMonitor kind too, so that the overlay applies as written (see flux.ts).
  await installCrds(kc, [...(await argocdCrds(argocdBin)), serviceMonitorCrd()]);
  for (const obj of argocdSetupObjects(p)) await serverSideApply(kc, obj);
}
