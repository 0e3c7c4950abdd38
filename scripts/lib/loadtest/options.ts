import { numberFlag, UsageError } from '../cli.ts';
import { DEFAULT_PARAMS, PROFILE_DEFAULTS, PROFILE_NAMES, profileFor, REFERENCE_RATE, stagesProfile, type Profile, type ProfileName, type ProfileParams } from '../plan/profiles.ts';

// The load flags shared by scripts/loadtest.ts and scripts/e2e.ts.

export const LOAD_FLAGS = {
  profile: { type: 'string' },
  stages: { type: 'string' },
  'base-rate': { type: 'string' },
  'peak-rate': { type: 'string' },
  baseline: { type: 'string' },
  hold: { type: 'string' },
  after: { type: 'string' },
  ramp: { type: 'string' },
  period: { type: 'string' },
  cycles: { type: 'string' },
  'target-url': { type: 'string' },
  request: { type: 'string' },
  'gate-prediction': { type: 'boolean' },
  'report-dir': { type: 'string' },
} as const;

export const LOAD_USAGE = `
  --profile <name>       ${PROFILE_NAMES.filter((n) => n !== 'stages').join(', ')} (default step); each run is held at
                         its last rate until the latest bound and the stable period have passed
  --stages <list>        a schedule of your own instead: rate:seconds pairs, each ramping
                         linearly to its rate, e.g. 10:30,90:1,90:120,10:1,10:150
  --base-rate <req/s>    the low rate (default ${DEFAULT_PARAMS.baseRate}; spike ${PROFILE_DEFAULTS.spike.baseRate})
  --peak-rate <req/s>    the high rate (default ${DEFAULT_PARAMS.peakRate}; spike ${PROFILE_DEFAULTS.spike.peakRate}); on an overlay
                         with a calibrated capacity (inferscale.dev/capacity, overlays/local-llm) the
                         default rates scale by its minReplicas' throughput at the target over ${REFERENCE_RATE} req/s
  --baseline <s>         seconds at the base rate first (default ${DEFAULT_PARAMS.baselineSeconds})
  --hold <s>             seconds at the peak (default ${DEFAULT_PARAMS.holdSeconds}; ramp and spike ${PROFILE_DEFAULTS.ramp.holdSeconds})
  --after <s>            seconds at the base rate after the load (default ${DEFAULT_PARAMS.afterSeconds}; others ${PROFILE_DEFAULTS.ramp.afterSeconds})
  --ramp <s>             the ramp's climb and descent (default ${DEFAULT_PARAMS.rampSeconds})
  --period <s>           the sawtooth's period, half high and half low (default ${DEFAULT_PARAMS.periodSeconds})
  --cycles <n>           the sawtooth's periods (default ${DEFAULT_PARAMS.cycles})
  --target-url <url>     where the load goes, http://<host>:<port> (default: the Service's
                         NodePort on the node); the request adds its path
  --request <file.json>  what each arrival sends, instead of the overlay Deployment's
                         inferscale.dev/load-request: {"method", "path", "headers", "body" or
                         "bodies" (sent round robin) or "bodyFiles", "timeoutSeconds", "shedStatuses"}
  --report-dir <dir>     where the report goes (default reports/<time>-<profile>)
  --gate-prediction      hold the run to the simulator's prediction (assertion 8) even for a
                         schedule whose prediction error was never measured (your own
                         --stages, the sawtooth); otherwise it is printed as a figure`;

type LoadFlags = { [K in Exclude<keyof typeof LOAD_FLAGS, 'gate-prediction'>]?: string } & { 'gate-prediction'?: boolean };

const number = (name: string, raw: string | undefined, fallback: number): number => (raw === undefined ? fallback : numberFlag(name, raw));

export function profileFromFlags(flags: LoadFlags): Profile {
  if (flags.stages !== undefined) {
    if (flags.profile !== undefined && flags.profile !== 'stages') throw new UsageError('--stages is a profile of its own; leave out --profile.');
    try {
      return stagesProfile(flags.stages);
    } catch (error) {
      throw new UsageError(`--stages: ${(error as Error).message}; write rate:seconds pairs separated by commas.`);
    }
  }
  const name = (flags.profile ?? 'step') as ProfileName;
  if (!PROFILE_NAMES.includes(name) || name === 'stages') throw new UsageError(`unknown profile "${flags.profile}"; use ${PROFILE_NAMES.filter((n) => n !== 'stages').join(', ')}, or --stages.`);
  const d: ProfileParams = { ...DEFAULT_PARAMS, ...PROFILE_DEFAULTS[name] };
  const params: ProfileParams = {
    baseRate: number('base-rate', flags['base-rate'], d.baseRate),
    peakRate: number('peak-rate', flags['peak-rate'], d.peakRate),
    baselineSeconds: number('baseline', flags.baseline, d.baselineSeconds),
    holdSeconds: number('hold', flags.hold, d.holdSeconds),
    afterSeconds: number('after', flags.after, d.afterSeconds),
    rampSeconds: number('ramp', flags.ramp, d.rampSeconds),
    periodSeconds: number('period', flags.period, d.periodSeconds),
    cycles: number('cycles', flags.cycles, d.cycles),
  };
  if (params.peakRate <= params.baseRate) throw new UsageError(`--peak-rate (${params.peakRate}) must be above --base-rate (${params.baseRate}).`);
  if (params.periodSeconds < 4) throw new UsageError(`--period must be at least 4 s, got ${params.periodSeconds}.`);
  if (!Number.isInteger(params.cycles) || params.cycles < 1) throw new UsageError(`--cycles must be a whole number of at least 1, got ${params.cycles}.`);
  return profileFor(name, params);
}

/** The flags leave the profile's rates at their defaults (so an overlay's calibrated capacity may size them). */
export const ratesAreDefaults = (flags: LoadFlags): boolean => flags['base-rate'] === undefined && flags['peak-rate'] === undefined && flags.stages === undefined;

export function defaultReportDir(profile: Profile, now = new Date()): string {
  return `reports/${now.toISOString().replace(/[:.]/g, '-').slice(0, 19)}-${profile.name}`;
}
