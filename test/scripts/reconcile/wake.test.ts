import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { wakesFor } from '../../../scripts/lib/reconcile/wake.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { sh } from '../../../scripts/lib/shell.ts';

const wake = suite('an HPA taking over a Deployment left at zero');

wake('sets it to minReplicas only when the overlay\'s own HPA would find it at zero', async () => {
  const { objects: llm } = await renderOverlay(sh, 'overlays/local-llm');
  assert.equal(wakesFor(llm, () => 0), [{ namespace: 'inferscale', deployment: 'inference', minReplicas: 1 }]);
  assert.equal(wakesFor(llm, () => 2), [], 'running: the HPA has it');
  assert.equal(wakesFor(llm, () => undefined), [], 'not there yet: created with the HPA');
  const { objects: zero } = await renderOverlay(sh, 'overlays/local-zero');
  assert.equal(wakesFor(zero, () => 0), [], 'KEDA scales it from zero itself');
});

wake.run();
