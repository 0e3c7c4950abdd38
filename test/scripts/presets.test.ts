import { readdir } from 'node:fs/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hpaSettings } from '../../scripts/lib/plan/bounds.ts';
import { loadAdapterRules, ruleFor } from '../../scripts/lib/monitoring/adapter-rules.ts';
import { renderOverlay } from '../../scripts/lib/manifests/render.ts';
import { ADAPTER_RULES_FILE, repoPath } from '../../scripts/lib/paths.ts';
import { sh } from '../../scripts/lib/shell.ts';
import { request } from '../helpers/http.ts';
import { startService } from '../helpers/service.ts';

// The server presets: each names a metric a rule serves, from series its server exports; the
// vLLM preset's series are checked against this project's real server, which exports vLLM's names.

const presets = suite('the model server presets');

/** The series a rule's query reads (the names before {<<.LabelMatchers>>}). */
const seriesOf = (query: string): string[] => [...query.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{<<\.LabelMatchers>>\}/g)].map((m) => m[1] as string);

presets('each is a Component whose HPA metric a rule of adapter-rules.yaml serves, over a 20 s window', async () => {
  const rules = await loadAdapterRules(repoPath(ADAPTER_RULES_FILE));
  const names = await readdir(repoPath('components/servers'));
  assert.equal(names.sort(), ['llamacpp', 'sglang', 'tgi', 'triton', 'vllm']);
  for (const name of names) {
    const rule = ruleFor(rules, `${name}_requests_in_flight`);
    assert.ok(rule, `${name}: a rule serves ${name}_requests_in_flight`);
    assert.match(rule!.metricsQuery, /\[20s\]/, name);
  }
});

presets("scale overlays/local-llm on the vLLM preset's metric, scraped where vLLM serves it", async () => {
  const { objects } = await renderOverlay(sh, 'overlays/local-llm');
  assert.is(hpaSettings(objects).metric, 'vllm_requests_in_flight');
  const service = objects.find((o) => o.kind === 'Service') as { spec: { ports: { name: string; targetPort: string }[] } } | undefined;
  assert.is(service?.spec.ports.find((p) => p.name === 'metrics')?.targetPort, 'http');
});

presets("read series the real server exports on its API port, with label sets that join", async () => {
  const rules = await loadAdapterRules(repoPath(ADAPTER_RULES_FILE));
  const series = seriesOf(ruleFor(rules, 'vllm_requests_in_flight')!.metricsQuery);
  assert.equal(series, ['vllm:num_requests_running', 'vllm:num_requests_waiting']);
  const svc = await startService({ INFERENCE_MODEL_NAME: 'test/model', INFERENCE_DRAIN_DELAY_MS: '0' });
  try {
    const reply = await request(svc.port, { path: '/metrics' });
    assert.is(reply.status, 200, 'the API port serves /metrics, as vLLM does');
    const labels = series.map((name) => new RegExp(`^${name}(\\{[^}]*\\}) `, 'm').exec(reply.body)?.[1]);
    assert.ok(labels.every((l) => l !== undefined), `both exported: ${labels.join(', ')}`);
    assert.is(labels[0], labels[1], 'the same labels, so running + waiting joins one to one');
  } finally {
    await svc.service.shutdown();
  }
});

presets.run();
