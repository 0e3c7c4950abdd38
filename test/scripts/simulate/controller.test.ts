import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseQuantity } from '../../../scripts/lib/manifests/objects.ts';
import { DEFAULT_TOLERANCE, metricReplicas, rateLimit, stabilize, sync, withDefaults, type ControllerSettings } from '../../../scripts/lib/simulate/controller.ts';

// The HPA controller's rules, each on a recorded sequence of syncs that would break it.

const settings = (over: { up?: number; down?: number; upTolerance?: string; downTolerance?: string } = {}): ControllerSettings => ({
  minReplicas: 2,
  maxReplicas: 10,
  target: 4,
  scaleUp: withDefaults({ stabilizationWindowSeconds: over.up ?? 0, tolerance: over.upTolerance }, 'up', parseQuantity),
  scaleDown: withDefaults({ stabilizationWindowSeconds: over.down ?? 300, tolerance: over.downTolerance }, 'down', parseQuantity),
});

const rules = suite("the HPA controller's rules");

rules('fill in the defaults the API server gives an unset behavior', () => {
  const up = withDefaults(undefined, 'up', parseQuantity);
  const down = withDefaults(undefined, 'down', parseQuantity);
  assert.equal([up.stabilizationWindowSeconds, down.stabilizationWindowSeconds], [0, 300]);
  assert.equal(up.policies.map((p) => `${p.type}:${p.value}/${p.periodSeconds}`), ['Pods:4/15', 'Percent:100/15']);
  assert.equal(down.policies.map((p) => `${p.type}:${p.value}/${p.periodSeconds}`), ['Percent:100/15']);
  assert.is(up.tolerance, DEFAULT_TOLERANCE);
});

rules('keep the replicas within the tolerance, each direction its own', () => {
  const s = settings({ downTolerance: '250m' });
  assert.is(metricReplicas(s, 4, [4.39, 4.39, 4.39, 4.39], 0), 4, 'ratio 1.0975 is within the default 0.1');
  assert.is(metricReplicas(s, 4, [4.5, 4.5, 4.5, 4.5], 0), 5, 'ratio 1.125 is not');
  assert.is(metricReplicas(s, 4, [3.1, 3.1, 3.1, 3.1], 0), 4, 'ratio 0.775 is within the scale-down 0.25');
  assert.is(metricReplicas(s, 4, [2.9, 2.9, 2.9, 2.9], 0), 3);
});

rules('count pods without a value as 0 when scaling up, and keep the count if that flips the direction', () => {
  const s = settings();
  assert.is(metricReplicas(s, 4, [6, 6], 2), 4, '(6 + 6 + 0 + 0) / 4 = 3 < 4: the flip keeps 4');
  assert.is(metricReplicas(s, 4, [12, 12], 2), 6, '(12 + 12 + 0 + 0) / 4 = 6: ratio 1.5 of 4 pods');
});

rules('scale up at once when the window is shorter than the sync period', () => {
  const s = settings({ up: 10 });
  // The previous sync, 15 s ago and below the target, has left a 10 s window.
  assert.is(stabilize(s, [{ at: 0, replicas: 2 }], 15, 2, 5), 5);
});

rules('scale up only to the lowest recommendation of a window longer than the sync period', () => {
  const s = settings({ up: 45 });
  const history = [{ at: 0, replicas: 2 }, { at: 15, replicas: 5 }, { at: 30, replicas: 5 }];
  assert.is(stabilize(s, history, 44, 2, 5), 2, 'the sync at 0 s is still in (-1, 44]: hold');
  assert.is(stabilize(s, history.slice(1), 60, 2, 5), 5, 'at 60 s every recommendation of the window says 5');
});

rules('scale down only to the highest recommendation of its window', () => {
  const s = settings({ down: 45 });
  const history = [{ at: 0, replicas: 6 }, { at: 15, replicas: 2 }, { at: 30, replicas: 2 }];
  assert.is(stabilize(s, history, 44, 6, 2), 6, 'the 6 of 0 s is still in the window');
  assert.is(stabilize(s, history, 45, 6, 2), 2, 'a recommendation exactly at the edge has left it');
});

rules("limit a scale-up to the policies' change per period, counted from the period's start", () => {
  const s = settings();
  assert.is(rateLimit(s, [], 0, 2, 10), 6, 'max(2 + 4 pods, 2 + 100 %) = 6');
  assert.is(rateLimit(s, [{ at: 0, change: 4 }], 10, 6, 10), 6, 'the period that added 4 to 2 is not over');
  assert.is(rateLimit(s, [{ at: 0, change: 4 }], 15, 6, 10), 10, 'a new period: min(10, max(6 + 4, 12))');
});

rules('never go below minReplicas or above maxReplicas', () => {
  const s = settings({ down: 0 });
  const memory = { recommendations: [], events: [] };
  assert.is(sync(s, memory, 0, 2, [0.1, 0.1], 0), 2);
  assert.is(sync(s, { recommendations: [], events: [] }, 0, 8, [40, 40, 40, 40, 40, 40, 40, 40], 0), 10);
});

rules.run();
