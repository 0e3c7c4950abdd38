import { homedir } from 'node:os';
import { join } from 'node:path';

// Caches survive teardown (built binaries, the Go wrapper modules, the PKI); state is one
// cluster's life (data, logs, pid files, kubeconfig) and teardown removes it.

export interface ClusterPaths {
  cache: string;
  bin: string;
  src: string;
  pki: string;
  images: string;
  state: string;
  logs: string;
  pids: string;
  etcdData: string;
  kubeletRoot: string;
  containerdRoot: string;
  containerdState: string;
  containerdSocket: string;
  cniConf: string;
  cniData: string;
  config: string;
  kubeconfig: string;
}

export function clusterPaths(env: NodeJS.ProcessEnv = process.env): ClusterPaths {
  const cache = env.INFERSCALE_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'inferscale');
  const state = env.INFERSCALE_STATE ?? '/var/lib/inferscale';
  const run = env.INFERSCALE_RUN ?? '/run/inferscale';
  return {
    cache,
    bin: join(cache, 'bin'),
    src: join(cache, 'src'),
    pki: join(cache, 'pki'),
    images: join(cache, 'images'),
    state,
    logs: join(state, 'logs'),
    pids: join(run, 'pids'),
    etcdData: join(state, 'etcd'),
    kubeletRoot: join(state, 'kubelet'),
    containerdRoot: join(state, 'containerd'),
    containerdState: join(run, 'containerd'),
    containerdSocket: join(run, 'containerd.sock'),
    cniConf: join(state, 'cni', 'net.d'),
    cniData: join(state, 'cni', 'data'),
    config: join(state, 'config'),
    kubeconfig: join(state, 'kubeconfig'),
  };
}
