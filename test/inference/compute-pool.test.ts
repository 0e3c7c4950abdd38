import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ComputePool } from '../../inference/src/compute-pool.ts';
import { processCpuSeconds } from '../../inference/src/cpu-cost.ts';

const pool = suite('the compute pool');

pool('spends the CPU its jobs ask for in all, not an overhead per job on top: a request of many short jobs costs what it declares', async () => {
  const workers = new ComputePool(1);
  // The pool's workers do not hold the process open (a service's server does): this does.
  const open = setInterval(() => undefined, 1000);
  try {
    await workers.run([1], 5); // the worker up and its code compiled
    const jobs = 200;
    const askedMs = 2;
    const before = processCpuSeconds();
    for (let i = 0; i < jobs; i++) await workers.run([1, 2, 3], askedMs);
    const spentMs = (processCpuSeconds() - before) * 1000;
    // What is left is the messages, this thread's and the worker's, and the collector's threads: under half a millisecond a job (well over a millisecond before the worker kept a running total).
    assert.ok(spentMs >= jobs * askedMs * 0.95, `${spentMs.toFixed(0)} ms of CPU for ${jobs} jobs of ${askedMs} ms`);
    assert.ok(spentMs <= jobs * askedMs * 1.4, `${spentMs.toFixed(0)} ms of CPU for ${jobs} jobs of ${askedMs} ms`);
  } finally {
    clearInterval(open);
    await workers.close();
  }
});

pool.run();
