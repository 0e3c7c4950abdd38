import type { KubeConfig } from '@kubernetes/client-node';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../cli.ts';
import { CUSTOM_METRICS_VERSIONS } from '../../kube/custom-metrics.ts';
import type { KObject } from '../../manifests/objects.ts';
import { adapterConfigYaml, loadAdapterRules, loadExternalRules } from '../../monitoring/adapter-rules.ts';
import { registerHostApi, unregisterHostApi, type HostApi } from './host-api.ts';
import { prometheusConfig } from '../../monitoring/prometheus-config.ts';
import { ADAPTER_RULES_FILE, repoPath } from '../../paths.ts';
import type { MetricPlane } from '../../manifests/plane.ts';
import type { ClusterPaths } from './paths.ts';
import { httpStatus, logFile, type Daemon } from './processes.ts';

// The embedded cluster's metrics pipeline: Prometheus and prometheus-adapter as host
// processes, the adapter registered in the cluster as an aggregated API (host-api.ts).

export const PROMETHEUS_PORT = 9090;
export const ADAPTER_PORT = 6445;
/** New series (new pods) show up in the custom metrics API within this. */
export const ADAPTER_RELIST_SECONDS = 5;

export const prometheusUrl = () => `http://127.0.0.1:${PROMETHEUS_PORT}`;

export function prometheusDaemon(p: ClusterPaths, prometheusBin: string): Daemon {
  return {
    name: 'prometheus',
    command: join(prometheusBin, 'prometheus'),
    args: [
      `--config.file=${join(p.config, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(p.state, 'prometheus')}`,
      '--storage.tsdb.retention.time=6h',
      `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`,
      '--web.enable-lifecycle',
      '--log.level=warn',
    ],
    healthy: async () => (await httpStatus(`${prometheusUrl()}/-/ready`)) === 200,
  };
}

export function adapterDaemon(p: ClusterPaths, adapterBin: string): Daemon {
  return {
    name: 'prometheus-adapter',
    command: join(adapterBin, 'adapter'),
    args: [
      `--secure-port=${ADAPTER_PORT}`,
      '--bind-address=127.0.0.1',
      `--cert-dir=${join(p.state, 'adapter')}`,
      `--lister-kubeconfig=${p.kubeconfig}`,
      `--authentication-kubeconfig=${p.kubeconfig}`,
      `--authorization-kubeconfig=${p.kubeconfig}`,
      `--prometheus-url=${prometheusUrl()}/`,
      `--metrics-relist-interval=${ADAPTER_RELIST_SECONDS}s`,
      // Discovery looks this far back: well above the scrape interval.
      '--metrics-max-age=2m',
      `--config=${join(p.config, 'adapter.yaml')}`,
      '--v=1',
    ],
    healthy: async () => (await httpStatus(`https://127.0.0.1:${ADAPTER_PORT}/healthz`, { insecure: true })) === 200,
  };
}

/** The custom metrics API the adapter serves, and the external one when its rules serve External metrics. */
export function adapterApi(external: boolean): HostApi {
  return {
    service: 'prometheus-adapter',
    port: ADAPTER_PORT,
    groups: { 'custom.metrics.k8s.io': CUSTOM_METRICS_VERSIONS, ...(external ? { 'external.metrics.k8s.io': ['v1beta1'] } : {}) },
  };
}

export async function writePrometheusConfig(p: ClusterPaths, objects: KObject[]): Promise<void> {
  await mkdir(p.config, { recursive: true });
  await writeFile(join(p.config, 'prometheus.yml'), prometheusConfig(objects, p.kubeconfig));
}

/** Prometheus reads a new configuration on this POST (it runs with --web.enable-lifecycle). */
export async function reloadPrometheus(p: ClusterPaths): Promise<void> {
  const res = await fetch(`${prometheusUrl()}/-/reload`, { method: 'POST' });
  if (!res.ok) throw new UserError(`Prometheus refused to reload its configuration (HTTP ${res.status}); see ${logFile(p, 'prometheus')}.`);
}

/**
 * Writes the adapter's configuration from the rules file; true when it changed. The adapter
 * reads its rules once, at start: a change needs a restart.
 */
export async function writeAdapterConfig(p: ClusterPaths): Promise<boolean> {
  const file = repoPath(ADAPTER_RULES_FILE);
  const config = adapterConfigYaml(await loadAdapterRules(file), await loadExternalRules(file));
  const configFile = join(p.config, 'adapter.yaml');
  if ((await readFile(configFile, 'utf8').catch(() => '')) === config) return false;
  await mkdir(p.config, { recursive: true });
  await writeFile(configFile, config);
  return true;
}

/** Registers the adapter's APIs and waits until the apiserver serves them. */
export const registerAdapter = async (kc: KubeConfig, plane: MetricPlane = 'prometheus-adapter'): Promise<void> => {
  const external = plane === 'prometheus-adapter' && (await loadExternalRules(repoPath(ADAPTER_RULES_FILE))).length > 0;
  // On KEDA's plane the external group is KEDA's: an APIService of ours left from an earlier overlay goes.
  if (!external) await unregisterHostApi(kc, { ...adapterApi(true), groups: { 'external.metrics.k8s.io': ['v1beta1'] } });
  await registerHostApi(kc, adapterApi(external));
};

/** Removes every APIService the adapter may have registered (the rules may have changed since). */
export const unregisterAdapter = (kc: KubeConfig): Promise<void> => unregisterHostApi(kc, adapterApi(true));
