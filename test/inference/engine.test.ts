import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { simulatedEngine, simulatedSeconds } from '../../inference/src/engine.ts';

const engine = suite('the simulated engine');

/** A clock that only `work` moves, each call `lateMs` later than asked, as a busy event loop's timers fire. */
function lateClock(lateMs: number) {
  let t = 0;
  const asked: number[] = [];
  return { now: () => t, asked, work: async (ms: number) => void (asked.push(ms), (t += ms + lateMs)) };
}

const sink = { token() {}, text() {} };
const costs = { prefillUsPerToken: 1000, decodeMsPerToken: 19 };
const request = { prompt: 'p', promptTokens: 10, maxTokens: 10, ignoreEos: false };

engine('costs a completion its prompt prefill and each token decode: 10 + 10 tokens at 1 ms and 19 ms are 200 ms', () => {
  assert.is(Math.round(simulatedSeconds(costs, 10, 10) * 1e6) / 1e3, 200);
});

engine('asleep (paced), makes each token due at the sum of the costs before it, so late timers do not add up', async () => {
  const clock = lateClock(2);
  await simulatedEngine(costs, clock.work, true, clock.now).generate(request, sink, new AbortController().signal);
  // The prefill as asked, then each token's 19 ms less the 2 ms the one before was late.
  assert.equal(clock.asked, [10, ...Array(10).fill(17)]);
  assert.is(clock.now(), 202, 'one timer late, not eleven');
});

engine('on a CPU (unpaced), spends every token in full: contention stretches a sequence as it would', async () => {
  const clock = lateClock(2);
  await simulatedEngine(costs, clock.work, false, clock.now).generate(request, sink, new AbortController().signal);
  assert.equal(clock.asked, [10, ...Array(10).fill(19)]);
  assert.is(clock.now(), 222);
});

engine.run();
