import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseQuantity } from '../../../scripts/lib/manifests/objects.ts';
import {
  DEFAULT_TOLERANCE,
  explain,
  externalAverageReplicas,
  externalValueReplicas,
  limitRate,
  newMemory,
  plainMetricReplicas,
  proposalFor,
  stabilize,
  sync,
  tolerancesOf,
  withDefaults,
  type ControllerSettings,
} from '../../../scripts/lib/simulate/controller.ts';

// The HPA controller's rules, each on a recorded sequence of syncs that would break it.

const settings = (over: { up?: number; down?: number; upTolerance?: string; downTolerance?: string } = {}): ControllerSettings => ({
  minReplicas: 2,
  maxReplicas: 10,
  metrics: [{ type: 'Pods', name: 'inference_concurrency', averageValue: 4 }],
  scaleUp: withDefaults({ stabilizationWindowSeconds: over.up ?? 0, tolerance: over.upTolerance }, 'up', parseQuantity),
  scaleDown: withDefaults({ stabilizationWindowSeconds: over.down ?? 300, tolerance: over.downTolerance }, 'down', parseQuantity),
});

const rules = suite("the HPA controller's rules");

/** The Pods rule for settings(): replicas only. */
const metricReplicas = (s: ControllerSettings, current: number, values: number[], missing: number) => plainMetricReplicas(4, tolerancesOf(s), current, values, missing).replicas;
const pods = (values: number[], missing = 0) => [{ perPod: values, missing }];

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
  const rateLimit = (...args: Parameters<typeof limitRate>) => limitRate(...args).replicas;
  assert.is(rateLimit(s, [], 0, 2, 10), 6, 'max(2 + 4 pods, 2 + 100 %) = 6');
  assert.is(rateLimit(s, [{ at: 0, change: 4 }], 10, 6, 10), 6, 'the period that added 4 to 2 is not over');
  assert.is(rateLimit(s, [{ at: 0, change: 4 }], 15, 6, 10), 10, 'a new period: min(10, max(6 + 4, 12))');
});

rules('never go below minReplicas or above maxReplicas', () => {
  const s = settings({ down: 0 });
  assert.is(sync(s, newMemory(), 0, { current: 2, ready: 2 }, pods([0.1, 0.1])).replicas, 2);
  const capped = sync(s, newMemory(), 0, { current: 8, ready: 8 }, pods([40, 40, 40, 40, 40, 40, 40, 40]));
  assert.equal([capped.replicas, capped.limit, capped.rule], [10, 'TooManyReplicas', 'maxReplicas']);
});

rules('count unready pods as 0 on a scale-up only (calcPlainMetricReplicas)', () => {
  const t = { up: 0.1, down: 0.1 };
  assert.is(plainMetricReplicas(4, t, 4, [8, 8], 0, 2).replicas, 4, '(8 + 8 + 0 + 0) / 4 = 4: at target, keep 4');
  assert.is(plainMetricReplicas(4, t, 4, [2, 2], 0, 2).replicas, 1, 'scaling down, the unready pods are left out: ceil(0.5 × 2 Ready pods)');
});

rules('fill missing pods with 100 % of their request for CPU on a scale-down (GetResourceReplicas)', () => {
  const t = { up: 0.1, down: 0.1 };
  const spec = { type: 'Resource' as const, name: 'cpu', averageUtilization: 50 };
  const p = proposalFor(spec, t, 4, 4, 3, { perPod: [10, 10, 10], missing: 1 });
  assert.is(p?.replicas, 3, '(10 + 10 + 10 + 100) / 4 = 32.5 %: ratio 0.65 of 4 pods');
  assert.is(plainMetricReplicas(50, t, 4, [10, 10, 10], 1).replicas, 2, 'a Pods metric fills with the target: (10 + 10 + 10 + 50) / 4 = 20, ratio 0.4');
});

rules('scale on an External Value by the Ready pods, and an External AverageValue by the replicas', () => {
  const t = { up: 0.1, down: 0.1 };
  assert.equal(externalValueReplicas(0.5, t, 4, 1.0, 3), { replicas: 6, ratio: 2 }, 'latency twice the target: ceil(2 × 3 Ready pods)');
  assert.equal(externalValueReplicas(0.5, t, 4, 0.52, 4), { replicas: 4, ratio: 1.04 }, 'within the tolerance');
  assert.equal(externalValueReplicas(0.5, t, 0, 1.2, 0), { replicas: 3, ratio: 2.4 }, 'from zero replicas: the ratio itself');
  assert.equal(externalAverageReplicas(3, t, 4, 21), { replicas: 7, ratio: 1.75 }, 'ceil(21 / 3), whatever is Ready');
});

rules('take the highest proposal of several metrics', () => {
  const s: ControllerSettings = { ...settings({ down: 0 }), metrics: [{ type: 'Pods', name: 'c', averageValue: 4 }, { type: 'External', name: 'latency', value: 0.5 }] };
  const d = sync(s, newMemory(), 0, { current: 2, ready: 2 }, [{ perPod: [4, 4] }, { value: 1.5 }]);
  assert.equal(d.metrics.map((m) => m.replicas), [2, 6]);
  assert.equal([d.proposed, d.replicas, d.rule], [6, 6, 'the metric']);
});

rules('record which rule set the count: a window, a policy, the tolerance', () => {
  const s = settings({ down: 60 });
  const memory = newMemory();
  assert.is(sync(s, memory, 0, { current: 6, ready: 6 }, pods([4, 4, 4, 4, 4, 4])).rule, 'the metric', 'at target: no change, ratio 1');
  const held = sync(s, memory, 15, { current: 6, ready: 6 }, pods([1, 1, 1, 1, 1, 1]));
  assert.equal([held.proposed, held.stabilized, held.replicas, held.rule], [2, 6, 6, 'the scale-down window']);
  assert.match(explain(held), /^15\.0 s: 6 replicas; inference_concurrency 1\.00 against 4 \(ratio 0\.250\) proposes 2; windows → 6; .* set by the scale-down window$/);
  assert.is(sync(s, newMemory(), 0, { current: 4, ready: 4 }, pods([4.2, 4.2, 4.2, 4.2])).rule, 'the tolerance');
  const limited = limitRate(s, [], 0, 2, 20);
  assert.equal(limited, { replicas: 6, reason: 'ScaleUpLimit' });
});

rules.run();
