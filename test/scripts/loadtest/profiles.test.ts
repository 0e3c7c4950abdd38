import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { k6Stages, parseSchedule } from '../../../loadtests/schedule.ts';
import { DEFAULT_PARAMS, loadExceeds, MAX_FAILED_SHARE, offeredAt, rampProfile, stepProfile } from '../../../scripts/lib/loadtest/profiles.ts';

const profiles = suite('the load profiles');

/** The arrival rate k6's ramping-arrival-rate executor asks for at t, from what k6 is given. */
function k6RateAt(env: Record<string, string>, t: number): number {
  const schedule = parseSchedule(env.SCHEDULE);
  let start = 0;
  let from = schedule.startRate;
  for (const stage of k6Stages(schedule)) {
    const seconds = Number(/^(\d+(?:\.\d+)?)s$/.exec(stage.duration)?.[1]);
    if (t < start + seconds) return from + ((stage.target - from) * (t - start)) / seconds;
    start += seconds;
    from = stage.target;
  }
  return 0;
}

for (const profile of [stepProfile(DEFAULT_PARAMS), rampProfile(DEFAULT_PARAMS), stepProfile({ ...DEFAULT_PARAMS, holdSeconds: 37, peakRate: 55 })]) {
  profiles(`offer the ${profile.name} (${profile.endAt} s) exactly as k6 ramps the schedule it is given`, () => {
    for (let t = 0; t <= profile.endAt + 2; t += 0.25) assert.is(offeredAt(profile, t), k6RateAt(profile.env, t), `at ${t} s`);
    assert.is(parseSchedule(profile.env.SCHEDULE).maxFailedShare, MAX_FAILED_SHARE);
  });
}

profiles('refuse a schedule that is not one, with a sentence', () => {
  assert.throws(() => parseSchedule(undefined), /SCHEDULE is not set/);
  assert.throws(() => parseSchedule('{'), /SCHEDULE is not JSON/);
  assert.throws(() => parseSchedule('{"startRate":1,"stages":[{"target":1,"seconds":0}],"maxFailedShare":0}'), /SCHEDULE must be/);
});

profiles('offer the step as its parameters say', () => {
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
