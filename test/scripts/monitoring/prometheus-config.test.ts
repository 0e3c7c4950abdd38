import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { labelSelector, type KObject, type ServiceMonitor } from '../../../scripts/lib/manifests/objects.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { prometheusConfig, scrapeJobs } from '../../../scripts/lib/monitoring/prometheus-config.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';
import { sh } from '../../../scripts/lib/shell.ts';

// The embedded cluster's host Prometheus, configured from overlays/local's ServiceMonitor as
// prometheus-operator would configure it.

const { objects } = await renderOverlay(sh, repoPath('overlays/local'));
const sm = objects.find((o) => o.kind === 'ServiceMonitor') as ServiceMonitor;
const svc = objects.find((o) => o.kind === 'Service') as V1Service & KObject;
const endpoint = sm.spec.endpoints?.[0];
const config = suite('the host Prometheus configuration');

config("makes one job per ServiceMonitor endpoint with its interval and path", () => {
  const jobs = scrapeJobs(objects, '/kubeconfig');
  assert.is(jobs.length, sm.spec.endpoints?.length);
  assert.is(jobs[0]?.job_name, `serviceMonitor/${sm.metadata.namespace}/${sm.metadata.name}/0`);
  assert.is(jobs[0]?.scrape_interval, endpoint?.interval);
  assert.is(jobs[0]?.metrics_path, endpoint?.path ?? '/metrics');
});

config("selects the Services of the ServiceMonitor's own namespace, as the operator does without a namespaceSelector", () => {
  const elsewhere = (o: KObject): KObject => (o.kind === 'Namespace' ? o : { ...o, metadata: { ...o.metadata, namespace: 'other' } });
  const both = [...objects, ...objects.map(elsewhere)];
  const jobs = scrapeJobs(both, '/kubeconfig');
  assert.is(jobs.length, 2 * (sm.spec.endpoints?.length ?? 0));
  assert.is(new Set(jobs.map((j) => j.job_name)).size, jobs.length, 'every job name its own (Prometheus refuses duplicates)');
  assert.equal(jobs.map((j) => (j.kubernetes_sd_configs[0] as { namespaces: { names: string[] } }).namespaces.names), [[sm.metadata.namespace], ['other']]);
});

config("discovers the Service's pods in its namespace and keeps only the endpoint's port", () => {
  const [job] = scrapeJobs(objects, '/kubeconfig');
  assert.equal(job?.kubernetes_sd_configs, [
    { role: 'pod', kubeconfig_file: '/kubeconfig', namespaces: { names: [sm.metadata.namespace] }, selectors: [{ role: 'pod', label: labelSelector(svc.spec?.selector) }] },
  ]);
  const port = svc.spec?.ports?.find((p) => p.name === endpoint?.port);
  assert.equal((job?.relabel_configs as unknown[])[0], { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: port?.targetPort, action: 'keep' });
  const deployment = objects.find((o) => o.kind === 'Deployment') as V1Deployment & KObject;
  const containerPorts = deployment.spec?.template.spec?.containers.flatMap((c) => c.ports ?? []).map((p) => p.name);
  assert.ok(containerPorts?.includes(String(port?.targetPort)), 'the kept port is a named container port');
});

config('labels every series with the namespace and pod the adapter rules associate', () => {
  const [job] = scrapeJobs(objects, '/kubeconfig');
  const targets = (job?.relabel_configs as { target_label?: string }[]).map((r) => r.target_label).filter(Boolean);
  assert.ok(targets.includes('namespace') && targets.includes('pod'), targets.join(' '));
});

config('scrapes nothing for an endpoint whose port the Service does not have', () => {
  const broken = objects.map((o) => (o === sm ? ({ ...sm, spec: { ...sm.spec, endpoints: [{ ...endpoint, port: 'nope' }] } } as KObject) : o));
  assert.equal(scrapeJobs(broken, '/kubeconfig'), []);
});

config('is a Prometheus config file with the scrape interval as the global default', () => {
  const text = parse(prometheusConfig(objects, '/kubeconfig')) as { global: { scrape_interval: string }; scrape_configs: unknown[] };
  assert.is(text.global.scrape_interval, endpoint?.interval);
  assert.is(text.scrape_configs.length, 1);
});

config.run();
