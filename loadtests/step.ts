// The step profile: a baseline, a step to several times it, a hold, back to the baseline.
// Open model (arrival rate): the offered load does not drop when latency rises.
import type { Options } from 'k6/options';
import { baseOptions, exportSummary, num, predict, vusFor } from './common.ts';

const BASE_RATE = num('BASE_RATE', 10);
const PEAK_RATE = num('PEAK_RATE', 90);
const BASELINE_SECONDS = num('BASELINE_SECONDS', 30);
const HOLD_SECONDS = num('HOLD_SECONDS', 150);
const AFTER_SECONDS = num('AFTER_SECONDS', 150);

export const options: Options = {
  ...baseOptions,
  scenarios: {
    step: {
      executor: 'ramping-arrival-rate',
      startRate: BASE_RATE,
      timeUnit: '1s',
      ...vusFor(PEAK_RATE),
      stages: [
        { target: BASE_RATE, duration: `${BASELINE_SECONDS}s` },
        { target: PEAK_RATE, duration: '1s' },
        { target: PEAK_RATE, duration: `${HOLD_SECONDS}s` },
        { target: BASE_RATE, duration: '1s' },
        { target: BASE_RATE, duration: `${AFTER_SECONDS}s` },
      ],
    },
  },
};

export default predict;
export const handleSummary = exportSummary;
