import { join } from 'node:path';
import type { HostApi } from './host-api.ts';
import type { ClusterPaths } from './paths.ts';
import { httpStatus, type Daemon } from './processes.ts';

// metrics-server as a host process: it scrapes the kubelet's /metrics/resource and serves
// the resource metrics API (metrics.k8s.io), which `kubectl top` and the HPA's Resource
// metrics (CPU utilization) read.

export const METRICS_SERVER_PORT = 6446;
/** Its scrape period, the window a pod's CPU is averaged over (the simulator's CPU_WINDOW_SECONDS). */
export const METRIC_RESOLUTION_SECONDS = 15;

export const METRICS_SERVER_API: HostApi = { service: 'metrics-server', port: METRICS_SERVER_PORT, groups: { 'metrics.k8s.io': ['v1beta1'] } };

export function metricsServerDaemon(p: ClusterPaths, bin: string): Daemon {
  return {
    name: 'metrics-server',
    command: join(bin, 'metrics-server'),
    args: [
      `--secure-port=${METRICS_SERVER_PORT}`,
      '--bind-address=127.0.0.1',
      `--cert-dir=${join(p.state, 'metrics-server')}`,
      `--kubeconfig=${p.kubeconfig}`,
      `--authentication-kubeconfig=${p.kubeconfig}`,
      `--authorization-kubeconfig=${p.kubeconfig}`,
      // The kubelet's serving certificate is its own self-signed one.
      '--kubelet-insecure-tls',
      '--kubelet-preferred-address-types=InternalIP',
      `--metric-resolution=${METRIC_RESOLUTION_SECONDS}s`,
      '--v=1',
    ],
    healthy: async () => (await httpStatus(`https://127.0.0.1:${METRICS_SERVER_PORT}/livez`, { insecure: true })) === 200,
  };
}
