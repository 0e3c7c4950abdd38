import { UserError } from '../cli.ts';
import type { ClusterProvider } from '../cluster/provider.ts';
import { checkRun } from './assertions.ts';
import { hpaSettings, planRun, predictAtSyncPhase, simulateAt, sizedLine, sizedProfile, type HpaSettings, type MeasuredPipeline, type RunEvents } from '../plan/bounds.ts';
import { computeFigures } from '../plan/figures.ts';
import { offeredAt, type Profile } from '../plan/profiles.ts';
import { writeReport, type RunReport } from './report.ts';
import type { KObject } from '../manifests/objects.ts';
import { averagesGauges, loadAdapterRules, rateWindowSeconds, ruleFor } from '../monitoring/adapter-rules.ts';
import { ADAPTER_RULES_FILE, repoPath } from '../paths.ts';
import { simulatedRecord } from '../plan/record.ts';
import type { Decision } from '../simulate/controller.ts';
import { poissonArrivals, type Phases } from '../simulate/run.ts';

// A run predicted before deploying: the overlay's rendered objects, the profile, the
// controller's rules and the pipeline model (the same ones the e2e's bounds use), played
// forward at one phase of sync and scrape, and written as the report a real run writes,
// marked as predicted.

export interface PredictOptions {
  objects: KObject[];
  overlay: string;
  profile: Profile;
  provider: Pick<ClusterProvider, 'relistSeconds'>;
  podStartSeconds: number;
  /** Where the first sync and the first scrape fall; default: the phase of the median first increase. */
  phases?: Phases;
  /** Where the first sync falls (a real run's, runSyncPhase); with `seen`, at the scrape phase nearest what that run did (predictAtSyncPhase). */
  syncPhase?: number;
  seen?: RunEvents;
  /** Predict the profile as given, not held at its last rate until the latest bound (as runLoadTest's fixedSchedule). */
  fixedSchedule?: boolean;
  /** Poisson arrivals drawn with this seed; default: even arrivals, as the load driver's pacer sends them. */
  seed?: number;
  /** The profile's rates are the defaults: scale them to the overlay's calibrated capacity, as the e2e does. */
  sized?: boolean;
  log?: (line: string) => void;
  reportDir: string;
}

/** What a prediction measures the overlay's pipeline with: the rule's rate window, the provider's relist, the pod start. */
export async function measuredPipeline(o: Pick<PredictOptions, 'objects' | 'provider' | 'podStartSeconds'>): Promise<{ hpa: HpaSettings; measured: MeasuredPipeline }> {
  const hpa = hpaSettings(o.objects);
  const rule = ruleFor(await loadAdapterRules(repoPath(ADAPTER_RULES_FILE)), hpa.metric);
  if (!rule) throw new UserError(`no rule in ${ADAPTER_RULES_FILE} serves ${hpa.metric}, the metric the HPA scales on.`);
  return { hpa, measured: { rateWindowSeconds: rateWindowSeconds(rule), averagesGauges: averagesGauges(rule), relistSeconds: await o.provider.relistSeconds(), podStartSeconds: o.podStartSeconds } };
}

export async function predict(o: PredictOptions): Promise<{ report: RunReport; files: { json: string; md: string; svg: string }; decisions: Decision[] }> {
  const { hpa, measured } = await measuredPipeline(o);
  const { profile: asked, scale } = sizedProfile(o.objects, o.profile, measured, o.sized);
  if (scale !== undefined) o.log?.(sizedLine(asked, scale));
  const { pipe, stepAt, dropAt, bounds, profile, central, prediction } = planRun(o.objects, hpa, asked, measured, { fixedSchedule: o.fixedSchedule });
  const arrivals = o.seed === undefined ? undefined : poissonArrivals((t) => offeredAt(profile, t), o.seed);
  const phases = o.phases ?? (arrivals ? central.phases : undefined);
  const sim =
    o.syncPhase !== undefined && !o.phases && !arrivals
      ? predictAtSyncPhase(hpa, { pipe, profile, central }, o.syncPhase, o.seen).sim
      : phases
        ? simulateAt(hpa, pipe, profile, profile.endAt, phases, arrivals)
        : central;
  const record = simulatedRecord(sim, { profile: profile.name, stepAt, dropAt, endAt: profile.endAt, pipe });
  // A simulated run follows the rules by construction: its own decisions are what it did.
  const results = checkRun(record, hpa, bounds, pipe, prediction, { decisions: sim.decisions.map((d) => ({ ...d, observed: d.replicas })), gatePrediction: true });
  const report: RunReport = { record, hpa, pipeline: pipe, bounds, results, figures: computeFigures(record, hpa, pipe, bounds), overlay: o.overlay, predicted: true, decisions: sim.decisions };
  return { report, files: await writeReport(o.reportDir, report), decisions: sim.decisions };
}
