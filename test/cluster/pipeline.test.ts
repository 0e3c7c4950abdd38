import { ApiregistrationV1Api, AppsV1Api, AutoscalingV2Api, CoreV1Api, KubernetesObjectApi, PatchStrategy, type KubeConfig } from '@kubernetes/client-node';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ADAPTER_RELIST_SECONDS, prometheusDaemon } from '../../scripts/lib/cluster/embedded/monitoring.ts';
import { clusterPaths } from '../../scripts/lib/cluster/embedded/paths.ts';
import { startDaemon, stopDaemon, waitHealthy } from '../../scripts/lib/cluster/embedded/processes.ts';
import { componentDir, prometheusComponent } from '../../scripts/lib/cluster/embedded/toolchain.ts';
import { podMetricValues } from '../../scripts/lib/kube/custom-metrics.ts';
import { loadKubeConfig } from '../../scripts/lib/kube/client.ts';
import { waitFor } from '../../scripts/lib/wait.ts';
import { loadAdapterRules, rateWindowSeconds, ruleFor } from '../../scripts/lib/monitoring/adapter-rules.ts';
import { hpaSettings } from '../../scripts/lib/plan/bounds.ts';
import { renderOverlay } from '../../scripts/lib/manifests/render.ts';
import { durationSeconds, nodePortOf, type KObject } from '../../scripts/lib/manifests/objects.ts';
import { ADAPTER_RULES_FILE, REPO_ROOT, repoPath } from '../../scripts/lib/paths.ts';
import { writeRunOverlay } from '../../scripts/lib/compare/policies.ts';
import { sh } from '../../scripts/lib/shell.ts';
import { runScript } from '../helpers/cli.ts';
import { scaledObjectOf, type ScaledObject } from '../../scripts/lib/manifests/keda.ts';
import { kubeGet } from '../../scripts/lib/kube/raw.ts';
import { predict } from '../helpers/http.ts';

const paths = clusterPaths();
const NS = 'inferscale';
const SELECTOR = 'app.kubernetes.io/name=inference';

const { objects } = await renderOverlay(sh, repoPath('overlays/local'));
// The metric overlays/local's HPA scales on (the vLLM preset's) and its rule's window.
const METRIC = hpaSettings(objects).metric;
const rules = await loadAdapterRules(repoPath(ADAPTER_RULES_FILE));
const sm = objects.find((o) => o.kind === 'ServiceMonitor') as unknown as { spec: { endpoints: { interval: string }[] } };
const scrapeSeconds = durationSeconds(sm.spec.endpoints[0]!.interval);
const HTTP_PORT = nodePortOf(objects, 'http') ?? 0;
const windowSeconds = rateWindowSeconds(ruleFor(rules, METRIC)!);

/**
 * What a dry run must not change: resourceVersion of the objects without a status, and
 * generation (spec changes only) of those whose controllers keep writing their status.
 */
const versions = async (kc: KubeConfig) => {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const hpa = kc.makeApiClient(AutoscalingV2Api);
  return {
    service: (await core.readNamespacedService({ name: 'inference', namespace: NS })).metadata?.resourceVersion,
    applyset: (await core.readNamespacedConfigMap({ name: 'inferscale-applyset', namespace: NS })).metadata?.resourceVersion,
    deployment: (await apps.readNamespacedDeployment({ name: 'inference', namespace: NS })).metadata?.generation,
    hpa: (await hpa.readNamespacedHorizontalPodAutoscaler({ name: 'inference', namespace: NS })).metadata?.generation,
  };
};

/**
 * Runs body while `clients` closed-loop clients send predict requests through the NodePort;
 * the clients always stop, even when body throws, so a failed test cannot hang the run.
 */
async function underLoad<T>(clients: number, body: () => Promise<T>): Promise<{ result: T; statuses: Map<number, number> }> {
  const statuses = new Map<number, number>();
  let stop = false;
  const loops = Array.from({ length: clients }, async () => {
    while (!stop) {
      const status = await predict(HTTP_PORT).then((r) => r.status, () => 0);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  });
  try {
    return { result: await body(), statuses };
  } finally {
    stop = true;
    await Promise.all(loops);
  }
}

async function serverSideApplyAs(kc: KubeConfig, manager: string, obj: KObject): Promise<void> {
  await KubernetesObjectApi.makeApiClient(kc).patch(obj, undefined, undefined, manager, true, PatchStrategy.ServerSideApply);
}

const reconcile = (...args: string[]) => runScript('scripts/reconcile.ts', ['--overlay', 'overlays/local', ...args]);
const kubectl = (args: string[]) => sh({ nothrow: true, env: { ...process.env, KUBECONFIG: paths.kubeconfig } })`kubectl ${args}`;

const pipeline = suite<{ kc: KubeConfig }>('the metrics pipeline and reconcile on the embedded cluster');

pipeline.before(async (ctx) => {
  const boot = await runScript('scripts/bootstrap.ts', ['--provider', 'local']);
  if (boot.code !== 0) {
    await runScript('scripts/teardown.ts', []);
    throw new Error(`bootstrap failed:\n${boot.stderr}`);
  }
  ctx.kc = loadKubeConfig(paths.kubeconfig);
});

pipeline.after(async () => {
  await runScript('scripts/teardown.ts', []);
});

pipeline('serves one numeric value per pod, 0 at idle, and the HPA is ScalingActive after reconcile', async ({ kc }) => {
  const first = await reconcile('--timeout', '120');
  assert.is(first.code, 0, first.stdout + first.stderr);
  assert.match(first.stdout, /✓ HorizontalPodAutoscaler\/inference: ScalingActive=True/);
  const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: NS, labelSelector: SELECTOR });
  const { status, values } = await podMetricValues(kc, NS, METRIC, SELECTOR);
  assert.is(status, 200);
  assert.equal([...values.keys()].sort(), pods.items.map((p) => p.metadata?.name).sort());
  assert.ok([...values.values()].every((v) => v === 0), `idle values: ${[...values.values()]}`);
  const status2 = await runScript('scripts/status.ts', ['--overlay', 'overlays/local']);
  assert.is(status2.code, 0, status2.stdout);
  assert.match(status2.stdout, '✓ at idle it is 0: yes');
});

pipeline('raises the metric within scrape + window + relist of a burst, and brings it back to 0', async ({ kc }) => {
  const budgetMs = (scrapeSeconds + windowSeconds + ADAPTER_RELIST_SECONDS) * 1000;
  const start = Date.now();
  const { result: movedAfter } = await underLoad(8, () =>
    waitFor('the metric to move', budgetMs, async () => {
      const { values } = await podMetricValues(kc, NS, METRIC, SELECTOR);
      return [...values.values()].some((v) => v > 0.5) ? Date.now() - start : undefined;
    }, { maxMs: 250 }),
  );
  assert.ok(movedAfter <= budgetMs, `moved after ${movedAfter} ms, budget ${budgetMs} ms`);
  await waitFor('the metric to fall back to 0', (windowSeconds + 2 * scrapeSeconds) * 1000 + 10_000, async () => {
    const { values } = await podMetricValues(kc, NS, METRIC, SELECTOR);
    return values.size > 0 && [...values.values()].every((v) => v === 0) ? true : undefined;
  });
});

pipeline('reports nothing changed when reconciled twice', async () => {
  const again = await reconcile();
  assert.is(again.code, 0, again.stderr);
  assert.match(again.stdout, /0 created, 0 configured, \d+ unchanged, 0 pruned.* — nothing changed/);
});

pipeline('shows drift with --dry-run and changes nothing', async ({ kc }) => {
  assert.is((await kubectl(['-n', NS, 'patch', 'service', 'inference', '--type=json', '-p', '[{"op":"replace","path":"/spec/ports/0/port","value":81}]'])).exitCode, 0);
  const before = await versions(kc);
  const dry = await reconcile('--dry-run');
  assert.is(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /-\s+port: 81\n\+\s+port: 80/);
  assert.match(dry.stdout, /1 would be configured/);
  assert.equal(await versions(kc), before);
});

pipeline('restores a hand-edited Service port and HPA target, and leaves a hand-made ConfigMap alone', async ({ kc }) => {
  assert.is((await kubectl(['-n', NS, 'patch', 'hpa', 'inference', '--type=json', '-p', '[{"op":"replace","path":"/spec/metrics/0/pods/target/averageValue","value":"9"}]'])).exitCode, 0);
  assert.is((await kubectl(['-n', NS, 'create', 'configmap', 'by-hand', '--from-literal=owner=someone'])).exitCode, 0);
  const fixed = await reconcile();
  assert.is(fixed.code, 0, fixed.stdout + fixed.stderr);
  assert.match(fixed.stdout, /2 configured/);
  const svc = await kc.makeApiClient(CoreV1Api).readNamespacedService({ name: 'inference', namespace: NS });
  assert.equal(svc.spec?.ports?.map((p) => p.port), [80, 9090]);
  const hpa = await kc.makeApiClient(AutoscalingV2Api).readNamespacedHorizontalPodAutoscaler({ name: 'inference', namespace: NS });
  assert.is(hpa.spec?.metrics?.[0]?.pods?.target.averageValue, '4');
  const cm = await kc.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'by-hand', namespace: NS });
  assert.is(cm.data?.owner, 'someone');
});

pipeline('prunes an object removed from the overlay, and only it', async () => {
  const dir = await mkdtemp(join(REPO_ROOT, 'test/fixtures/.tmp-overlay-'));
  try {
    await writeFile(
      join(dir, 'kustomization.yaml'),
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../../overlays/local\npatches:\n  - patch: |-\n      $patch: delete\n      apiVersion: networking.k8s.io/v1\n      kind: NetworkPolicy\n      metadata:\n        name: inference\n        namespace: inferscale\n`,
    );
    const pruned = await runScript('scripts/reconcile.ts', ['--overlay', relative(REPO_ROOT, dir)]);
    assert.is(pruned.code, 0, pruned.stdout + pruned.stderr);
    assert.match(pruned.stdout, /1 pruned/);
    const policies = await kubectl(['-n', NS, 'get', 'networkpolicy', '-o', 'name']);
    assert.is(policies.stdout.trim(), '');
    const left = await kubectl(['-n', NS, 'get', 'deployment,service,hpa,pdb,configmap', '-o', 'name']);
    for (const name of ['deployment.apps/inference', 'service/inference', 'horizontalpodautoscaler.autoscaling/inference', 'poddisruptionbudget.policy/inference', 'configmap/by-hand']) {
      assert.match(left.stdout, name);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

pipeline('serves the resource metrics API: kubectl top pods lists every inference pod with its CPU and memory', async () => {
  const top = await waitFor('kubectl top pods to list the inference pods', 90_000, async () => {
    const r = await kubectl(['-n', NS, 'top', 'pods', '-l', SELECTOR, '--no-headers']);
    const rows = r.stdout.trim().split('\n').filter((l) => /^inference-\S+\s+\d+m\s+\d+Mi$/.test(l.trim()));
    return r.exitCode === 0 && rows.length >= 2 ? rows : undefined;
  });
  assert.ok(top.length >= 2, top.join('\n'));
});

pipeline('scales on CPU from metrics-server and on mean latency from the adapter\'s External API: each policy\'s HPA reads its metric', async ({ kc }) => {
  const dir = await mkdtemp(join(REPO_ROOT, 'test/fixtures/.tmp-policies-'));
  try {
    for (const [policy, type] of [['cpu', 'Resource'], ['latency-external', 'External']] as const) {
      const overlay = await writeRunOverlay(dir, policy, 'sleep');
      const applied = await runScript('scripts/reconcile.ts', ['--overlay', overlay]);
      assert.is(applied.code, 0, applied.stdout + applied.stderr);
      const status = await waitFor(`the ${policy} HPA to report its ${type} metric`, 90_000, async () => {
        const hpa = await kc.makeApiClient(AutoscalingV2Api).readNamespacedHorizontalPodAutoscaler({ name: 'inference', namespace: NS });
        const current = hpa.status?.currentMetrics?.find((m) => m.type === type);
        const active = hpa.status?.conditions?.find((c) => c.type === 'ScalingActive')?.status === 'True';
        return active && current ? current : undefined;
      });
      if (type === 'Resource') assert.ok(Number.isFinite(status.resource?.current.averageUtilization), JSON.stringify(status));
      else assert.ok(status.external?.current.value !== undefined, JSON.stringify(status));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    const back = await reconcile();
    assert.is(back.code, 0, back.stderr);
  }
});

pipeline("runs KEDA as the metric plane for overlays/local-keda: its HPA scales on the ScaledObject's query, its fallback holds the replicas while Prometheus is down; overlays/local gives the external metrics back to the adapter", async ({ kc }) => {
  const so = scaledObjectOf((await renderOverlay(sh, repoPath('overlays/local-keda'))).objects) as ScaledObject;
  const externalApi = async () => (await kc.makeApiClient(ApiregistrationV1Api).readAPIService({ name: 'v1beta1.external.metrics.k8s.io' })).spec?.service?.name;
  try {
    // Builds KEDA into the cache the first time (about 6 to 9 minutes on 2 cores).
    const run = await runScript('scripts/reconcile.ts', ['--overlay', 'overlays/local-keda', '--timeout', '180']);
    assert.is(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /✓ ScaledObject\/inference: Ready; its HPA is keda-hpa-inference/);
    assert.match(run.stdout, /✓ HorizontalPodAutoscaler\/keda-hpa-inference: ScalingActive=True/);
    assert.is(await externalApi(), 'keda-metrics-apiserver', 'external.metrics.k8s.io is KEDA\'s, not the adapter\'s');
    // KEDA's HPA carries the ScaledObject's labels, ours among them: it is KEDA's, never pruned.
    const uid = async () => (await kc.makeApiClient(AutoscalingV2Api).readNamespacedHorizontalPodAutoscaler({ name: 'keda-hpa-inference', namespace: NS })).metadata?.uid;
    const before = await uid();
    const again = await runScript('scripts/reconcile.ts', ['--overlay', 'overlays/local-keda', '--timeout', '180']);
    assert.is(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, / 0 pruned/);
    assert.is(await uid(), before, 'the same HPA');
    const apps = kc.makeApiClient(AppsV1Api);
    // Busy slots show in the query within a scrape and its window; the HPA acts at its next sync.
    const budgetMs = (scrapeSeconds + windowSeconds + 2 * 15 + 5) * 1000;
    const replicasNow = async () => (await apps.readNamespacedDeployment({ name: 'inference', namespace: NS })).spec?.replicas ?? 0;
    const fallbackIs = async (status: string) => {
      const res = await kubeGet(kc, `/apis/keda.sh/v1alpha1/namespaces/${NS}/scaledobjects/inference`);
      const so = JSON.parse(res.body) as { status?: { conditions?: { type: string; status: string }[] } };
      return so.status?.conditions?.some((c) => c.type === 'Fallback' && c.status === status) ? true : undefined;
    };
    await underLoad(24, async () => {
      const scaled = await waitFor("KEDA's HPA to add pods under load", budgetMs, async () => {
        const r = await replicasNow();
        return r > 2 ? r : undefined;
      });
      // The fault: Prometheus stops under load. After failureThreshold failed reads (one per
      // sync) the fallback answers with what holds the current replicas, not fallback.replicas.
      await stopDaemon(paths, prometheusDaemon(paths, '').name);
      const lowest = { value: scaled };
      const watch = setInterval(() => void replicasNow().then((r) => (lowest.value = Math.min(lowest.value, r)), () => {}), 1000);
      try {
        await waitFor('the ScaledObject to report its fallback', (so.spec.fallback?.failureThreshold ?? 3) * 15_000 + 45_000, () => fallbackIs('True'));
        await waitFor('the HPA to read the fallback as its metric', 45_000, async () => {
          const hpa = await kc.makeApiClient(AutoscalingV2Api).readNamespacedHorizontalPodAutoscaler({ name: 'keda-hpa-inference', namespace: NS });
          return hpa.status?.conditions?.some((c) => c.type === 'ScalingActive' && c.status === 'True') ? true : undefined;
        });
        assert.ok(lowest.value >= scaled, `replicas held at ${scaled} without Prometheus, lowest ${lowest.value} (fallback.replicas is ${so.spec.fallback?.replicas})`);
      } finally {
        clearInterval(watch);
        const prometheus = prometheusDaemon(paths, componentDir(paths, prometheusComponent()));
        await startDaemon(paths, prometheus);
        await waitHealthy(paths, prometheus, 30_000);
      }
      await waitFor('the fallback to end once Prometheus answers again', 120_000, () => fallbackIs('False'));
    });
  } finally {
    const back = await reconcile('--timeout', '180');
    assert.is(back.code, 0, back.stdout + back.stderr);
  }
  assert.is(await externalApi(), 'prometheus-adapter', 'back on the adapter\'s plane');
  const hpas = await kc.makeApiClient(AutoscalingV2Api).listNamespacedHorizontalPodAutoscaler({ namespace: NS });
  await waitFor("KEDA's HPA to go with its ScaledObject", 60_000, async () => {
    const names = (await kc.makeApiClient(AutoscalingV2Api).listNamespacedHorizontalPodAutoscaler({ namespace: NS })).items.map((h) => h.metadata?.name);
    return names.includes('keda-hpa-inference') ? undefined : true;
  });
  assert.ok(hpas.items.some((h) => h.metadata?.name === 'inference'));
});

pipeline('serves every request through a rolling update', async ({ kc }) => {
  const apps = kc.makeApiClient(AppsV1Api);
  const { statuses } = await underLoad(4, async () => {
    // A template change by another field manager than reconcile's, as a CI image bump would be.
    const before = await apps.readNamespacedDeployment({ name: 'inference', namespace: NS });
    await serverSideApplyAs(kc, 'rollout-test', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'inference', namespace: NS },
      spec: { template: { metadata: { annotations: { 'inferscale.dev/restarted-by': 'pipeline-test' } } } },
    });
    await waitFor('the rollout to finish', 180_000, async () => {
      const d = await apps.readNamespacedDeployment({ name: 'inference', namespace: NS });
      const s = d.status ?? {};
      const want = d.spec?.replicas ?? 0;
      return (d.metadata?.generation ?? 0) > (before.metadata?.generation ?? 0) && s.observedGeneration === d.metadata?.generation && s.updatedReplicas === want && s.replicas === want && s.availableReplicas === want ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, 3000));
  });
  const served = statuses.get(200) ?? 0;
  assert.ok(served > 50, `served ${served} requests during the rollout`);
  assert.equal(Object.fromEntries(statuses), { 200: served }, 'no request failed');
});

pipeline('replaces a pod deleted by hand under load without overreacting', async ({ kc }) => {
  const core = kc.makeApiClient(CoreV1Api);
  const autoscaling = kc.makeApiClient(AutoscalingV2Api);
  // Pods of an earlier rollout may still be terminating: count what the Deployment wants.
  const replicas = (await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'inference', namespace: NS })).spec?.replicas ?? 0;
  // Three closed-loop clients: about 15 req/s, a concurrency of 3, under one pod's target.
  const { result: maxDesired, statuses } = await underLoad(3, async () => {
    const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: SELECTOR });
    const victim = pods.items.find((p) => !p.metadata?.deletionTimestamp)?.metadata?.name ?? '';
    await core.deleteNamespacedPod({ name: victim, namespace: NS });
    const watchUntil = Date.now() + 45_000;
    await waitFor('a replacement pod to be Ready', 60_000, async () => {
      const now = await core.listNamespacedPod({ namespace: NS, labelSelector: SELECTOR });
      const ready = now.items.filter((p) => p.metadata?.name !== victim && !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length >= replicas ? true : undefined;
    });
    let most = 0;
    while (Date.now() < watchUntil) {
      const hpa = await autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'inference', namespace: NS });
      most = Math.max(most, hpa.status?.desiredReplicas ?? 0);
      await new Promise((r) => setTimeout(r, 1000));
    }
    return most;
  });
  // A concurrency of 3 needs one pod at the target of 4; minReplicas keeps 2. One more is the
  // most a lost pod's share of the window may justify.
  assert.ok(maxDesired <= replicas + 1, `the HPA asked for ${maxDesired} replicas`);
  assert.equal(Object.fromEntries(statuses), { 200: statuses.get(200) ?? 0 }, 'no request failed');
});

pipeline('says in words that the metric is unavailable when Prometheus stops, keeps replicas, and recovers', async ({ kc }) => {
  const apps = kc.makeApiClient(AppsV1Api);
  const before = (await apps.readNamespacedDeployment({ name: 'inference', namespace: NS })).spec?.replicas;
  await stopDaemon(paths, prometheusDaemon(paths, '').name);
  await waitFor('the HPA to report ScalingActive=False', 60_000, async () => {
    const hpa = await kc.makeApiClient(AutoscalingV2Api).readNamespacedHorizontalPodAutoscaler({ name: 'inference', namespace: NS });
    return hpa.status?.conditions?.some((c) => c.type === 'ScalingActive' && c.status === 'False') ? true : undefined;
  });
  const status = await runScript('scripts/status.ts', ['--overlay', 'overlays/local']);
  assert.is(status.code, 1);
  assert.match(status.stdout, new RegExp(`✗ the metric ${METRIC} is unavailable: `));
  assert.match(status.stdout, /✗ HorizontalPodAutoscaler\/inference is not scaling; it keeps its \d+ current, \d+ desired replicas\. It says: .*ScalingActive=False/);
  const t0 = Date.now();
  const failed = await reconcile('--timeout', '10');
  assert.is(failed.code, 1);
  assert.match(failed.stderr, new RegExp(`error: overlays/local is applied but not healthy: .*metric ${METRIC}: not served`));
  assert.ok(Date.now() - t0 < 60_000, 'reconcile gave up within its timeouts');
  assert.is((await apps.readNamespacedDeployment({ name: 'inference', namespace: NS })).spec?.replicas, before, 'replicas stay as they were');

  const prometheus = prometheusDaemon(paths, componentDir(paths, prometheusComponent()));
  await startDaemon(paths, prometheus);
  await waitHealthy(paths, prometheus, 30_000);
  await waitFor('ScalingActive=True again', 120_000, async () => {
    const hpa = await kc.makeApiClient(AutoscalingV2Api).readNamespacedHorizontalPodAutoscaler({ name: 'inference', namespace: NS });
    return hpa.status?.conditions?.some((c) => c.type === 'ScalingActive' && c.status === 'True') ? true : undefined;
  });
});

pipeline('freezes scaling when prometheus-adapter stops, and still tears down', async ({ kc }) => {
  await stopDaemon(paths, 'prometheus-adapter');
  await waitFor('the APIService to turn unavailable', 60_000, async () => {
    const svc = await kc.makeApiClient(ApiregistrationV1Api).readAPIService({ name: 'v1beta2.custom.metrics.k8s.io' });
    return svc.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'False') ? true : undefined;
  });
  const status = await runScript('scripts/status.ts', ['--overlay', 'overlays/local']);
  assert.is(status.code, 1);
  assert.match(status.stdout, new RegExp(`✗ the metric ${METRIC} is unavailable`));
  const down = await runScript('scripts/teardown.ts', []);
  assert.is(down.code, 0, down.stderr);
  assert.match(down.stderr, /the embedded cluster is down/);
});

pipeline.run();
