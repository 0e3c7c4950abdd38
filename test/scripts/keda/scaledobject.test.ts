import type { V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { rm } from 'node:fs/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hpaSettings } from '../../../scripts/lib/plan/bounds.ts';
import { profileFor, PROFILE_DEFAULTS, DEFAULT_PARAMS } from '../../../scripts/lib/plan/profiles.ts';
import { kedaHpa, scaledObjectOf, type ScaledObject } from '../../../scripts/lib/manifests/keda.ts';
import type { KObject } from '../../../scripts/lib/manifests/objects.ts';
import { metricPlane } from '../../../scripts/lib/manifests/plane.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';
import { sh } from '../../../scripts/lib/shell.ts';
import { predict } from '../../../scripts/lib/loadtest/predict.ts';
import { crdCheck } from '../../../scripts/lib/validate/crds.ts';
import { hostJobs } from '../../../scripts/lib/monitoring/prometheus-config.ts';
import { BACKLOG_PORT } from '../../../scripts/lib/monitoring/backlog.ts';
import { zeroBounds } from '../../../scripts/lib/loadtest/zero.ts';
import { CHECKS } from '../../../scripts/lib/validate/crosscheck.ts';
import { schemaFindings } from '../../../scripts/lib/validate/schema.ts';

// KEDA as the metric plane without a cluster: the component writes a ScaledObject from the
// HPA it replaces, the HPA KEDA makes of it is the same policy on an External metric, the
// validator knows ScaledObjects, and the simulator predicts the KEDA overlay.

const local = (await renderOverlay(sh, repoPath('overlays/local'))).objects;
const keda = (await renderOverlay(sh, repoPath('overlays/local-keda'))).objects;
const hpa = local.find((o) => o.kind === 'HorizontalPodAutoscaler') as V2HorizontalPodAutoscaler & KObject;
const so = scaledObjectOf(keda) as ScaledObject;

const test = suite('KEDA as the metric plane');

test('replaces the HPA with a ScaledObject that carries its numbers, in its namespace, on the host Prometheus', () => {
  assert.is(keda.filter((o) => o.kind === 'HorizontalPodAutoscaler').length, 0);
  assert.equal([so.metadata.namespace, so.spec.minReplicaCount, so.spec.maxReplicaCount], [hpa.metadata.namespace, hpa.spec?.minReplicas, hpa.spec?.maxReplicas]);
  assert.equal(so.spec.advanced?.horizontalPodAutoscalerConfig?.behavior, hpa.spec?.behavior);
  const trigger = so.spec.triggers[0];
  assert.is(trigger?.metadata.threshold, String(hpa.spec?.metrics?.[0]?.pods?.target.averageValue));
  // The vLLM preset's series, as overlays/local's HPA scales on.
  const ns = hpa.metadata.namespace;
  assert.is(trigger?.metadata.query, `sum(avg_over_time(vllm:num_requests_running{namespace="${ns}"}[20s])) + sum(avg_over_time(vllm:num_requests_waiting{namespace="${ns}"}[20s]))`);
  assert.is(trigger?.metadata.serverAddress, 'http://127.0.0.1:9090');
  assert.equal(so.spec.fallback?.behavior, 'currentReplicas', 'a failing Prometheus holds the replicas, no drop to a fixed count');
  const rest = (objects: KObject[]) => objects.filter((o) => o.kind !== 'HorizontalPodAutoscaler' && o.kind !== 'ScaledObject');
  assert.equal(rest(keda), rest(local), 'everything else as overlays/local has it');
  assert.is(metricPlane(keda), 'keda');
  assert.is(metricPlane(local), 'prometheus-adapter');
});

test('makes the HPA KEDA makes: the same bounds and behavior, an AverageValue External metric per trigger', () => {
  const made = kedaHpa(so);
  assert.is(made.metadata.name, 'keda-hpa-inference');
  assert.equal([made.spec?.minReplicas, made.spec?.maxReplicas, made.spec?.behavior], [hpa.spec?.minReplicas, hpa.spec?.maxReplicas, hpa.spec?.behavior]);
  assert.equal(made.spec?.metrics, [
    { type: 'External', external: { metric: { name: 's0-prometheus', selector: { matchLabels: { 'scaledobject.keda.sh/name': 'inference' } } }, target: { type: 'AverageValue', averageValue: '4' } } },
  ]);
  assert.is(kedaHpa({ ...so, spec: { ...so.spec, minReplicaCount: 0, maxReplicaCount: undefined } }).spec?.minReplicas, 1, 'KEDA itself scales between 0 and 1');
  const settings = hpaSettings(keda);
  assert.equal(settings.metrics, [{ type: 'External', name: 's0-prometheus', averageValue: 4, signal: 'concurrency' }]);
  assert.is(settings.target, 4, 'the threshold is the target per replica');
});

test('predicts the KEDA overlay as the HPA overlay it replaces, within one replica and a sync', async () => {
  const profile = profileFor('step', { ...DEFAULT_PARAMS, ...PROFILE_DEFAULTS.step });
  const run = async (objects: KObject[], name: string) =>
    (await predict({ objects, overlay: name, profile, provider: { relistSeconds: async () => 5 }, podStartSeconds: 1.7, reportDir: repoPath(`test/fixtures/.tmp-keda-${name}`) })).report.record;
  const [ours, theirs] = [await run(local, 'local'), await run(keda, 'keda')];
  const up = (r: typeof ours) => r.changes.find((c) => c.to > c.from)?.t ?? Number.NaN;
  const peak = (r: typeof ours) => Math.max(...r.samples.map((s) => s.replicas));
  assert.ok(Math.abs(up(ours) - up(theirs)) <= 15, `first increase ${up(ours)} s with the HPA, ${up(theirs)} s with KEDA`);
  assert.ok(Math.abs(peak(ours) - peak(theirs)) <= 1, `peak ${peak(ours)} with the HPA, ${peak(theirs)} with KEDA`);
});

test("checks a ScaledObject against v2.21.0's own CRD", async () => {
  assert.equal(await schemaFindings('keda', [so]), []);
  const check = await crdCheck('keda.sh/v1alpha1', 'ScaledObject');
  assert.match(check?.({ ...so, spec: { ...so.spec, fallback: { failureThreshold: 3, replicas: 2, behavior: 'drop' } } } as KObject) ?? '', /^\/spec\/fallback\/behavior must be equal to one of the allowed values \(static, currentReplicas/);
  assert.match(check?.({ ...so, spec: { triggers: [] } } as KObject) ?? '', /must have required property 'scaleTargetRef'/);
});

test('refuses an HPA beside the ScaledObject, replicas in the Deployment, and a query on another namespace', () => {
  const ctx = (objects: KObject[]) => ({ file: 'keda', objects, servedMetrics: new Set<string>(), concurrencyMetrics: new Set<string>(), rulesFile: 'rules' });
  const messages = (objects: KObject[]) => [...(CHECKS.scaledObjectTarget?.(ctx(objects)) ?? []), ...(CHECKS.scaledObjectQueryReadsOurSeries?.(ctx(objects)) ?? [])].map((f) => f.message);
  assert.equal(messages(keda), []);
  assert.equal(messages([...keda, hpa]), ['scales inference beside ScaledObject/inference, which makes its own HPA for it: the two would fight over the replicas']);
  const withReplicas = keda.map((o) => (o.kind === 'Deployment' ? { ...o, spec: { ...(o.spec as object), replicas: 3 } } : o));
  assert.equal(messages(withReplicas), ['sets spec.replicas (3) but ScaledObject/inference owns the replica count']);
  const elsewhere = keda.map((o) => (o.kind === 'ScaledObject' ? { ...so, spec: { ...so.spec, triggers: [{ ...so.spec.triggers[0]!, metadata: { ...so.spec.triggers[0]!.metadata, query: 'sum(avg_over_time(vllm:num_requests_running{namespace="other"}[20s]))' } }] } } : o));
  assert.equal(messages(elsewhere), ['trigger 0\'s query selects namespace "other", not the ScaledObject\'s "inferscale": it would read another app\'s pods or none']);
});

test('scales to zero on work in flight plus the batch backlog, which the host Prometheus scrapes, with bounds from the ScaledObject', async () => {
  const zero = (await renderOverlay(sh, repoPath('overlays/local-zero'))).objects;
  const z = scaledObjectOf(zero) as ScaledObject;
  assert.equal([z.spec.minReplicaCount, z.spec.cooldownPeriod, z.spec.triggers[0]?.metadata.activationThreshold], [0, 60, '0']);
  assert.is(z.spec.triggers[0]?.metadata.query, '(sum(avg_over_time(vllm:num_requests_running{namespace="inferscale"}[20s])) + sum(avg_over_time(vllm:num_requests_waiting{namespace="inferscale"}[20s])) or vector(0)) + (sum(inference_batch_backlog{namespace="inferscale"}) or vector(0))');
  assert.equal(hpaSettings(zero).metrics, [{ type: 'External', name: 's0-prometheus', averageValue: 4, signal: 'concurrency' }], 'between 1 and N replicas the same signal');
  assert.is(kedaHpa(z).spec?.minReplicas, 1);
  assert.equal(hostJobs(zero), [{ job_name: 'batch-client/inferscale', scrape_interval: '5s', scrape_timeout: '4s', static_configs: [{ targets: [`127.0.0.1:${BACKLOG_PORT}`], labels: { namespace: 'inferscale' } }] }]);
  assert.equal(hostJobs(keda), [], 'only an overlay that reads the backlog scrapes it');
  const b = zeroBounds({ cooldownSeconds: 60, pollingSeconds: 15, scrapeSeconds: 5, rateWindowSeconds: 20, retrySeconds: 0.5, podStartSeconds: 1.7 });
  assert.equal(b, { zeroEarliest: 60, zeroLatest: 20 + 5 + 60 + 15 + 2, firstOkLatest: 5 + 15 + 1.7 + 0.5 + 4 });
});

test.after(async () => {
  for (const name of ['local', 'keda']) await rm(repoPath(`test/fixtures/.tmp-keda-${name}`), { recursive: true, force: true });
});

test.run();
