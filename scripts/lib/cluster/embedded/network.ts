import { UserError } from '../../cli.ts';
import type { Sh } from '../../shell.ts';

// The embedded cluster's addresses. Pods get 10.244.0.0/24 on our own bridge; Services
// 10.96.0.0/24; the node is the host, on the address of its default route.

export const NODE_NAME = 'inferscale-node';
export const BRIDGE = 'inferscale0';
export const CNI_NETWORK = 'inferscale';
export const POD_CIDR = '10.244.0.0/24';
export const SERVICE_CIDR = '10.96.0.0/24';
export const SERVICE_IP = '10.96.0.1';

export const PORTS = {
  etcdClient: 2379,
  etcdPeer: 2380,
  apiserver: 6443,
  controllerManager: 10257,
  scheduler: 10259,
  kubelet: 10250,
  kubeletHealthz: 10248,
  kubeProxyHealthz: 10256,
  kubeProxyMetrics: 10249,
};

/** The host's primary IPv4 address: the source of its default route, else its first global one. */
export async function nodeIP($: Sh): Promise<string> {
  const route = await $({ nothrow: true })`ip -4 route show default`;
  const dev = /\bdev (\S+)/.exec(route.stdout)?.[1];
  const addrs = await $({ nothrow: true })`ip -4 -o addr show scope global ${dev ? ['dev', dev] : []}`;
  const ip = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(addrs.stdout)?.[1];
  if (!ip) throw new UserError('this machine has no global IPv4 address for the node; add one (even a dummy interface) and retry.');
  return ip;
}
