import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { k6Stages, parseSchedule } from '../../../loadtests/schedule.ts';
import { UsageError } from '../../../scripts/lib/cli.ts';
import { profileFromFlags } from '../../../scripts/lib/loadtest/options.ts';
import {
  DEFAULT_PARAMS,
  firstArrivalAt,
  k6Env,
  loadExceeds,
  loadFallsBelow,
  MAX_FAILED_SHARE,
  offeredAt,
  PROFILE_DEFAULTS,
  rampProfile,
  stagesProfile,
  stepProfile,
  vusFor,
  withTail,
  type Profile,
} from '../../../scripts/lib/loadtest/profiles.ts';

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

const every: Profile[] = [
  ...['step', 'ramp', 'spike', 'sawtooth'].map((p) => profileFromFlags({ profile: p })),
  profileFromFlags({ stages: '0:5,120:2,120:30,20:10' }),
  stepProfile({ ...DEFAULT_PARAMS, holdSeconds: 37, peakRate: 55 }),
];

for (const profile of every) {
  profiles(`offer the ${profile.name} (${profile.endAt} s) exactly as k6 ramps the schedule it is given`, () => {
    const env = k6Env(profile, vusFor(profile, 1));
    for (let t = 0; t <= profile.endAt + 2; t += 0.25) assert.is(offeredAt(profile, t), k6RateAt(env, t), `at ${t} s`);
    const schedule = parseSchedule(env.SCHEDULE);
    assert.is(schedule.maxFailedShare, MAX_FAILED_SHARE);
    assert.is(schedule.name, profile.name, "k6's scenario is named after the profile");
  });
}

profiles('refuse a schedule that is not one, with a sentence', () => {
  assert.throws(() => parseSchedule(undefined), /SCHEDULE is not set/);
  assert.throws(() => parseSchedule('{'), /SCHEDULE is not JSON/);
  assert.throws(() => parseSchedule('{"name":"x","startRate":1,"stages":[{"target":1,"seconds":0}],"maxFailedShare":0,"preAllocatedVUs":1,"maxVUs":1}'), /SCHEDULE must be/);
  assert.throws(() => parseSchedule('{"name":"x","startRate":1,"stages":[{"target":1,"seconds":1}],"maxFailedShare":0,"preAllocatedVUs":5,"maxVUs":1}'), /SCHEDULE must be/);
});

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

profiles('say when the first request is due: at once, or once an idle start has accrued one arrival', () => {
  assert.is(firstArrivalAt(profileFromFlags({})), 0);
  const spike = profileFromFlags({ profile: 'spike' });
  const due = firstArrivalAt(spike);
  assert.ok(due > DEFAULT_PARAMS.baselineSeconds && due < DEFAULT_PARAMS.baselineSeconds + 1, `${due} s`);
});

profiles('size k6 for the peak at the worst latency the queue allows', () => {
  const spike = profileFromFlags({ profile: 'spike' });
  const vus = vusFor(spike, 0.9);
  assert.ok(vus.preAllocatedVUs >= spike.peakRate * 0.9, `${vus.preAllocatedVUs} VUs for ${spike.peakRate} req/s at 0.9 s`);
  assert.ok(vus.maxVUs >= 2 * vus.preAllocatedVUs - 10);
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
