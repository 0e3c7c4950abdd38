import type { V1Service } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { type KObject, labelSelector, selectorMatches, type ServiceMonitor } from '../manifests/objects.ts';
import type { ScaledObject } from '../manifests/keda.ts';
import { BACKLOG_METRIC, BACKLOG_PORT } from './backlog.ts';

// The embedded cluster has no prometheus-operator, so its host Prometheus is configured
// from the overlay's ServiceMonitors the way the operator would: each endpoint becomes a
// scrape job over the pods behind the selected Services, on the endpoint's port.

export interface ScrapeJob {
  job_name: string;
  scrape_interval: string;
  scrape_timeout: string;
  metrics_path: string;
  kubernetes_sd_configs: unknown[];
  relabel_configs: unknown[];
}

export function scrapeJobs(objects: KObject[], kubeconfig: string): ScrapeJob[] {
  const services = objects.filter((o) => o.kind === 'Service') as unknown as (V1Service & KObject)[];
  return (objects.filter((o) => o.kind === 'ServiceMonitor') as ServiceMonitor[]).flatMap((sm) => {
    const namespace = sm.metadata.namespace ?? 'default';
    // As the operator selects without a namespaceSelector: Services in the ServiceMonitor's own namespace.
    const selected = services.filter((s) => (s.metadata.namespace ?? 'default') === namespace && selectorMatches(sm.spec.selector?.matchLabels, s.metadata.labels));
    return (sm.spec.endpoints ?? []).flatMap((ep, i) =>
      selected.flatMap((svc) => {
        const port = svc.spec?.ports?.find((p) => p.name === ep.port);
        const podSelector = labelSelector(svc.spec?.selector);
        if (!port || !podSelector) return [];
        const target = port.targetPort ?? port.port;
        const keepPort =
          typeof target === 'string'
            ? { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: target, action: 'keep' }
            : { source_labels: ['__meta_kubernetes_pod_container_port_number'], regex: String(target), action: 'keep' };
        return [
          {
            job_name: `serviceMonitor/${namespace}/${sm.metadata.name}/${i}`,
            scrape_interval: ep.interval ?? '30s',
            scrape_timeout: ep.scrapeTimeout ?? '10s',
            metrics_path: ep.path ?? '/metrics',
            kubernetes_sd_configs: [
              { role: 'pod', kubeconfig_file: kubeconfig, namespaces: { names: [namespace] }, selectors: [{ role: 'pod', label: podSelector }] },
            ],
            relabel_configs: [
              keepPort,
              { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Running', action: 'keep' },
              { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
              { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
              { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
              { target_label: 'service', replacement: svc.metadata.name },
            ],
          },
        ];
      }),
    );
  });
}

/**
 * The host's own exporters an overlay reads: a ScaledObject whose query counts the batch
 * client's backlog has it scraped where the client serves it, labelled with its namespace.
 */
export function hostJobs(objects: KObject[]): object[] {
  return objects
    .filter((o) => o.kind === 'ScaledObject' && (o as ScaledObject).spec.triggers.some((t) => t.metadata.query?.includes(BACKLOG_METRIC)))
    .map((so) => ({
      job_name: `batch-client/${so.metadata.namespace ?? 'default'}`,
      scrape_interval: '5s',
      scrape_timeout: '4s',
      static_configs: [{ targets: [`127.0.0.1:${BACKLOG_PORT}`], labels: { namespace: so.metadata.namespace ?? 'default' } }],
    }));
}

export function prometheusConfig(objects: KObject[], kubeconfig: string): string {
  const jobs = [...scrapeJobs(objects, kubeconfig), ...hostJobs(objects)] as ScrapeJob[];
  return stringify({ global: { scrape_interval: jobs[0]?.scrape_interval ?? '15s', evaluation_interval: '15s' }, scrape_configs: jobs });
}
