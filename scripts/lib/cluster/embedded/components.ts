import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sh } from '../../shell.ts';
import { NODE_NAME, PORTS, SERVICE_CIDR } from './network.ts';
import type { ClusterPaths } from './paths.ts';
import { pkiFile } from './pki.ts';
import { httpStatus, runningPid, type Daemon } from './processes.ts';
import type { Binaries } from './toolchain.ts';
import { buildPauseImage, importImage } from './images.ts';
import { PAUSE_IMAGE } from '../versions.ts';
import type { KubeConfig } from '@kubernetes/client-node';
import { UserError } from '../../cli.ts';
import { loadKubeConfig } from '../../kube/client.ts';
import { beforeSourceController, FLUX_PORTS, gitServerDaemon, kustomizeControllerDaemon, sourceControllerDaemon } from './flux.ts';
import { applicationControllerDaemon, argocdFolders, ARGOCD_PORTS, beforeArgocd, redisDaemon, repoServerDaemon } from './argocd.ts';
import { ADAPTER_PORT, adapterDaemon, PROMETHEUS_PORT, prometheusDaemon, registerAdapter, reloadPrometheus, unregisterAdapter, writeAdapterConfig, writePrometheusConfig } from './monitoring.ts';
import type { KObject } from '../../manifests/objects.ts';
import { registerHostApi, unregisterHostApi } from './host-api.ts';
import { METRICS_SERVER_API, METRICS_SERVER_PORT, metricsServerDaemon } from './metrics-server.ts';
import { beforeKedaOperator, KEDA_API, KEDA_PORTS, kedaMetricsApiServerDaemon, kedaOperatorDaemon } from './keda.ts';
import { metricPlane } from '../../manifests/plane.ts';

// The daemons of the embedded cluster with the flags hack/local-up-cluster.sh uses, adapted
// to one node and our own folders, and COMPONENTS: the one list of every daemon, in start order.

export interface ClusterSpec {
  paths: ClusterPaths;
  bins: Binaries;
  nodeIP: string;
}

const conf = (p: ClusterPaths, name: string) => join(p.config, name);

export function apiserverUrl(): string {
  return `https://127.0.0.1:${PORTS.apiserver}`;
}

function adminTls(p: ClusterPaths) {
  return {
    ca: readFileSync(pkiFile(p.pki, 'server-ca', 'crt')),
    cert: readFileSync(pkiFile(p.pki, 'admin', 'crt')),
    key: readFileSync(pkiFile(p.pki, 'admin', 'key')),
  };
}

export function containerdDaemon(p: ClusterPaths, $: Sh): Daemon {
  return {
    name: 'containerd',
    command: 'containerd',
    args: ['--config', conf(p, 'containerd.toml')],
    healthy: async () => (await $({ nothrow: true })`ctr -a ${p.containerdSocket} version`).exitCode === 0,
  };
}

export function etcdDaemon({ paths: p, bins }: ClusterSpec): Daemon {
  const client = `http://127.0.0.1:${PORTS.etcdClient}`;
  const peer = `http://127.0.0.1:${PORTS.etcdPeer}`;
  return {
    name: 'etcd',
    command: join(bins.etcd, 'etcd'),
    args: [
      '--name', 'inferscale', '--data-dir', p.etcdData,
      '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `inferscale=${peer}`,
      '--quota-backend-bytes', String(2 * 1024 ** 3),
      '--log-level', 'warn',
    ],
    healthy: async () => (await httpStatus(`${client}/health`)) === 200,
  };
}

export function apiserverDaemon({ paths: p, bins, nodeIP }: ClusterSpec): Daemon {
  const f = (name: string, ext: 'crt' | 'key' | 'pub') => pkiFile(p.pki, name, ext);
  return {
    name: 'kube-apiserver',
    command: join(bins.kubernetes, 'kube-apiserver'),
    args: [
      `--etcd-servers=http://127.0.0.1:${PORTS.etcdClient}`,
      '--bind-address=0.0.0.0',
      `--secure-port=${PORTS.apiserver}`,
      `--advertise-address=${nodeIP}`,
      `--tls-cert-file=${f('apiserver', 'crt')}`,
      `--tls-private-key-file=${f('apiserver', 'key')}`,
      `--client-ca-file=${f('client-ca', 'crt')}`,
      `--service-account-key-file=${f('service-account', 'pub')}`,
      `--service-account-signing-key-file=${f('service-account', 'key')}`,
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--authorization-mode=Node,RBAC',
      // PodSecurity admission, not this flag, is what refuses privileged pods.
      '--allow-privileged=true',
      `--kubelet-client-certificate=${f('apiserver-kubelet-client', 'crt')}`,
      `--kubelet-client-key=${f('apiserver-kubelet-client', 'key')}`,
      '--kubelet-preferred-address-types=InternalIP,Hostname',
      // Aggregated APIs (prometheus-adapter) authenticate the apiserver by these.
      `--requestheader-client-ca-file=${f('front-proxy-ca', 'crt')}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${f('front-proxy-client', 'crt')}`,
      `--proxy-client-key-file=${f('front-proxy-client', 'key')}`,
      '--profiling=false',
    ],
    healthy: async () => (await httpStatus(`${apiserverUrl()}/readyz`, adminTls(p))) === 200,
  };
}

export function controllerManagerDaemon({ paths: p, bins }: ClusterSpec): Daemon {
  const kubeconfig = conf(p, 'controller-manager.kubeconfig');
  return {
    name: 'kube-controller-manager',
    command: join(bins.kubernetes, 'kube-controller-manager'),
    args: [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      `--service-account-private-key-file=${pkiFile(p.pki, 'service-account', 'key')}`,
      `--root-ca-file=${pkiFile(p.pki, 'server-ca', 'crt')}`,
      `--cluster-signing-cert-file=${pkiFile(p.pki, 'client-ca', 'crt')}`,
      `--cluster-signing-key-file=${pkiFile(p.pki, 'client-ca', 'key')}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--use-service-account-credentials=true',
      '--controllers=*',
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${PORTS.controllerManager}`,
      // --horizontal-pod-autoscaler-sync-period stays at its 15 s default, as on real clusters.
    ],
    healthy: async () => (await httpStatus(`https://127.0.0.1:${PORTS.controllerManager}/healthz`, { insecure: true })) === 200,
  };
}

export function schedulerDaemon({ paths: p, bins }: ClusterSpec): Daemon {
  const kubeconfig = conf(p, 'scheduler.kubeconfig');
  return {
    name: 'kube-scheduler',
    command: join(bins.kubernetes, 'kube-scheduler'),
    args: [
      `--config=${conf(p, 'scheduler.yaml')}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${PORTS.scheduler}`,
    ],
    healthy: async () => (await httpStatus(`https://127.0.0.1:${PORTS.scheduler}/healthz`, { insecure: true })) === 200,
  };
}

export function kubeletDaemon({ paths: p, bins, nodeIP }: ClusterSpec): Daemon {
  return {
    name: 'kubelet',
    command: join(bins.kubernetes, 'kubelet'),
    args: [
      `--config=${conf(p, 'kubelet.yaml')}`,
      `--kubeconfig=${conf(p, 'kubelet.kubeconfig')}`,
      `--hostname-override=${NODE_NAME}`,
      `--node-ip=${nodeIP}`,
      `--root-dir=${p.kubeletRoot}`,
    ],
    healthy: async () => (await httpStatus(`http://127.0.0.1:${PORTS.kubeletHealthz}/healthz`)) === 200,
  };
}

export function kubeProxyDaemon({ paths: p, bins }: ClusterSpec): Daemon {
  return {
    name: 'kube-proxy',
    command: join(bins.kubernetes, 'kube-proxy'),
    args: [`--config=${conf(p, 'kube-proxy.yaml')}`],
    healthy: async () => (await httpStatus(`http://127.0.0.1:${PORTS.kubeProxyHealthz}/livez`)) === 200,
  };
}

/** What a component's hooks may use. */
export interface ComponentContext {
  $: Sh;
  paths: ClusterPaths;
  bins: Partial<Binaries>;
  /** The rendered overlay, for the components configured from it (Prometheus reads its ServiceMonitors). */
  objects?: KObject[];
}

/**
 * The layers of the embedded cluster: the cluster itself (always), the metrics pipeline
 * (bootstrap installs it), KEDA for an overlay whose metric plane it is, and with --gitops,
 * the Git server and that GitOps controller.
 */
export type Layer = 'cluster' | 'monitoring' | 'keda' | 'git' | 'flux' | 'argocd';

/**
 * One daemon of the embedded cluster, as data. Start walks COMPONENTS forwards for the
 * layers it brings up (ports checked free, beforeStart, started, healthy, afterStart);
 * teardown walks the whole list backwards (beforeStop, then SIGTERM). A component the next
 * issues add is one entry here.
 */
export interface Component {
  name: string;
  layer: Layer;
  /** The Go component (toolchain.ts) its binary is built as, which pins its version; none for our own programs. */
  build?: keyof Binaries;
  /** The host ports it listens on, by what they are for. */
  ports: Record<string, number>;
  /** Its command, flags and readiness check. */
  daemon(spec: ClusterSpec, $: Sh): Daemon;
  beforeStart?(ctx: ComponentContext): Promise<void>;
  afterStart?(ctx: ComponentContext): Promise<void>;
  beforeStop?(ctx: ComponentContext): Promise<void>;
  /** Found running: bring its configuration in line; 'restart' has the walk stop and start it again. */
  refresh?(ctx: ComponentContext): Promise<'keep' | 'restart'>;
}

/** Kills every container, so its mounts and network namespace go with it. */
async function killContainers({ $, paths }: ComponentContext): Promise<void> {
  const ctr = $({ nothrow: true });
  const tasks = await ctr`ctr -a ${paths.containerdSocket} -n k8s.io tasks ls -q`;
  for (const id of tasks.stdout.split('\n').filter(Boolean)) await ctr`ctr -a ${paths.containerdSocket} -n k8s.io tasks kill -s SIGKILL ${id}`;
}

async function importPause({ $, paths }: ComponentContext): Promise<void> {
  const { path, image } = await buildPauseImage($, paths);
  await importImage($, paths, PAUSE_IMAGE, path, image.digest);
}

const bin = (spec: ClusterSpec, key: keyof Binaries): string => {
  const dir = spec.bins[key];
  if (!dir) throw new UserError(`${key} is not built; run bootstrap with the option that needs it.`);
  return dir;
};

const adminKubeConfig = (paths: ClusterPaths): KubeConfig => loadKubeConfig(paths.kubeconfig);

export const COMPONENTS: Component[] = [
  { name: 'containerd', layer: 'cluster', ports: {}, daemon: (spec, $) => containerdDaemon(spec.paths, $), afterStart: importPause, beforeStop: killContainers },
  { name: 'etcd', layer: 'cluster', build: 'etcd', ports: { 'etcd (clients)': PORTS.etcdClient, 'etcd (peers)': PORTS.etcdPeer }, daemon: etcdDaemon },
  { name: 'kube-apiserver', layer: 'cluster', build: 'kubernetes', ports: { 'kube-apiserver': PORTS.apiserver }, daemon: apiserverDaemon },
  { name: 'kube-controller-manager', layer: 'cluster', build: 'kubernetes', ports: { 'kube-controller-manager': PORTS.controllerManager }, daemon: controllerManagerDaemon },
  { name: 'kube-scheduler', layer: 'cluster', build: 'kubernetes', ports: { 'kube-scheduler': PORTS.scheduler }, daemon: schedulerDaemon },
  { name: 'kubelet', layer: 'cluster', build: 'kubernetes', ports: { kubelet: PORTS.kubelet, 'kubelet healthz': PORTS.kubeletHealthz }, daemon: kubeletDaemon },
  { name: 'kube-proxy', layer: 'cluster', build: 'kubernetes', ports: { 'kube-proxy healthz': PORTS.kubeProxyHealthz, 'kube-proxy metrics': PORTS.kubeProxyMetrics }, daemon: kubeProxyDaemon },
  // The adapter reads Prometheus, so Prometheus comes first.
  {
    name: 'prometheus',
    layer: 'monitoring',
    build: 'prometheus',
    ports: { prometheus: PROMETHEUS_PORT },
    daemon: (spec) => prometheusDaemon(spec.paths, bin(spec, 'prometheus')),
    beforeStart: async ({ paths, objects }) => writePrometheusConfig(paths, objects ?? []),
    refresh: async ({ paths, objects }) => {
      await writePrometheusConfig(paths, objects ?? []);
      await reloadPrometheus(paths);
      return 'keep';
    },
  },
  {
    name: 'prometheus-adapter',
    layer: 'monitoring',
    build: 'adapter',
    ports: { 'prometheus-adapter': ADAPTER_PORT },
    daemon: (spec) => adapterDaemon(spec.paths, bin(spec, 'adapter')),
    beforeStart: async ({ paths }) => void (await writeAdapterConfig(paths)),
    afterStart: async ({ paths, objects }) => registerAdapter(adminKubeConfig(paths), metricPlane(objects)),
    refresh: async ({ paths, objects }) => {
      if (await writeAdapterConfig(paths)) return 'restart';
      await registerAdapter(adminKubeConfig(paths), metricPlane(objects));
      return 'keep';
    },
    // With APIServices pointing at a stopped adapter, namespace deletion hangs.
    beforeStop: async ({ paths }) => {
      if (await runningPid(paths, 'kube-apiserver')) await unregisterAdapter(adminKubeConfig(paths));
    },
  },
  {
    name: 'metrics-server',
    layer: 'monitoring',
    build: 'metricsServer',
    ports: { 'metrics-server': METRICS_SERVER_PORT },
    daemon: (spec) => metricsServerDaemon(spec.paths, bin(spec, 'metricsServer')),
    afterStart: async ({ paths }) => registerHostApi(adminKubeConfig(paths), METRICS_SERVER_API),
    refresh: async ({ paths }) => {
      await registerHostApi(adminKubeConfig(paths), METRICS_SERVER_API);
      return 'keep';
    },
    beforeStop: async ({ paths }) => {
      if (await runningPid(paths, 'kube-apiserver')) await unregisterHostApi(adminKubeConfig(paths), METRICS_SERVER_API);
    },
  },
  {
    name: 'keda-operator',
    layer: 'keda',
    build: 'keda',
    ports: pick(KEDA_PORTS, 'keda-operator'),
    daemon: (spec) => kedaOperatorDaemon(spec.paths, bin(spec, 'keda')),
    // The CRDs before the operator, which watches them from the start.
    beforeStart: async ({ $, paths, bins }) => beforeKedaOperator($, paths, adminKubeConfig(paths), bins.keda as string),
  },
  {
    name: 'keda-adapter',
    layer: 'keda',
    build: 'keda',
    ports: pick(KEDA_PORTS, 'keda-adapter'),
    daemon: (spec) => kedaMetricsApiServerDaemon(spec.paths, bin(spec, 'keda')),
    afterStart: async ({ paths }) => registerHostApi(adminKubeConfig(paths), KEDA_API),
    refresh: async ({ paths }) => {
      await registerHostApi(adminKubeConfig(paths), KEDA_API);
      return 'keep';
    },
    beforeStop: async ({ paths }) => {
      if (await runningPid(paths, 'kube-apiserver')) await unregisterHostApi(adminKubeConfig(paths), KEDA_API);
    },
  },
  { name: 'git-server', layer: 'git', ports: { 'Git server': FLUX_PORTS['Git server'] }, daemon: (spec) => gitServerDaemon(spec.paths) },
  {
    name: 'source-controller',
    layer: 'flux',
    build: 'flux',
    ports: pick(FLUX_PORTS, 'source-controller'),
    daemon: (spec) => sourceControllerDaemon(spec.paths, bin(spec, 'flux')),
    // The CRDs before the controllers, which watch them from the start.
    beforeStart: async ({ paths, bins }) => beforeSourceController(paths, adminKubeConfig(paths), bins.flux as string),
  },
  { name: 'kustomize-controller', layer: 'flux', build: 'flux', ports: pick(FLUX_PORTS, 'kustomize-controller'), daemon: (spec) => kustomizeControllerDaemon(spec.paths, bin(spec, 'flux')) },
  { name: 'redis-server', layer: 'argocd', ports: pick(ARGOCD_PORTS, 'redis'), daemon: (spec) => redisDaemon(spec.paths), beforeStart: async ({ paths }) => argocdFolders(paths) },
  {
    name: 'argocd-repo-server',
    layer: 'argocd',
    build: 'argocd',
    ports: pick(ARGOCD_PORTS, 'argocd-repo-server'),
    daemon: (spec) => repoServerDaemon(spec.paths, bin(spec, 'argocd'), bin(spec, 'kustomize')),
    beforeStart: async ({ paths, bins }) => beforeArgocd(paths, adminKubeConfig(paths), bins.argocd as string),
  },
  {
    name: 'argocd-application-controller',
    layer: 'argocd',
    build: 'argocd',
    ports: pick(ARGOCD_PORTS, 'argocd-application-controller'),
    daemon: (spec) => applicationControllerDaemon(spec.paths, bin(spec, 'argocd'), bin(spec, 'kustomize')),
  },
];

function pick(ports: Record<string, number>, prefix: string): Record<string, number> {
  return Object.fromEntries(Object.entries(ports).filter(([k]) => k.startsWith(prefix)));
}

export const componentsOf = (layer: Layer): Component[] => COMPONENTS.filter((c) => c.layer === layer);
/** The cluster layer's daemons in start order: all of them up means the cluster runs. */
export const DAEMON_ORDER = componentsOf('cluster').map((c) => c.name);
