// Every load profile: the arrival-rate schedule comes from scripts/lib/loadtest/profiles.ts
// as SCHEDULE (step, ramp, spike, sawtooth, or a user's own stages), so this script holds
// no schedule of its own.
import { exportSummary, predict, scheduledOptions } from './common.ts';

export const options = scheduledOptions();
export default predict;
export const handleSummary = exportSummary;
