import type { KubeConfig } from '@kubernetes/client-node';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../cli.ts';
import { serverSideApply } from '../../kube/apply.ts';
import { installCrds } from '../../kube/crds.ts';
import type { KObject } from '../../manifests/objects.ts';
import { parseObjects } from '../../manifests/render.ts';
import { REPO_ROOT, repoPath } from '../../paths.ts';
import type { Sh } from '../../shell.ts';
import type { ClusterPaths } from './paths.ts';
import { httpStatus, type Daemon } from './processes.ts';

// Flux on the embedded cluster: the loopback Git server and source- and kustomize-controller
// as host processes (like Prometheus and the adapter), their CRDs from the module versions
// they were built from, and the served repository: a bare clone of the working tree's HEAD.

/** The Git server's port. */
export const GIT_HTTP_PORT = 9480;
/** The served repository's URL, which bootstrap writes into a copy of gitops/source/source.yaml. */
export const SERVED_URL = `http://127.0.0.1:${GIT_HTTP_PORT}/inferscale.git`;
export const FLUX_PORTS = {
  'Git server': GIT_HTTP_PORT,
  'source-controller artifacts': 9481,
  'source-controller metrics': 9482,
  'source-controller health': 9483,
  'kustomize-controller metrics': 9484,
  'kustomize-controller health': 9485,
};
export const FLUX_NAMESPACE = 'flux-system';
/** gitops/flux/minikube as committed, with the embedded cluster's differences patched in. */
export const EMBEDDED_FLUX_DIR = 'gitops/embedded/flux';
/** The branch the GitRepository follows; the served repository's is the working tree's HEAD. */
export const SERVED_BRANCH = 'main';

const artifactsDir = (p: ClusterPaths): string => join(p.state, 'flux', 'artifacts');
export const gitRoot = (p: ClusterPaths): string => join(p.state, 'git');
export const servedRepo = (p: ClusterPaths): string => join(gitRoot(p), 'inferscale.git');

const controllerEnv = (p: ClusterPaths): NodeJS.ProcessEnv => ({ ...process.env, KUBECONFIG: p.kubeconfig, RUNTIME_NAMESPACE: FLUX_NAMESPACE });
const ready = (port: number) => async () => (await httpStatus(`http://127.0.0.1:${port}/readyz`)) === 200;

export function gitServerDaemon(p: ClusterPaths): Daemon {
  // Started by the same Node as this script: it strips the types of the server's .ts.
  return {
    name: 'git-server',
    command: process.execPath,
    args: [repoPath('scripts/git-server.ts'), '--root', gitRoot(p), '--port', String(GIT_HTTP_PORT)],
    healthy: async () => (await httpStatus(`http://127.0.0.1:${GIT_HTTP_PORT}/inferscale.git/info/refs?service=git-upload-pack`)) === 200,
  };
}

export function sourceControllerDaemon(p: ClusterPaths, fluxBin: string): Daemon {
  const artifacts = `127.0.0.1:${FLUX_PORTS['source-controller artifacts']}`;
  return {
    name: 'source-controller',
    command: join(fluxBin, 'source-controller'),
    args: [
      `--storage-path=${artifactsDir(p)}`,
      `--storage-addr=${artifacts}`,
      // kustomize-controller runs on this host too: it downloads artifacts from here.
      `--storage-adv-addr=${artifacts}`,
      `--metrics-addr=127.0.0.1:${FLUX_PORTS['source-controller metrics']}`,
      `--health-addr=127.0.0.1:${FLUX_PORTS['source-controller health']}`,
      '--enable-leader-election=false',
      '--log-encoding=console',
    ],
    env: controllerEnv(p),
    healthy: ready(FLUX_PORTS['source-controller health']),
  };
}

export function kustomizeControllerDaemon(p: ClusterPaths, fluxBin: string): Daemon {
  return {
    name: 'kustomize-controller',
    command: join(fluxBin, 'kustomize-controller'),
    args: [
      `--metrics-addr=127.0.0.1:${FLUX_PORTS['kustomize-controller metrics']}`,
      `--health-addr=127.0.0.1:${FLUX_PORTS['kustomize-controller health']}`,
      '--enable-leader-election=false',
      // Intervals as written: the e2e times what Flux does against them.
      '--interval-jitter-percentage=0',
      '--log-encoding=console',
    ],
    env: controllerEnv(p),
    healthy: ready(FLUX_PORTS['kustomize-controller health']),
  };
}

/**
 * The ServiceMonitor kind, so that Flux can apply overlays/local as written (on minikube and
 * cloud the prometheus-operator chart brings it). Schemaless: the host Prometheus reads the
 * ServiceMonitors from the rendered overlay, not from the cluster.
 */
export function serviceMonitorCrd(): KObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'servicemonitors.monitoring.coreos.com' },
    spec: {
      group: 'monitoring.coreos.com',
      scope: 'Namespaced',
      names: { kind: 'ServiceMonitor', listKind: 'ServiceMonitorList', plural: 'servicemonitors', singular: 'servicemonitor' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  } as KObject;
}

/** Flux's CRDs as its controllers' modules ship them, copied into the build folder. */
export async function fluxCrds(fluxBin: string): Promise<KObject[]> {
  const dir = join(fluxBin, 'crds');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  return (await Promise.all(files.map(async (f) => parseObjects(await readFile(join(dir, f), 'utf8'))))).flat();
}

/** Before source-controller starts: its artifact folder, and every CRD the controllers watch. */
export async function beforeSourceController(p: ClusterPaths, kc: KubeConfig, fluxBin: string): Promise<void> {
  await mkdir(artifactsDir(p), { recursive: true });
  await installFluxCrds(kc, fluxBin);
}

/** Applies the CRDs (and Flux's namespace) and waits until each is Established. */
export async function installFluxCrds(kc: KubeConfig, fluxBin: string): Promise<void> {
  const crds = [...(await fluxCrds(fluxBin)), serviceMonitorCrd()];
  await serverSideApply(kc, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: FLUX_NAMESPACE } });
  await installCrds(kc, crds);
}

/**
 * The served repository: a bare clone of this working tree whose `main` is its HEAD.
 * Uncommitted changes are not served; returns HEAD's commit and whether the tree was dirty.
 */
export async function serveWorkingTree($: Sh, p: ClusterPaths): Promise<{ commit: string; dirty: boolean }> {
  const git = $({ nothrow: true, cwd: REPO_ROOT });
  const head = await git`git rev-parse HEAD`;
  if (head.exitCode !== 0) throw new UserError(`${REPO_ROOT} is not a Git working tree with a commit; Flux needs one to serve: ${head.stderr.trim()}`);
  const commit = head.stdout.trim();
  const dirty = (await git`git status --porcelain --untracked-files=no`).stdout.trim() !== '';
  await rm(servedRepo(p), { recursive: true, force: true });
  await mkdir(gitRoot(p), { recursive: true });
  const clone = await git`git clone -q --bare --no-tags ${REPO_ROOT} ${servedRepo(p)}`;
  if (clone.exitCode !== 0) throw new UserError(`cannot make the served repository: ${clone.stderr.trim()}`);
  await $({ cwd: servedRepo(p) })`git update-ref ${`refs/heads/${SERVED_BRANCH}`} ${commit}`;
  await $({ cwd: servedRepo(p) })`git symbolic-ref HEAD ${`refs/heads/${SERVED_BRANCH}`}`;
  return { commit, dirty };
}
