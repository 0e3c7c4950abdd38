// The ramp profile: from the baseline up to the peak, a hold, and back down over the same
// time. Its schedule is defined in scripts/lib/loadtest/profiles.ts and arrives as SCHEDULE.
import { exportSummary, predict, scheduledOptions } from './common.ts';

export const options = scheduledOptions('ramp');
export default predict;
export const handleSummary = exportSummary;
