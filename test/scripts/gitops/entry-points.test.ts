import { readFile } from 'node:fs/promises';
import { parse, parseAllDocuments } from 'yaml';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { EMBEDDED_FLUX_DIR, SERVED_BRANCH, SERVED_URL } from '../../../scripts/lib/cluster/embedded/flux.ts';
import { renderWithSource } from '../../../scripts/lib/gitops/source.ts';
import { fluxDrivers } from '../../../scripts/lib/gitops/flux.ts';
import { argocdDrivers } from '../../../scripts/lib/gitops/argocd.ts';
import { ARGOCD_DESTINATION, EMBEDDED_ARGOCD_DIR } from '../../../scripts/lib/cluster/embedded/argocd.ts';

const appKustomization = fluxDrivers.appFor;
import type { KObject } from '../../../scripts/lib/manifests/objects.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';
import { sh } from '../../../scripts/lib/shell.ts';

// gitops/ as a user applies it, and as the embedded cluster runs it: the same objects, through
// the same source file pointed at the loopback Git server, with only the differences
// gitops/embedded/* say they patch.

const gitops = suite('the GitOps entry points');

const yamlObjects = async (file: string): Promise<KObject[]> => parseAllDocuments(await readFile(repoPath(file), 'utf8')).map((d) => d.toJS() as KObject);
const byKindName = (objects: KObject[]) => new Map(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
type Spec = Record<string, unknown>;
const spec = (o: KObject | undefined): Spec => ((o as unknown as { spec?: Spec })?.spec ?? {});
/** An entry point as bootstrap renders it on the embedded cluster. */
const embeddedRender = async (entry: string) => (await renderWithSource(sh, entry, { url: SERVED_URL, revision: SERVED_BRANCH })).objects;
const rendered = async (dir: string) => (await renderOverlay(sh, dir)).objects;

gitops('the Flux objects for minikube apply overlays/minikube after the monitoring layer, pruned, waited for, with a timeout', async () => {
  const { objects } = await renderOverlay(sh, 'gitops/flux/minikube');
  const app = appKustomization(objects, 'overlays/minikube');
  assert.ok(app, 'a Kustomization for ./overlays/minikube');
  const s = spec(app);
  assert.equal([s.prune, s.wait, typeof s.timeout], [true, true, 'string']);
  assert.equal(s.dependsOn, [{ name: 'inferscale-monitoring' }]);
  const monitoring = byKindName(objects).get('Kustomization/inferscale-monitoring');
  assert.is(spec(monitoring).path, './base/monitoring');
});

gitops('the embedded cluster runs gitops/flux/minikube through its source pointed at the loopback Git server, with only the overlay, the intervals and the monitoring layer patched', async () => {
  const committed = byKindName((await renderOverlay(sh, 'gitops/flux/minikube')).objects);
  const embedded = await embeddedRender(EMBEDDED_FLUX_DIR);
  const app = appKustomization(embedded, 'overlays/local');
  assert.ok(app, 'a Kustomization for ./overlays/local');
  const source = embedded.find((o) => o.kind === 'GitRepository');
  assert.is(spec(source).url, SERVED_URL);
  const { url: _u, interval: _i, ...sourceRest } = spec(source);
  const { url: _cu, interval: _ci, ...committedSourceRest } = spec(committed.get('GitRepository/inferscale'));
  assert.equal(sourceRest, committedSourceRest, 'the GitRepository differs only in URL and interval');
  const patched = ['path', 'interval', 'retryInterval', 'timeout', 'dependsOn'];
  const rest = (s: Spec) => Object.fromEntries(Object.entries(s).filter(([k]) => !patched.includes(k)));
  assert.equal(rest(spec(app)), rest(spec(committed.get('Kustomization/inferscale-minikube'))), 'the app Kustomization differs only in the patched fields');
  assert.is(spec(app).dependsOn, undefined, 'no monitoring layer to wait for: it runs on the host');
  assert.equal(embedded.map((o) => o.kind).sort(), ['GitRepository', 'Kustomization']);
});

gitops('the embedded cluster runs the root Application of gitops/argocd/minikube through its source pointed at the loopback Git server, with only the folder it syncs and the destination patched', async () => {
  type AppSpec = { source: Spec; destination: Spec } & Spec;
  const committed = spec(byKindName(await rendered('gitops/argocd/minikube')).get('Application/inferscale')) as AppSpec;
  const embedded = await embeddedRender(EMBEDDED_ARGOCD_DIR);
  assert.equal(embedded.map((o) => `${o.kind}/${o.metadata.name}`), ['Application/inferscale']);
  const root = spec(embedded[0]) as AppSpec;
  assert.equal([root.source.repoURL, root.source.targetRevision, root.source.path, root.destination.server], [SERVED_URL, SERVED_BRANCH, 'gitops/embedded/argocd/apps', ARGOCD_DESTINATION()]);
  assert.is(argocdDrivers().childFolder?.(embedded[0] as KObject), 'gitops/embedded/argocd/apps', 'the e2e finds the Applications it syncs');
  const { source: _s, destination: _d, ...rootRest } = root;
  const { source: _cs, destination: _cd, ...committedRest } = committed;
  assert.equal(rootRest, committedRest, 'the root differs only in its source and destination');
  assert.equal({ ...root.destination, server: 0 }, { ...committed.destination, server: 0 });
});

gitops('the Applications the embedded root syncs are gitops/argocd/apps/minikube with only the overlay, the destination and the monitoring charts patched', async () => {
  const committed = byKindName(await rendered('gitops/argocd/apps/minikube'));
  const embedded = await embeddedRender(`${EMBEDDED_ARGOCD_DIR}/apps`);
  const app = argocdDrivers().appFor(embedded, 'overlays/local');
  assert.ok(app, 'an Application for overlays/local');
  assert.equal(embedded.map((o) => o.kind), ['Application']);
  type AppSpec = { source: Spec; destination: Spec } & Spec;
  const a = spec(app) as AppSpec;
  const c = spec(committed.get('Application/inferscale-minikube')) as AppSpec;
  assert.equal([a.source.repoURL, a.source.path, a.destination.server], [SERVED_URL, 'overlays/local', ARGOCD_DESTINATION()]);
  const { source: _s, destination: _d, ...aRest } = a;
  const { source: _cs, destination: _cd, ...cRest } = c;
  assert.equal(aRest, cRest, 'the Application differs only in its source and destination');
  assert.equal({ ...a.source, repoURL: 0, path: 0 }, { ...c.source, repoURL: 0, path: 0 });
});

gitops('Argo CD is one root Application per cluster, syncing the charts in a wave before the app, every Application retried', async () => {
  type AppSpec = { source?: Spec; syncPolicy?: { automated?: Spec; retry?: { limit: number } } };
  for (const env of ['minikube', 'cloud']) {
    const roots = await rendered(`gitops/argocd/${env}`);
    assert.equal(roots.map((o) => `${o.kind}/${o.metadata.name}`), ['Application/inferscale'], env);
    const folder = argocdDrivers().childFolder?.(roots[0] as KObject);
    assert.is(folder, `gitops/argocd/apps/${env}`, env);
    const children = await rendered(folder as string);
    const wave = (name: string) => Number(children.find((o) => o.metadata.name === name)?.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);
    assert.equal([wave('kube-prometheus-stack'), wave('prometheus-adapter'), wave(`inferscale-${env}`)], [-1, -1, 0], env);
    for (const o of [...roots, ...children]) {
      const s = spec(o) as AppSpec;
      assert.ok(s.syncPolicy?.automated && (s.syncPolicy.retry?.limit ?? 0) > 0, `${env}: ${o.metadata.name} syncs by itself and retries`);
    }
  }
  const patch = parse(await readFile(repoPath('gitops/argocd/argocd-cm-patch.yaml'), 'utf8')) as { data: Record<string, string> };
  assert.match(patch.data['resource.customizations.health.argoproj.io_Application'] ?? '', /obj\.status\.health\.status/, 'the waves wait for health: a health check for Applications');
});

gitops('every Argo CD Application of the app layer leaves spec.replicas to the HPA', async () => {
  for (const env of ['minikube', 'cloud']) {
    const app = (await rendered(`gitops/argocd/apps/${env}`)).find((a) => a.metadata.name === `inferscale-${env}`);
    const s = spec(app) as { ignoreDifferences?: { group: string; kind: string; jsonPointers: string[] }[]; syncPolicy?: { syncOptions?: string[] } };
    assert.ok(s.syncPolicy?.syncOptions?.includes('ServerSideApply=true'), env);
    assert.ok(s.syncPolicy?.syncOptions?.includes('RespectIgnoreDifferences=true'), env);
    assert.ok(s.ignoreDifferences?.some((d) => d.group === 'apps' && d.kind === 'Deployment' && d.jsonPointers.includes('/spec/replicas')), env);
  }
});

gitops('the Argo CD monitoring Applications pin the charts the HelmReleases pin, on minikube and on a cloud cluster', async () => {
  for (const file of ['minikube', 'cloud']) {
    const apps = await rendered(`gitops/argocd/apps/${file}`);
    for (const release of ['kube-prometheus-stack', 'prometheus-adapter']) {
      const [hr] = await yamlObjects(`base/monitoring/${release}.yaml`);
      const chart = (spec(hr) as { chart: { spec: { chart: string; version: string } } }).chart.spec;
      const app = apps.find((a) => a.metadata.name === release);
      const src = (spec(app) as { sources: { chart?: string; targetRevision: string }[] }).sources.find((x) => x.chart);
      assert.equal([src?.chart, src?.targetRevision], [chart.chart, chart.version], `${file}: ${release}`);
    }
  }
});

gitops("the cloud's monitoring layer is minikube's with cloud-sized values after them, through Flux and through Argo CD alike", async () => {
  type ValuesSource = { chart?: string; helm?: { valueFiles: string[] } };
  const valueFiles = async (file: string) =>
    ((spec((await rendered(`gitops/argocd/apps/${file}`)).find((a) => a.metadata.name === 'kube-prometheus-stack')) as { sources: ValuesSource[] }).sources.find((x) => x.chart)?.helm?.valueFiles ?? []);
  const cloudValues = '$values/base/monitoring-cloud/kube-prometheus-stack-values.yaml';
  assert.equal(await valueFiles('cloud'), [...(await valueFiles('minikube')), cloudValues]);
  const flux = byKindName(await rendered('gitops/flux/cloud'));
  assert.is(spec(flux.get('Kustomization/inferscale-monitoring')).path, './base/monitoring-cloud');
  assert.is(spec(flux.get('Kustomization/inferscale-cloud')).path, './overlays/cloud');
  const { objects } = await renderOverlay(sh, 'base/monitoring-cloud');
  const release = objects.find((o) => o.kind === 'HelmRelease' && o.metadata.name === 'kube-prometheus-stack');
  assert.equal((spec(release).valuesFrom as { name: string }[]).map((v) => v.name), ['kube-prometheus-stack-values', 'kube-prometheus-stack-cloud-values']);
  const cloud = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'kube-prometheus-stack-cloud-values') as unknown as { data: Record<string, string> };
  const values = parse(cloud.data['values.yaml'] ?? '') as { prometheus: { prometheusSpec: { scrapeInterval: string; retention: string } } };
  assert.equal([values.prometheus.prometheusSpec.scrapeInterval, values.prometheus.prometheusSpec.retention], ['30s', '15d']);
  const app = (await renderOverlay(sh, 'overlays/cloud')).objects.find((o) => o.kind === 'ServiceMonitor') as unknown as { spec: { endpoints: { interval: string }[] } };
  assert.is(app.spec.endpoints[0]?.interval, '5s', "the app's own interval, which the bounds read, is kept");
});

gitops.run();
