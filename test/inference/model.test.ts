import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CLASSES, computeFor, forward, HIDDEN } from '../../inference/src/model.ts';

// The reference: the network written out plainly, weights computed on the spot.
const weight = (layer: number, row: number, col: number) => Math.sin(layer * 7919 + row * 104729 + col * 1299709) * 0.5;
function reference(inputs: number[]): number[] {
  const hidden = Array.from({ length: HIDDEN }, (_, h) => Math.tanh(inputs.reduce((s, x, i) => s + weight(0, h, i) * x, weight(0, h, -1))));
  const logits = Array.from({ length: CLASSES }, (_, c) => hidden.reduce((s, x, h) => s + weight(1, c, h) * x, weight(1, c, -1)));
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

const model = suite('the model');

model('computes the plain network for inputs of any width, with cached weights', () => {
  for (const inputs of [[1], [0.5, -1, 2], Array.from({ length: 64 }, (_, i) => Math.cos(i)), [1]]) {
    const out = forward(inputs);
    const ref = reference(inputs);
    assert.is(out.length, CLASSES);
    out.forEach((v, i) => assert.ok(Math.abs(v - (ref[i] as number)) < 1e-12, `class ${i}: ${v} vs ${ref[i]}`));
  }
});

model('spends its busy time as CPU of its own thread: a throttled pod takes longer, not less work', () => {
  // A clock of CPU time that advances 1 ms per pass, as on a core of its own; and one that
  // advances 0.25 ms per pass, as under a quarter-core limit: four times the passes.
  const clock = (step: number) => {
    let t = 0;
    return () => (t += step);
  };
  const full = computeFor([1, 2, 3], 20, clock(1));
  const throttled = computeFor([1, 2, 3], 20, clock(0.25));
  assert.ok(throttled.passes >= full.passes * 4 - 1 && throttled.passes <= full.passes * 4 + 1, `${full.passes} and ${throttled.passes} passes`);
  assert.equal(throttled.outputs, forward([1, 2, 3]));
  const before = process.threadCpuUsage();
  computeFor([1, 2, 3], 15);
  const spent = process.threadCpuUsage(before);
  assert.ok((spent.user + spent.system) / 1000 >= 15, `${(spent.user + spent.system) / 1000} ms of CPU`);
});

model.run();
