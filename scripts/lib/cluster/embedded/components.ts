import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sh } from '../../shell.ts';
import { NODE_NAME, PORTS, SERVICE_CIDR } from './network.ts';
import type { ClusterPaths } from './paths.ts';
import { pkiFile } from './pki.ts';
import { httpStatus, type Daemon } from './processes.ts';
import type { Binaries } from './toolchain.ts';
import { buildPauseImage, importImage } from './images.ts';
import { PAUSE_IMAGE } from '../versions.ts';

// The daemons of the embedded cluster with the flags hack/local-up-cluster.sh uses, adapted
// to one node and our own folders, and CLUSTER_COMPONENTS: the one list of them, in start order.

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

/** Start order; teardown stops them in reverse. */
/** What a component's hooks may use. */
export interface ComponentContext {
  $: Sh;
  paths: ClusterPaths;
}

/**
 * One daemon of the embedded cluster, as data. Start walks CLUSTER_COMPONENTS forwards
 * (ports checked free, started, healthy, then afterStart); teardown walks it backwards
 * (beforeStop, then SIGTERM). A component the next issues add is one entry here.
 */
export interface Component {
  name: string;
  /** The host ports it listens on, by what they are for. */
  ports: Record<string, number>;
  /** Its command, flags and readiness check. */
  daemon(spec: ClusterSpec, $: Sh): Daemon;
  afterStart?(ctx: ComponentContext): Promise<void>;
  beforeStop?(ctx: ComponentContext): Promise<void>;
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

export const CLUSTER_COMPONENTS: Component[] = [
  { name: 'containerd', ports: {}, daemon: (spec, $) => containerdDaemon(spec.paths, $), afterStart: importPause, beforeStop: killContainers },
  { name: 'etcd', ports: { 'etcd (clients)': PORTS.etcdClient, 'etcd (peers)': PORTS.etcdPeer }, daemon: etcdDaemon },
  { name: 'kube-apiserver', ports: { 'kube-apiserver': PORTS.apiserver }, daemon: apiserverDaemon },
  { name: 'kube-controller-manager', ports: { 'kube-controller-manager': PORTS.controllerManager }, daemon: controllerManagerDaemon },
  { name: 'kube-scheduler', ports: { 'kube-scheduler': PORTS.scheduler }, daemon: schedulerDaemon },
  { name: 'kubelet', ports: { kubelet: PORTS.kubelet, 'kubelet healthz': PORTS.kubeletHealthz }, daemon: kubeletDaemon },
  { name: 'kube-proxy', ports: { 'kube-proxy healthz': PORTS.kubeProxyHealthz, 'kube-proxy metrics': PORTS.kubeProxyMetrics }, daemon: kubeProxyDaemon },
];

export const DAEMON_ORDER = CLUSTER_COMPONENTS.map((c) => c.name);
