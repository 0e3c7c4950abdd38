import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { UsageError } from '../../../scripts/lib/cli.ts';
import { profileFromFlags } from '../../../scripts/lib/loadtest/options.ts';
import {
  DEFAULT_PARAMS,
  loadExceeds,
  loadFallsBelow,
  offeredAt,
  PROFILE_DEFAULTS,
  rampProfile,
  stagesProfile,
  stepProfile,
  maxInFlightFor,
  withTail,
} from '../../../scripts/lib/plan/profiles.ts';

const profiles = suite('the load profiles');

profiles('offer the step as its parameters say', () => {
  const step = stepProfile(DEFAULT_PARAMS);
  const at = DEFAULT_PARAMS.baselineSeconds;
  assert.is(offeredAt(step, 0), DEFAULT_PARAMS.baseRate);
  assert.is(offeredAt(step, at - 0.1), DEFAULT_PARAMS.baseRate);
  assert.is(offeredAt(step, at + 0.5), (DEFAULT_PARAMS.baseRate + DEFAULT_PARAMS.peakRate) / 2);
  assert.is(offeredAt(step, at + 1 + DEFAULT_PARAMS.holdSeconds - 1), DEFAULT_PARAMS.peakRate);
  assert.is(offeredAt(step, step.endAt - 1), DEFAULT_PARAMS.baseRate);
  assert.is(offeredAt(step, step.endAt + 1), 0);
  assert.is(step.endAt, DEFAULT_PARAMS.baselineSeconds + DEFAULT_PARAMS.holdSeconds + DEFAULT_PARAMS.afterSeconds + 2);
});

profiles('start the spike from idle and the sawtooth below its peak, each with a baseline tail', () => {
  const spike = profileFromFlags({ profile: 'spike' });
  assert.is(offeredAt(spike, 0), PROFILE_DEFAULTS.spike.baseRate);
  assert.is(spike.peakRate, PROFILE_DEFAULTS.spike.peakRate);
  const saw = profileFromFlags({ profile: 'sawtooth' });
  const highs = Array.from({ length: saw.endAt }, (_, t) => offeredAt(saw, t) === DEFAULT_PARAMS.peakRate);
  const rises = highs.filter((h, i) => h && !highs[i - 1]).length;
  assert.is(rises, DEFAULT_PARAMS.cycles);
  for (const p of [spike, saw, rampProfile(DEFAULT_PARAMS)]) assert.is(offeredAt(p, p.endAt - 1), p.baseRate, `${p.name} ends at its base rate`);
});

profiles('hold a profile at its last rate until the time it must be observed to', () => {
  const step = stepProfile(DEFAULT_PARAMS);
  const held = withTail(step, step.endAt + 42.5);
  assert.is(held.endAt, step.endAt + 43);
  assert.is(offeredAt(held, held.endAt - 1), DEFAULT_PARAMS.baseRate);
  assert.is(withTail(step, step.endAt - 10), step, 'a profile already long enough is unchanged');
});

profiles('place the due moment where the load first passes a capacity and the drop where it last does', () => {
  const ramp = rampProfile(DEFAULT_PARAMS);
  const capacity = 50;
  const t = loadExceeds(ramp, capacity);
  assert.ok(offeredAt(ramp, t) > capacity && offeredAt(ramp, t - 0.2) <= capacity, `up at ${t} s`);
  const d = loadFallsBelow(ramp, capacity);
  assert.ok(offeredAt(ramp, d) <= capacity && offeredAt(ramp, d - 0.2) > capacity, `down at ${d} s`);
});

profiles('bound requests in flight above the worst latency the queue allows at the peak', () => {
  const spike = profileFromFlags({ profile: 'spike' });
  assert.ok(maxInFlightFor(spike, 0.9) >= 2 * spike.peakRate * 0.9, `${maxInFlightFor(spike, 0.9)} for ${spike.peakRate} req/s at 0.9 s`);
});

profiles('read a schedule of your own, and refuse one that is not', () => {
  const own = stagesProfile('10:30, 90:1,90:60');
  assert.equal(own.stages, [{ target: 10, seconds: 30 }, { target: 90, seconds: 1 }, { target: 90, seconds: 60 }]);
  assert.is(own.startRate, 10);
  for (const bad of ['10', '10:0', 'a:b', '10:30,,90:1']) {
    assert.throws(() => profileFromFlags({ stages: bad }), (e: unknown) => e instanceof UsageError && /^--stages: /.test((e as Error).message), bad);
  }
  assert.throws(() => profileFromFlags({ profile: 'wave' }), (e: unknown) => e instanceof UsageError);
  assert.throws(() => profileFromFlags({ profile: 'sawtooth', cycles: '1.5' }), (e: unknown) => e instanceof UsageError);
});

profiles.run();
