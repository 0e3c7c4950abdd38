import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ScaledObject } from '../../../scripts/lib/manifests/keda.ts';
import type { KObject } from '../../../scripts/lib/manifests/objects.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { FACT_ANNOTATIONS, scaledDeploymentOf, SERVER_SERIES, serverFactsOf } from '../../../scripts/lib/manifests/server-facts.ts';
import { REPO_ROOT, repoPath, SERVER_PRESETS } from '../../../scripts/lib/paths.ts';
import { hpaSettings, pipelineSettings } from '../../../scripts/lib/plan/bounds.ts';
import { sh } from '../../../scripts/lib/shell.ts';
import { crossCheck } from '../../../scripts/lib/validate/crosscheck.ts';

// A server other than ours is judged by the facts its Deployment declares, never by the
// inference service's defaults.

const measured = { rateWindowSeconds: 20, relistSeconds: 5, podStartSeconds: 60 };
const facts = suite('the capacity facts of a model server');

facts("take our service's own settings, and every other server's from its preset's annotations", async () => {
  const ours = await renderOverlay(sh, repoPath('overlays/cloud'));
  // A request is the load's completion: 10 prompt tokens at 1 ms, 10 generated at 19 ms.
  assert.equal(serverFactsOf(scaledDeploymentOf(ours.objects)!), { slots: 4, queueLimit: 16, requestMs: 200, source: 'service' });
  const { objects } = await renderOverlay(sh, repoPath('overlays/servers/vllm'));
  assert.equal(serverFactsOf(scaledDeploymentOf(objects)!), { slots: 256, queueLimit: 1024, requestMs: 2000, source: 'annotations' });
  const pipe = pipelineSettings(objects, measured);
  assert.equal([pipe.slots, pipe.queueLimit, pipe.serviceSeconds, pipe.cpu.mode, pipe.latencySloSeconds], [256, 1024, 2, 'sleep', 4]);
  assert.is(pipe.longestRequestSeconds, (Math.ceil(1024 / 256) + 1) * 2);
  assert.is(hpaSettings(objects).metric, 'vllm_requests_in_flight');
});

facts('refuse a server without a fact, naming the annotation, where the inference service would have lent its own', async () => {
  const { objects } = await renderOverlay(sh, repoPath('overlays/servers/tgi'));
  for (const annotation of Object.values(FACT_ANNOTATIONS)) {
    const without = objects.map((o) => (o.kind === 'Deployment' ? { ...o, metadata: { ...o.metadata, annotations: Object.fromEntries(Object.entries(o.metadata.annotations ?? {}).filter(([k]) => k !== annotation)) } } : o)) as KObject[];
    assert.throws(() => pipelineSettings(without, measured), (e: Error) => e.message.includes(`has no annotation ${annotation} (`) && e.message.includes('components/servers/tgi/server sets it'));
  }
});

facts('scale each preset on KEDA through its own series, the namespace filled in', async () => {
  const kedaPresets = SERVER_PRESETS.filter((s) => s !== 'triton');
  for (const server of kedaPresets) {
    const dir = await mkdtemp(join(REPO_ROOT, 'test/fixtures/.tmp-keda-'));
    try {
      const up = '../../..';
      await writeFile(join(dir, 'kustomization.yaml'), `resources: [${up}/base/app]\ncomponents: [${up}/components/keda, ${up}/components/servers/${server}, ${up}/components/servers/${server}/server, ${up}/components/servers/${server}/keda]\n`);
      const { objects } = await renderOverlay(sh, dir);
      const so = objects.find((o) => o.kind === 'ScaledObject') as unknown as ScaledObject;
      const query = so.spec.triggers[0]?.metadata.query ?? '';
      assert.match(query, /^sum\(avg_over_time\([a-z_:]+\{namespace="inferscale"\}\[20s\]\)\) \+ sum\(avg_over_time\([a-z_:]+\{namespace="inferscale"\}\[20s\]\)\)$/, `${server}: ${query}`);
      assert.ok(SERVER_SERIES[server]!.every((prefix) => query.includes(prefix)), `${server} reads its own series: ${query}`);
      const findings = crossCheck({ file: server, objects, servedMetrics: new Set(), externalMetrics: new Set(), concurrencyMetrics: new Set(), rulesFile: 'rules' }).filter((f) => !f.warning);
      assert.equal(findings.map((f) => f.message), [], server);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
});

facts.run();
