import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CpuCostEstimate } from '../../inference/src/cpu-cost.ts';

const cost = suite('what a request costs a CPU-bound pod');

cost('is the CPU time over the requests served across the window', () => {
  const estimate = new CpuCostEstimate(3, 10);
  estimate.sample({ cpuSeconds: 1, served: 0 });
  estimate.sample({ cpuSeconds: 2, served: 20 });
  assert.is(estimate.perRequest(), 0.05);
  estimate.sample({ cpuSeconds: 3, served: 30 });
  assert.is(estimate.perRequest(), (3 - 1) / 30);
  // The oldest sample leaves the window: the last two seconds only.
  estimate.sample({ cpuSeconds: 5, served: 40 });
  assert.is(estimate.perRequest(), (5 - 2) / 20);
});

cost('holds its last estimate while too few requests are served, and has none before the first', () => {
  const estimate = new CpuCostEstimate(3, 10);
  estimate.sample({ cpuSeconds: 0, served: 0 });
  estimate.sample({ cpuSeconds: 0.5, served: 5 });
  assert.is(estimate.perRequest(), undefined, 'five requests are not enough');
  estimate.sample({ cpuSeconds: 1, served: 10 });
  assert.is(estimate.perRequest(), 0.1);
  // Idle: CPU spent on scrapes, no request served; the cost of a request does not change.
  for (let i = 0; i < 5; i += 1) estimate.sample({ cpuSeconds: 1.01 + i / 100, served: 10 });
  assert.is(estimate.perRequest(), 0.1);
});

cost('ignores totals that go backwards or are not numbers, and refuses a window too short to measure', () => {
  const estimate = new CpuCostEstimate(4, 1);
  estimate.sample({ cpuSeconds: 2, served: 10 });
  estimate.sample({ cpuSeconds: 1, served: 20 });
  estimate.sample({ cpuSeconds: Number.NaN, served: 30 });
  assert.is(estimate.perRequest(), undefined);
  estimate.sample({ cpuSeconds: 3, served: 20 });
  assert.is(estimate.perRequest(), 0.1);
  assert.throws(() => new CpuCostEstimate(1), /at least 2 samples/);
});

cost.run();
