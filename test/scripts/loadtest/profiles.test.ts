import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_PARAMS, loadExceeds, offeredAt, rampProfile, stepProfile } from '../../../scripts/lib/loadtest/profiles.ts';

const profiles = suite('the load profiles');

profiles('offer the step exactly as the k6 stages ramp it', () => {
  const step = stepProfile(DEFAULT_PARAMS);
  assert.is(offeredAt(step, 0), DEFAULT_PARAMS.baseRate);
  assert.is(offeredAt(step, step.stepAt - 0.1), DEFAULT_PARAMS.baseRate);
  assert.is(offeredAt(step, step.stepAt + 0.5), (DEFAULT_PARAMS.baseRate + DEFAULT_PARAMS.peakRate) / 2);
  assert.is(offeredAt(step, step.dropAt - 1), DEFAULT_PARAMS.peakRate);
  assert.is(offeredAt(step, step.dropEndsAt + 1), DEFAULT_PARAMS.baseRate);
  assert.is(offeredAt(step, step.endAt + 1), 0);
  assert.is(step.endAt, DEFAULT_PARAMS.baselineSeconds + DEFAULT_PARAMS.holdSeconds + DEFAULT_PARAMS.afterSeconds + 2);
});

profiles('place the due moment of a ramp where it climbs past the capacity', () => {
  const ramp = rampProfile(DEFAULT_PARAMS);
  const capacity = 50;
  const t = loadExceeds(ramp, capacity);
  assert.ok(offeredAt(ramp, t) > capacity && offeredAt(ramp, t - 0.2) <= capacity, `at ${t} s`);
  assert.is(loadExceeds(stepProfile(DEFAULT_PARAMS), capacity), DEFAULT_PARAMS.baselineSeconds);
});

profiles.run();
