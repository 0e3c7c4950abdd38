import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readRecorded, recordedObjects } from '../../../scripts/lib/docs/recorded-runs.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { hpaSettings } from '../../../scripts/lib/plan/bounds.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';
import { sh } from '../../../scripts/lib/shell.ts';

const recorded = suite('a recorded run');
const { objects } = await renderOverlay(sh, repoPath('overlays/local'));

recorded('is predicted on the HPA it ran: replica bounds, windows, policies and tolerances from its record, not from the overlay as it is now', async () => {
  const real = await readRecorded('step');
  const now = hpaSettings(objects);
  const changed = { ...real, hpa: { ...real.hpa, minReplicas: 3, maxReplicas: 9, scaleDown: { ...real.hpa.scaleDown, stabilizationWindowSeconds: 75, tolerance: '123m' } } };
  const ran = hpaSettings(recordedObjects(objects, changed));
  assert.is(ran.minReplicas, 3);
  assert.is(ran.maxReplicas, 9);
  assert.is(ran.scaleDown.stabilizationWindowSeconds, 75);
  assert.is(ran.scaleDown.tolerance, '123m');
  assert.equal(ran.scaleUp, real.hpa.scaleUp);
  assert.is(ran.metric, 'inference_concurrency', 'a run on our own series keeps its metric');
  assert.is(now.metric, 'vllm_requests_in_flight');
});

recorded('without behaviour in its record is predicted on the overlay as it is', () => {
  const ran = hpaSettings(recordedObjects(objects, { hpa: { metric: 'vllm_requests_in_flight' } }));
  assert.equal(ran, hpaSettings(objects));
});

recorded.run();
