import type { KubeConfig } from '@kubernetes/client-node';
import { ApiregistrationV1Api } from '@kubernetes/client-node';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../cli.ts';
import { serverSideApply } from '../../kube/apply.ts';
import { apiErrorCode } from '../../kube/client.ts';
import { CUSTOM_METRICS_VERSIONS, waitApiServicesAvailable } from '../../kube/custom-metrics.ts';
import type { KObject } from '../../manifests/objects.ts';
import { adapterConfigYaml, loadAdapterRules } from '../../monitoring/adapter-rules.ts';
import { prometheusConfig } from '../../monitoring/prometheus-config.ts';
import { ADAPTER_RULES_FILE, repoPath } from '../../paths.ts';
import type { ClusterPaths } from './paths.ts';
import { httpStatus, logFile, type Daemon } from './processes.ts';

// The embedded cluster's metrics pipeline: Prometheus and prometheus-adapter as host
// processes, the adapter registered in the cluster through an ExternalName Service and
// APIService objects, as kwokctl registers host-process metrics servers.

export const PROMETHEUS_PORT = 9090;
export const ADAPTER_PORT = 6445;
/** New series (new pods) show up in the custom metrics API within this. */
export const ADAPTER_RELIST_SECONDS = 5;
export const MONITORING_NAMESPACE = 'monitoring';

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

export function registrationObjects(): KObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: MONITORING_NAMESPACE, labels: { 'app.kubernetes.io/part-of': 'inferscale' } } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'prometheus-adapter', namespace: MONITORING_NAMESPACE },
      spec: { type: 'ExternalName', externalName: 'localhost', ports: [{ name: 'https', port: ADAPTER_PORT }] },
    },
    ...CUSTOM_METRICS_VERSIONS.map((version, i) => ({
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: `${version}.custom.metrics.k8s.io` },
      spec: {
        group: 'custom.metrics.k8s.io',
        version,
        service: { name: 'prometheus-adapter', namespace: MONITORING_NAMESPACE, port: ADAPTER_PORT },
        // The adapter serves a self-signed certificate on the host.
        insecureSkipTLSVerify: true,
        groupPriorityMinimum: 100,
        versionPriority: 100 + 100 * i,
      },
    })),
  ];
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
  const config = adapterConfigYaml(await loadAdapterRules(repoPath(ADAPTER_RULES_FILE)));
  const configFile = join(p.config, 'adapter.yaml');
  if ((await readFile(configFile, 'utf8').catch(() => '')) === config) return false;
  await mkdir(p.config, { recursive: true });
  await writeFile(configFile, config);
  return true;
}

/** Registers the adapter as the custom metrics API and waits until the apiserver serves it. */
export async function registerAdapter(kc: KubeConfig): Promise<void> {
  for (const obj of registrationObjects()) await serverSideApply(kc, obj);
  await waitApiServicesAvailable(kc, 60_000);
}

/** Removes the custom metrics APIServices the adapter serves, when the apiserver runs. */
export async function unregisterAdapter(kc: KubeConfig): Promise<void> {
  const api = kc.makeApiClient(ApiregistrationV1Api);
  for (const version of CUSTOM_METRICS_VERSIONS) {
    await api.deleteAPIService({ name: `${version}.custom.metrics.k8s.io` }).catch((e: unknown) => {
      if (apiErrorCode(e) !== 404) throw e;
    });
  }
}
