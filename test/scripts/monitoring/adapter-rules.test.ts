import { readFile } from 'node:fs/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  AdapterRulesError,
  loadAdapterRules,
  parseAdapterRules,
  rateWindowSeconds,
  servedName,
} from '../../../scripts/lib/monitoring/adapter-rules.ts';
import { ADAPTER_RULES_FILE, repoPath } from '../../../scripts/lib/paths.ts';

const rules = suite('the adapter rules file');

rules('serves inference_concurrency from the in-flight-seconds counter over a 20 s window', async () => {
  const [rule] = await loadAdapterRules(repoPath(ADAPTER_RULES_FILE));
  assert.ok(rule);
  assert.is(servedName(rule), 'inference_concurrency');
  assert.is(rateWindowSeconds(rule), 20);
  assert.match(rule.seriesQuery, /^inference_inflight_seconds_total\{namespace!="",pod!=""\}$/);
});

rules('is the rules fragment the adapter Helm values are built from', async () => {
  const kustomization = await readFile(repoPath('base/monitoring/kustomization.yaml'), 'utf8');
  assert.match(kustomization, 'values.yaml=adapter-rules.yaml');
  const release = await readFile(repoPath('base/monitoring/prometheus-adapter.yaml'), 'utf8');
  assert.match(release, 'name: prometheus-adapter-rules');
});

rules('applies the naming step with capture groups', () => {
  const [rule] = parseAdapterRules(
    'rules:\n  custom:\n    - seriesQuery: \'http_requests_total{pod!=""}\'\n      name: {matches: "^(.*)_total$", as: "${1}_per_second"}\n      metricsQuery: x',
    'inline',
  );
  assert.ok(rule);
  assert.is(servedName(rule), 'http_requests_per_second');
});

rules('rejects a file without custom rules', () => {
  assert.throws(() => parseAdapterRules('rules:\n  default: true\n', 'f.yaml'), (e: unknown) => e instanceof AdapterRulesError && /f\.yaml has no rules\.custom list/.test((e as Error).message));
});

rules.run();
