import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { promRate } from '../../../scripts/lib/simulate/run.ts';

// PromQL rate() as Prometheus extrapolates it at the window's edges (extrapolatedRate).

const rate = suite("Prometheus' rate() in the model");

/** A counter rising by `perSecond`, scraped every `every` s from `from` to `to`, starting at `start`. */
const counter = (perSecond: number, every: number, from: number, to: number, start = 1000) => {
  const out: { at: number; value: number }[] = [];
  for (let at = from; at <= to + 1e-9; at += every) out.push({ at, value: start + perSecond * (at - from) });
  return out;
};

rate('gives the slope when the samples cover the window', () => {
  // [20s] window ending at 100, scrapes every 5 s at 82, 87, 92, 97: extrapolated to both edges.
  assert.ok(Math.abs((promRate(counter(3, 5, 82, 97), 100, 20) as number) - 3) < 1e-9);
});

rate('extrapolates a series that starts inside the window by half an interval only', () => {
  // A new pod's two samples at 92 and 97 in (80, 100]: 5 s sampled + 2.5 + 3 = 10.5 s of a 20 s window.
  const r = promRate(counter(3, 5, 92, 97), 100, 20) as number;
  assert.ok(Math.abs(r - (15 * (10.5 / 5)) / 20) < 1e-9, `${r}`);
  assert.ok(r < 3, 'reads low, as a new pod does');
});

rate('does not extrapolate a counter below zero', () => {
  // From 1.5 at 92 rising 3/s: zero was 0.5 s before the first sample.
  const r = promRate(counter(3, 5, 92, 97, 1.5), 100, 20) as number;
  assert.ok(Math.abs(r - (15 * ((5 + 0.5 + 3) / 5)) / 20) < 1e-9, `${r}`);
});

rate('has no value with fewer than two samples', () => {
  assert.is(promRate(counter(3, 5, 97, 97), 100, 20), undefined);
  assert.is(promRate([], 100, 20), undefined);
});

rate.run();
