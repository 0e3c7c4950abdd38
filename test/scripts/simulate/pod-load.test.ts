import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { podLoad, type PodSettings } from '../../../scripts/lib/simulate/run.ts';

const pod = (limitCores: number, mode: 'sleep' | 'compute' = 'compute'): PodSettings =>
  ({ slots: 2, queueLimit: 8, serviceSeconds: 0.2, jitterSeconds: 0, startSeconds: 2, cpu: { mode, requestCores: limitCores, limitCores } }) as PodSettings;

const load = suite("the simulator's pod under a CPU limit");

load('stretches even a request alone when the limit is below one core: it never runs faster than the limit', () => {
  // 0.3 cores: a request of 0.2 CPU-seconds takes 0.2 / 0.3 s, whether it is in flight all the time or a fifth of it.
  for (const inFlight of [0.2, 1]) assert.ok(Math.abs(podLoad(inFlight, 1, pod(0.3)).stretch - 1 / 0.3) < 1e-9, `${inFlight} in flight`);
  assert.ok(Math.abs(podLoad(2, 1, pod(0.3)).stretch - 2 / 0.3) < 1e-9, 'two share the 0.3 cores');
});

load('leaves a request its own core under a limit of one core or more, until the running ones exceed it', () => {
  assert.is(podLoad(0.5, 1, pod(1)).stretch, 1);
  assert.is(podLoad(1, 1, pod(2)).stretch, 1);
  assert.is(podLoad(2, 1, pod(1)).stretch, 2);
  assert.is(podLoad(2, 1, pod(0.3, 'sleep')).stretch, 1, 'asleep (a GPU server), the CPU limit stretches nothing');
});

load.run();
