import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { averagesGauges, loadAdapterRules, ruleFor } from '../../../scripts/lib/monitoring/adapter-rules.ts';
import { ADAPTER_RULES_FILE, repoPath } from '../../../scripts/lib/paths.ts';
import { hpaSettings, planRun } from '../../../scripts/lib/plan/bounds.ts';
import { profileFromFlags } from '../../../scripts/lib/loadtest/options.ts';
import { sh } from '../../../scripts/lib/shell.ts';

// A server preset's rule averages gauges sampled at each scrape (avg_over_time); ours takes
// the rate() of an in-flight-seconds counter. The model reads each as its rule does.

const gauges = suite('a rule of sampled gauges, in the model');
const { objects } = await renderOverlay(sh, repoPath('overlays/local'));
const rules = await loadAdapterRules(repoPath(ADAPTER_RULES_FILE));
const hpa = hpaSettings(objects);
const measured = { rateWindowSeconds: 20, relistSeconds: 5, podStartSeconds: 2 };

gauges("is told apart by the rule: the vLLM preset's averages gauges, our counter's is a rate", () => {
  assert.ok(averagesGauges(ruleFor(rules, 'vllm_requests_in_flight')!));
  assert.not.ok(averagesGauges(ruleFor(rules, 'inference_concurrency')!));
  assert.not.ok(averagesGauges(ruleFor(rules, 'triton_requests_in_flight')!), "Triton's is the rate of its request time");
});

gauges('reads the queue the step built at the scrapes, above the integral over the window, and sizes the peak by it (6 where the rate gives 5, as the recorded vllm-step runs went)', () => {
  const plan = (averaged: boolean) => planRun(objects, hpa, profileFromFlags({ profile: 'step' }), { ...measured, averagesGauges: averaged });
  const [rate, gauge] = [plan(false), plan(true)];
  // What the HPA reads at the sync after the first increase, when the new pods take their share.
  const read = (p: typeof rate) => p.central.decisions.find((d) => d.current > hpa.minReplicas)!.metrics[0]!.usage;
  assert.ok(read(gauge) > read(rate) + 0.5, `gauges ${read(gauge)}, rate ${read(rate)}`);
  assert.equal([gauge.prediction.peak, rate.prediction.peak], [6, 5]);
});

gauges.run();
