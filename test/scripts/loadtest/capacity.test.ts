import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../../scripts/lib/cli.ts';
import { hpaSettings, loadScale, pipelineSettings, podThroughput } from '../../../scripts/lib/plan/bounds.ts';
import { profileFromFlags } from '../../../scripts/lib/loadtest/options.ts';
import { REFERENCE_RATE, scaleProfile } from '../../../scripts/lib/plan/profiles.ts';
import { capacityOf } from '../../../scripts/lib/manifests/capacity.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { sh } from '../../../scripts/lib/shell.ts';

const measured = { rateWindowSeconds: 20, relistSeconds: 10, podStartSeconds: 3 };
const capacity = suite('a calibrated capacity');

capacity('sizes the default rates: overlays/local\'s minReplicas serve REFERENCE_RATE at the target', async () => {
  const { objects } = await renderOverlay(sh, 'overlays/local');
  const hpa = hpaSettings(objects);
  assert.is(hpa.minReplicas * podThroughput(hpa.target, pipelineSettings(objects, measured)), REFERENCE_RATE);
  assert.is(loadScale(objects, pipelineSettings(objects, measured)), undefined, 'an overlay without a calibration keeps the default rates');
});

capacity('gives the simulator a real model\'s measured costs: its pod a compute-bound server of the calibrated throughput', async () => {
  const { objects } = await renderOverlay(sh, 'overlays/local-llm');
  const c = capacityOf(objects.find((o) => o.kind === 'Deployment'));
  assert.ok(c);
  const pipe = pipelineSettings(objects, measured);
  assert.is(pipe.cpu.mode, 'compute');
  assert.ok(Math.abs(podThroughput(100, pipe) - c!.requestsPerSecond) < 1e-9, 'a saturated pod completes the calibrated req/s');
  const hpa = hpaSettings(objects);
  assert.is(hpa.target, c!.targetConcurrency, "the HPA's target is the calibrated one");
  const scale = loadScale(objects, pipe) as number;
  const step = scaleProfile(profileFromFlags({ profile: 'step' }), scale);
  assert.ok(Math.abs(step.baseRate - (10 * scale)) < 1e-3 && Math.abs(step.peakRate - 90 * scale) < 1e-3);
  assert.ok(step.peakRate > hpa.minReplicas * podThroughput(hpa.target, pipe), 'the step asks more than minReplicas serve at the target');
  assert.ok(step.peakRate < hpa.maxReplicas * c!.requestsPerSecond, 'and less than maxReplicas can serve');
});

capacity('says in one sentence what is wrong with a malformed annotation', () => {
  const at = (value: string) => ({ metadata: { name: 'inference', annotations: { 'inferscale.dev/capacity': value } } });
  assert.throws(() => capacityOf(at('{oops')), (e: Error) => e instanceof UserError && /is not JSON/.test(e.message));
  assert.throws(() => capacityOf(at('{"requestsPerSecond": 2, "requestSeconds": 0.5}')), /needs "targetConcurrency" as a positive number \(scripts\/calibrate\.ts writes it\), got undefined/);
  assert.is(capacityOf({ metadata: { name: 'inference' } }), undefined);
});

capacity.run();
