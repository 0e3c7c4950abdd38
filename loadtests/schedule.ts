// The load schedule as data. scripts/lib/loadtest/profiles.ts is its one definition: it
// writes the schedule into one environment value, SCHEDULE, and this turns it into k6's
// stages and thresholds. Nothing here imports k6, so Node's tests read the same functions.

export interface ScheduleStage {
  /** Arrival rate at the end of the stage, req/s; k6 ramps linearly to it. */
  target: number;
  seconds: number;
}

export interface Schedule {
  /** The profile's name: k6's scenario is called after it. */
  name: string;
  startRate: number;
  stages: ScheduleStage[];
  /** The share of requests that may fail before the run fails (a k6 threshold). */
  maxFailedShare: number;
  /** Virtual users enough for the peak rate at the worst latency the pods' slots and queue allow. */
  preAllocatedVUs: number;
  maxVUs: number;
}

const nonNegative = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** The SCHEDULE value, checked; an Error with one sentence when it is not a schedule. */
export function parseSchedule(raw: string | undefined): Schedule {
  if (!raw) throw new Error('SCHEDULE is not set; run this script through scripts/loadtest.ts or pass -e SCHEDULE=<json>');
  let s: Partial<Schedule>;
  try {
    s = JSON.parse(raw) as Partial<Schedule>;
  } catch {
    throw new Error('SCHEDULE is not JSON');
  }
  const stagesOk = Array.isArray(s.stages) && s.stages.length > 0 && s.stages.every((st) => nonNegative(st?.target) && nonNegative(st?.seconds) && st.seconds > 0);
  const vusOk = nonNegative(s.preAllocatedVUs) && nonNegative(s.maxVUs) && s.maxVUs >= s.preAllocatedVUs && s.maxVUs > 0;
  if (typeof s.name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(s.name) || !nonNegative(s.startRate) || !stagesOk || !nonNegative(s.maxFailedShare) || !vusOk) {
    throw new Error('SCHEDULE must be {"name": "profile", "startRate": n, "stages": [{"target": n, "seconds": n > 0}, ...], "maxFailedShare": n, "preAllocatedVUs": n, "maxVUs": n >= preAllocatedVUs}');
  }
  return s as Schedule;
}

/** k6's ramping-arrival-rate stages for the schedule. */
export function k6Stages(s: Schedule): { target: number; duration: string }[] {
  return s.stages.map((st) => ({ target: st.target, duration: `${st.seconds}s` }));
}

