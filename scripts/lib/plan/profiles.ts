// The load profiles, each defined once, as the arrival-rate schedule the load driver
// (loadtests/) paces: it ramps linearly from one stage's target to the next and sends
// arrival k when the rate's integral reaches k + 1; offeredAt says what was asked for at
// every second.

export interface Stage {
  /** Arrival rate at the end of the stage, req/s; the rate ramps linearly to it. */
  target: number;
  seconds: number;
}

/** The share of requests that may fail for a reason other than shedding: assertion 6 reads it. */
export const MAX_FAILED_SHARE = 0.001;

export const PROFILE_NAMES = ['step', 'ramp', 'spike', 'sawtooth', 'stages'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface Profile {
  name: ProfileName;
  startRate: number;
  stages: Stage[];
  baseRate: number;
  peakRate: number;
  /** Seconds after the load starts when the schedule ends. */
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
  /** The sawtooth's period (half at the peak, half at the base) and how many. */
  periodSeconds: number;
  cycles: number;
}

export const DEFAULT_PARAMS: ProfileParams = { baseRate: 10, peakRate: 90, baselineSeconds: 30, holdSeconds: 120, afterSeconds: 150, rampSeconds: 120, periodSeconds: 30, cycles: 4 };

/**
 * What the default rates are sized for: overlays/local's minReplicas (2) at its HPA target
 * (4 in flight of 200 ms requests: 20 req/s a pod) serve 40 req/s. An overlay with a
 * calibrated capacity gets the same profiles scaled by its own figure over this one.
 */
export const REFERENCE_RATE = 40;

/** The same schedule with every rate multiplied by `factor`. */
export function scaleProfile(p: Profile, factor: number): Profile {
  const round = (r: number) => Math.round(r * factor * 1000) / 1000;
  return { ...p, startRate: round(p.startRate), baseRate: round(p.baseRate), peakRate: round(p.peakRate), stages: p.stages.map((s) => ({ ...s, target: round(s.target) })) };
}

/**
 * What differs from DEFAULT_PARAMS per profile. The spike starts from idle and goes to
 * several times what minReplicas serve at the target within a second; the sawtooth's
 * period is shorter than the e2e overlays' scale-down window, so replicas must not follow it.
 */
export const PROFILE_DEFAULTS: Record<ProfileName, Partial<ProfileParams>> = {
  step: {},
  ramp: { holdSeconds: 60, afterSeconds: 60 },
  spike: { baseRate: 0, peakRate: 150, holdSeconds: 60, afterSeconds: 60 },
  sawtooth: { afterSeconds: 60 },
  stages: {},
};

const endOf = (stages: Stage[]) => stages.reduce((n, s) => n + s.seconds, 0);

function profile(name: ProfileName, startRate: number, stages: Stage[]): Profile {
  const rates = [startRate, ...stages.map((s) => s.target)];
  return { name, startRate, stages, baseRate: Math.min(...rates), peakRate: Math.max(...rates), endAt: endOf(stages) };
}

export function stepProfile(p: ProfileParams): Profile {
  return profile('step', p.baseRate, [
    { target: p.baseRate, seconds: p.baselineSeconds },
    { target: p.peakRate, seconds: 1 },
    { target: p.peakRate, seconds: p.holdSeconds },
    { target: p.baseRate, seconds: 1 },
    { target: p.baseRate, seconds: p.afterSeconds },
  ]);
}

export function rampProfile(p: ProfileParams): Profile {
  return profile('ramp', p.baseRate, [
    { target: p.peakRate, seconds: p.rampSeconds },
    { target: p.peakRate, seconds: p.holdSeconds },
    { target: p.baseRate, seconds: p.rampSeconds },
    { target: p.baseRate, seconds: p.afterSeconds },
  ]);
}

export function spikeProfile(p: ProfileParams): Profile {
  return { ...stepProfile(p), name: 'spike' };
}

export function sawtoothProfile(p: ProfileParams): Profile {
  const half = p.periodSeconds / 2 - 1;
  const cycle: Stage[] = [
    { target: p.peakRate, seconds: 1 },
    { target: p.peakRate, seconds: half },
    { target: p.baseRate, seconds: 1 },
    { target: p.baseRate, seconds: half },
  ];
  return profile('sawtooth', p.baseRate, [{ target: p.baseRate, seconds: p.baselineSeconds }, ...Array.from({ length: p.cycles }, () => cycle).flat(), { target: p.baseRate, seconds: p.afterSeconds }]);
}

/** A user's schedule: `rate:seconds` pairs, each ramping linearly to its rate over its seconds. */
/** The profile a run record's schedule describes (its rates and end computed, as every profile's). */
export function recordedProfile(name: string, schedule: { startRate: number; stages: Stage[] }): Profile {
  return profile(name as ProfileName, schedule.startRate, schedule.stages);
}

export function stagesProfile(spec: string): Profile {
  const stages = spec.split(',').map((pair) => {
    const m = /^\s*(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)\s*$/.exec(pair);
    const target = Number(m?.[1]);
    const seconds = Number(m?.[2]);
    if (!m || !(seconds > 0)) throw new Error(`"${pair}" is not rate:seconds with seconds above 0`);
    return { target, seconds };
  });
  return profile('stages', stages[0]?.target ?? 0, stages);
}

export function profileFor(name: ProfileName, p: ProfileParams): Profile {
  if (name === 'step') return stepProfile(p);
  if (name === 'ramp') return rampProfile(p);
  if (name === 'spike') return spikeProfile(p);
  return sawtoothProfile(p);
}

/** The profile held at its last rate until `until`: so the run is observed to its latest bound. */
export function withTail(p: Profile, until: number): Profile {
  const extra = Math.ceil(until - p.endAt);
  if (extra <= 0) return p;
  const last = p.stages.at(-1)?.target ?? p.startRate;
  return { ...p, stages: [...p.stages, { target: last, seconds: extra }], endAt: p.endAt + extra };
}

/**
 * The bound on requests in flight for an open model: each request holds a place for its
 * latency, and the worst latency the pods allow is a full queue ahead (longestRequestSeconds);
 * a shed request is answered at once. Twice that at the peak, so the bound is only reached
 * when answers are slower than the pods' own worst case (the arrivals then turned away are
 * counted as not sent).
 */
export function maxInFlightFor(p: Profile, longestRequestSeconds: number): number {
  return 2 * Math.ceil(p.peakRate * longestRequestSeconds) + 20;
}

/** The arrival rate the profile asks for at t seconds after the load starts (the driver's linear stages). */
export function offeredAt(p: Profile, t: number): number {
  if (t < 0) return 0;
  let start = 0;
  let from = p.startRate;
  for (const stage of p.stages) {
    if (t < start + stage.seconds) return from + ((stage.target - from) * (t - start)) / stage.seconds;
    start += stage.seconds;
    from = stage.target;
  }
  return 0;
}

/** When the load first asks for more than `capacity` req/s: the moment scaling is due. */
export function loadExceeds(p: Profile, capacity: number): number {
  for (let tenth = 0; tenth < p.endAt * 10; tenth++) if (offeredAt(p, tenth / 10) > capacity) return tenth / 10;
  return p.endAt;
}

/** When the load last asks for more than `capacity`: after this it is all below. */
export function loadFallsBelow(p: Profile, capacity: number): number {
  for (let tenth = Math.floor(p.endAt * 10); tenth >= 0; tenth--) if (offeredAt(p, tenth / 10) > capacity) return (tenth + 1) / 10;
  return 0;
}
