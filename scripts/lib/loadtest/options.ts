import { UsageError } from '../cli.ts';
import { DEFAULT_PARAMS, rampProfile, stepProfile, type Profile, type ProfileParams } from './profiles.ts';

// The load flags shared by scripts/loadtest.ts and scripts/e2e.ts.

export const LOAD_FLAGS = {
  profile: { type: 'string' },
  'base-rate': { type: 'string' },
  'peak-rate': { type: 'string' },
  baseline: { type: 'string' },
  hold: { type: 'string' },
  after: { type: 'string' },
  ramp: { type: 'string' },
  'target-url': { type: 'string' },
  'report-dir': { type: 'string' },
} as const;

export const LOAD_USAGE = `
  --profile step|ramp    the load profile (default step)
  --base-rate <req/s>    baseline arrival rate (default ${DEFAULT_PARAMS.baseRate})
  --peak-rate <req/s>    step or ramp peak (default ${DEFAULT_PARAMS.peakRate})
  --baseline <s>         seconds at the baseline before the step (default ${DEFAULT_PARAMS.baselineSeconds})
  --hold <s>             seconds at the peak (default ${DEFAULT_PARAMS.holdSeconds})
  --after <s>            seconds at the baseline after the drop (default ${DEFAULT_PARAMS.afterSeconds})
  --ramp <s>             the ramp profile's climb and descent (default ${DEFAULT_PARAMS.rampSeconds})
  --target-url <url>     where k6 sends requests (default: the Service's NodePort)
  --report-dir <dir>     where the report goes (default reports/<time>-<profile>)`;

type LoadFlags = { [K in keyof typeof LOAD_FLAGS]?: string };

function seconds(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new UsageError(`--${name} must be a non-negative number, got "${raw}".`);
  return value;
}

export function profileFromFlags(flags: LoadFlags): Profile {
  const params: ProfileParams = {
    baseRate: seconds('base-rate', flags['base-rate'], DEFAULT_PARAMS.baseRate),
    peakRate: seconds('peak-rate', flags['peak-rate'], DEFAULT_PARAMS.peakRate),
    baselineSeconds: seconds('baseline', flags.baseline, DEFAULT_PARAMS.baselineSeconds),
    holdSeconds: seconds('hold', flags.hold, DEFAULT_PARAMS.holdSeconds),
    afterSeconds: seconds('after', flags.after, DEFAULT_PARAMS.afterSeconds),
    rampSeconds: seconds('ramp', flags.ramp, DEFAULT_PARAMS.rampSeconds),
  };
  if (params.peakRate <= params.baseRate) throw new UsageError(`--peak-rate (${params.peakRate}) must be above --base-rate (${params.baseRate}).`);
  const name = flags.profile ?? 'step';
  if (name === 'step') return stepProfile(params);
  if (name === 'ramp') return rampProfile(params);
  throw new UsageError(`unknown profile "${name}"; use step or ramp.`);
}

export function defaultReportDir(profile: Profile, now = new Date()): string {
  return `reports/${now.toISOString().replace(/[:.]/g, '-').slice(0, 19)}-${profile.name}`;
}
