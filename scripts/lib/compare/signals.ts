import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KObject } from '../manifests/objects.ts';
import { renderOverlay } from '../manifests/render.ts';
import { repoPath } from '../paths.ts';
import { hpaSettings, planRun, sizedProfile, UTILIZATION_METRIC, type HpaSettings } from '../plan/bounds.ts';
import { computeFigures } from '../plan/figures.ts';
import { DEFAULT_PARAMS, profileFor, type Profile } from '../plan/profiles.ts';
import { simulatedRecord } from '../plan/record.ts';
import type { Sh } from '../shell.ts';
import { scenarioParams, writeRunOverlay, type Scenario } from './policies.ts';

// Which signal to scale on, chosen by prediction first: the simulator (the same rules, pods
// and pipeline the e2e's bounds use) runs each candidate on each scenario's step, at the
// phase of the median first increase, with the oracle counted at the concurrency policy's
// target for all alike. Deterministic: the page it writes is held to it by a test.

/**
 * The candidates: ours today; the offered load over what a pod runs at once; both, the HPA
 * taking the larger proposal; and utilization over a 10 s window instead of 20 (its rule's
 * range, two scrapes at 5 s), so the first sync after a step sees more of it.
 */
export const SIGNALS = ['concurrency', 'utilization', 'both', 'utilization-10s'] as const;
/** The rule's window each candidate is read over, seconds. */
const WINDOW: Record<Signal, number> = { concurrency: 20, utilization: 20, both: 20, 'utilization-10s': 10 };
export type Signal = (typeof SIGNALS)[number];
/** The utilization the candidate holds each pod at: three quarters of what it runs at once, on every scenario alike. */
export const UTILIZATION_TARGET = 0.75;

export interface SignalScenario {
  name: string;
  objects: KObject[];
  profile: Profile;
  podStartSeconds: number;
}

export interface SignalRow {
  scenario: string;
  signal: Signal;
  peak: number;
  oraclePeak: number;
  sloAttainment: number;
  replicaSecondsRatio: number;
  reversals: number;
  shed: number;
}

/** The HPA of the utilization candidate: the same replicas and behavior; the metric and its target changed (the capacity figures read it as a share of what a pod serves: plan/bounds.ts's podRateAt). */
export function utilizationHpa(hpa: HpaSettings): HpaSettings {
  return {
    ...hpa,
    metrics: [{ type: 'Pods', name: UTILIZATION_METRIC, averageValue: UTILIZATION_TARGET, signal: 'utilization' }],
    metric: UTILIZATION_METRIC,
    target: UTILIZATION_TARGET,
  };
}

const MEASURED = { rateWindowSeconds: 20, relistSeconds: 5 };

/** The comparison's two scenarios (overlays/compare under its concurrency policy) and the real model's sized step. */
export async function signalScenarios($: Sh): Promise<SignalScenario[]> {
  const dir = await mkdtemp(join(tmpdir(), 'inferscale-signals-'));
  try {
    const scenarios: SignalScenario[] = [];
    for (const scenario of ['sleep', 'compute'] as Scenario[]) {
      const { objects } = await renderOverlay($, await writeRunOverlay(dir, 'concurrency', scenario));
      scenarios.push({ name: `${scenario} step`, objects, profile: profileFor('step', scenarioParams(scenario)), podStartSeconds: 3 });
    }
    const llm = (await renderOverlay($, repoPath('overlays/local-llm'))).objects;
    const podStartSeconds = 8;
    scenarios.push({ name: 'real model step', objects: llm, profile: sizedProfile(llm, profileFor('step', DEFAULT_PARAMS), { ...MEASURED, podStartSeconds }, true).profile, podStartSeconds });
    return scenarios;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function predictSignal(scenario: SignalScenario, signal: Signal): SignalRow {
  const measured = { ...MEASURED, rateWindowSeconds: WINDOW[signal], podStartSeconds: scenario.podStartSeconds };
  const reference = hpaSettings(scenario.objects);
  const utilization = utilizationHpa(reference);
  // Both: ours first, so the capacity figures read its target as requests in flight.
  const hpa = signal === 'concurrency' ? reference : signal === 'both' ? { ...reference, metrics: [...reference.metrics, ...utilization.metrics] } : utilization;
  const plan = planRun(scenario.objects, hpa, scenario.profile, measured);
  const record = simulatedRecord(plan.central, { profile: plan.profile.name, stepAt: plan.stepAt, dropAt: plan.dropAt, endAt: plan.profile.endAt, pipe: plan.pipe });
  const figures = computeFigures(record, reference, plan.pipe, plan.bounds);
  return {
    scenario: scenario.name,
    signal,
    peak: Math.max(...record.samples.map((s) => s.replicas)),
    oraclePeak: plan.bounds.expectedPeak,
    sloAttainment: figures.sloAttainment,
    replicaSecondsRatio: figures.replicaSeconds / figures.oracleReplicaSeconds,
    reversals: figures.reversals,
    shed: record.requests.shed,
  };
}

export const SIGNALS_MARKER = 'signals:predicted';

export function signalsTable(rows: SignalRow[]): string {
  return [
    '| scenario | signal | peak (oracle) | SLO attainment | replica-seconds, x oracle | reversals | shed |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.scenario} | \`${r.signal}\` | ${r.peak} (${r.oraclePeak}) | ${(r.sloAttainment * 100).toFixed(1)} % | ${r.replicaSecondsRatio.toFixed(2)}x | ${r.reversals} | ${r.shed.toLocaleString('en-US')} |`),
  ].join('\n');
}

export async function predictSignals($: Sh): Promise<SignalRow[]> {
  const rows: SignalRow[] = [];
  for (const scenario of await signalScenarios($)) for (const signal of SIGNALS) rows.push(predictSignal(scenario, signal));
  return rows;
}
