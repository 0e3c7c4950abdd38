// The ramp profile: from the baseline up to the peak over the ramp time, a hold, and back
// down over the same time. Open model (arrival rate).
import type { Options } from 'k6/options';
import { baseOptions, exportSummary, num, predict, vusFor } from './common.ts';

const BASE_RATE = num('BASE_RATE', 10);
const PEAK_RATE = num('PEAK_RATE', 90);
const RAMP_SECONDS = num('RAMP_SECONDS', 120);
const HOLD_SECONDS = num('HOLD_SECONDS', 60);

export const options: Options = {
  ...baseOptions,
  scenarios: {
    ramp: {
      executor: 'ramping-arrival-rate',
      startRate: BASE_RATE,
      timeUnit: '1s',
      ...vusFor(PEAK_RATE),
      stages: [
        { target: PEAK_RATE, duration: `${RAMP_SECONDS}s` },
        { target: PEAK_RATE, duration: `${HOLD_SECONDS}s` },
        { target: BASE_RATE, duration: `${RAMP_SECONDS}s` },
      ],
    },
  },
};

export default predict;
export const handleSummary = exportSummary;
