// The step profile: a baseline, a step to several times it, a hold, back to the baseline.
// Its schedule is defined in scripts/lib/loadtest/profiles.ts and arrives as SCHEDULE.
import { exportSummary, predict, scheduledOptions } from './common.ts';

export const options = scheduledOptions('step');
export default predict;
export const handleSummary = exportSummary;
