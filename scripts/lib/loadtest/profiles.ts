import type { Schedule, ScheduleStage } from '../../../loadtests/schedule.ts';
import { repoPath } from '../paths.ts';

// The load profiles: which k6 script, with which parameters, and the arrival-rate schedule
// that script follows, so the run can say what load was offered at every second.

export type Stage = ScheduleStage;

/** The share of requests that may fail: k6's threshold and assertion 6 both read it. */
export const MAX_FAILED_SHARE = 0.001;

/** What k6 is given: the schedule as one JSON value (loadtests/schedule.ts reads it). */
export function k6Env(startRate: number, stages: Stage[]): Record<string, string> {
  const schedule: Schedule = { startRate, stages, maxFailedShare: MAX_FAILED_SHARE };
  return { SCHEDULE: JSON.stringify(schedule) };
}

export interface Profile {
  name: 'step' | 'ramp';
  script: string;
  env: Record<string, string>;
  startRate: number;
  stages: Stage[];
  baseRate: number;
  peakRate: number;
  /** Seconds after the load starts. */
  stepAt: number;
  dropAt: number;
  /** When the load is back at the baseline (the drop is instant for step, a descent for ramp). */
  dropEndsAt: number;
  endAt: number;
}

export interface ProfileParams {
  baseRate: number;
  peakRate: number;
  baselineSeconds: number;
  holdSeconds: number;
  afterSeconds: number;
  /** The ramp profile's climb and descent. */
  rampSeconds: number;
}

export const DEFAULT_PARAMS: ProfileParams = { baseRate: 10, peakRate: 90, baselineSeconds: 30, holdSeconds: 120, afterSeconds: 150, rampSeconds: 120 };

export function stepProfile(p: ProfileParams): Profile {
  const stages = [
    { target: p.baseRate, seconds: p.baselineSeconds },
    { target: p.peakRate, seconds: 1 },
    { target: p.peakRate, seconds: p.holdSeconds },
    { target: p.baseRate, seconds: 1 },
    { target: p.baseRate, seconds: p.afterSeconds },
  ];
  return {
    name: 'step',
    script: repoPath('loadtests/step.ts'),
    env: k6Env(p.baseRate, stages),
    startRate: p.baseRate,
    stages,
    baseRate: p.baseRate,
    peakRate: p.peakRate,
    stepAt: p.baselineSeconds,
    dropAt: p.baselineSeconds + 1 + p.holdSeconds,
    dropEndsAt: p.baselineSeconds + 2 + p.holdSeconds,
    endAt: stages.reduce((n, s) => n + s.seconds, 0),
  };
}

export function rampProfile(p: ProfileParams): Profile {
  const ramp = p.rampSeconds;
  const stages = [
    { target: p.peakRate, seconds: ramp },
    { target: p.peakRate, seconds: p.holdSeconds },
    { target: p.baseRate, seconds: ramp },
  ];
  return {
    name: 'ramp',
    script: repoPath('loadtests/ramp.ts'),
    env: k6Env(p.baseRate, stages),
    startRate: p.baseRate,
    stages,
    baseRate: p.baseRate,
    peakRate: p.peakRate,
    stepAt: 0,
    dropAt: ramp + p.holdSeconds,
    dropEndsAt: 2 * ramp + p.holdSeconds,
    endAt: stages.reduce((n, s) => n + s.seconds, 0),
  };
}

/** The arrival rate the profile asks for at t seconds after the load starts (k6's linear stages). */
export function offeredAt(profile: Profile, t: number): number {
  if (t < 0) return 0;
  let start = 0;
  let from = profile.startRate;
  for (const stage of profile.stages) {
    if (t < start + stage.seconds) return from + ((stage.target - from) * (t - start)) / stage.seconds;
    start += stage.seconds;
    from = stage.target;
  }
  return 0;
}

/**
 * When the load first asks for more than `capacity` req/s: the moment scaling is due. For
 * the step that is the step itself; for the ramp, the point on the climb.
 */
export function loadExceeds(profile: Profile, capacity: number): number {
  if (profile.name === 'step') return profile.stepAt;
  for (let tenth = 0; tenth < profile.endAt * 10; tenth++) if (offeredAt(profile, tenth / 10) > capacity) return tenth / 10;
  return profile.endAt;
}
