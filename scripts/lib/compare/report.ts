import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { UserError } from '../cli.ts';
import { join } from 'node:path';
import { computeFigures, type Figures } from '../plan/figures.ts';
import { hpaSettings, type HpaSettings } from '../plan/bounds.ts';
import { renderOverlay } from '../manifests/render.ts';
import type { Sh } from '../shell.ts';
import type { RunReport } from '../loadtest/report.ts';
import { reconstructDecisions } from '../plan/explain.ts';
import { renderComparisonChart } from './chart.ts';
import type { PolicyRun } from './run.ts';
import { REFERENCE_POLICY, SCENARIO_APP, scenarioTitle, writeRunOverlay, type Policy, type Scenario } from './policies.ts';

// The comparison's result: per scenario, a chart of every policy and a table of what each
// did, observed beside predicted; the oracle is the same for every policy (the replicas the
// reference policy's target needs for the offered load, second by second).

export interface PolicyFigures {
  figures: Figures;
  peak: number;
  shed: number;
  failed: number;
  /** Arrivals the load driver could not send: its bound on requests in flight was reached. */
  notSent: number;
  total: number;
}

/**
 * The run's figures with the reference's oracle; SLO attainment counts the arrivals the load
 * driver could not send (its bound on requests in flight reached) against the policy, as a client would.
 */
export function policyFigures(r: RunReport, reference: HpaSettings): PolicyFigures {
  const { total, shed, failed, notSent, underSlo } = r.record.requests;
  const figures = computeFigures(r.record, reference, r.pipeline, r.bounds);
  return {
    figures: { ...figures, sloAttainment: total + notSent > 0 ? underSlo / (total + notSent) : Number.NaN },
    peak: Math.max(...r.record.samples.map((s) => s.replicas)),
    shed,
    failed,
    notSent,
    total,
  };
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : 'n/a');
const secs = (x: number) => (!Number.isFinite(x) ? 'none' : x < 0 ? `before the step (${x.toFixed(1)} s)` : `${x.toFixed(1)} s`);

/** One table row: each figure observed, with the simulator's prediction in brackets. */
export function row(policy: string, seen: PolicyFigures, said: PolicyFigures): string {
  const ratio = (f: Figures) => (f.replicaSeconds / f.oracleReplicaSeconds).toFixed(2);
  const cells = [
    `\`${policy}\``,
    `${secs(seen.figures.reactionSeconds)} (${secs(said.figures.reactionSeconds)})`,
    `${seen.peak} (${said.peak})`,
    `${pct(seen.figures.sloAttainment)} (${pct(said.figures.sloAttainment)})`,
    `${seen.shed} / ${seen.failed} / ${seen.notSent} of ${seen.total + seen.notSent} (${said.shed} / ${said.failed} / ${said.notSent})`,
    `${seen.figures.replicaSeconds}, ${ratio(seen.figures)}x (${said.figures.replicaSeconds}, ${ratio(said.figures)}x)`,
    `${seen.figures.reversals} (${said.figures.reversals})`,
  ];
  return `| ${cells.join(' | ')} |`;
}

/**
 * The reference policy's HPA in a scenario, whose target counts the oracle for every policy
 * alike: its overlay written under `dir`/reference and rendered (sleep's and compute's are one:
 * the policy is applied to the same app).
 */
export const referenceHpa = async ($: Sh, dir: string, scenario: Scenario = 'sleep'): Promise<HpaSettings> =>
  hpaSettings((await renderOverlay($, await writeRunOverlay(join(dir, 'reference'), REFERENCE_POLICY, scenario))).objects);

/** Each of `scenarios`' reference HPA, rendered once each under `dir`/reference. */
export async function referenceHpas($: Sh, dir: string, scenarios: readonly Scenario[]): Promise<(scenario: Scenario) => HpaSettings> {
  const found = new Map(await Promise.all([...new Set(scenarios)].map(async (s) => [s, await referenceHpa($, dir, s)] as const)));
  return (scenario) => {
    const hpa = found.get(scenario);
    if (!hpa) throw new UserError(`no reference HPA was rendered for the ${scenario} scenario.`);
    return hpa;
  };
}

export const TABLE_HEAD = [
  '| policy | reaction | peak replicas | SLO attainment | shed / failed / not sent | replica-seconds, x oracle | reversals |',
  '| --- | --- | --- | --- | --- | --- | --- |',
];

export interface ComparisonFiles {
  md: string;
  charts: string[];
}

export async function writeComparison(dir: string, runs: PolicyRun[], referenceOf: (scenario: Scenario) => HpaSettings, o: { command: string; minutes: number; sideBySide?: boolean }): Promise<ComparisonFiles> {
  await mkdir(dir, { recursive: true });
  const planes = runs.some((r) => r.policy === 'keda') ? 'Prometheus, adapter and KEDA' : 'Prometheus and adapter';
  const how = o.sideBySide
    ? `every policy of \`policies/\` it names at once, each in its own namespace with its own NodePort and load driver, on the one ${planes}`
    : 'one policy of `policies/` at a time';
  const apps = [...new Set(runs.map((r) => SCENARIO_APP[r.scenario].overlay))];
  const app = apps.length === 1 && apps[0] === SCENARIO_APP.sleep.overlay ? `one app overlay (\`${apps[0]}\`: 4 slots and a queue of 16 per pod)` : `each scenario's app overlay (${apps.map((a) => `\`${a}\``).join(', ')})`;
  const lines = [
    '# inferscale: the same load against every policy',
    '',
    `\`${o.command}\` on the embedded cluster: ${app}, ${how}, the same load schedule, each run from minReplicas with a fresh HPA. ${runs.length} runs${Number.isFinite(o.minutes) ? ` in ${o.minutes.toFixed(0)} minutes` : ' (their minutes are not kept with the records)'}.`,
    '',
    'Each cell is observed, with the simulator\'s prediction for the same rendered overlay, schedule and measured pod start in brackets. Reaction: the step to the first new pod Ready. SLO attainment: requests answered under the objective, of all the schedule asked for (shed, failed and those the load driver could not send because its bound on requests in flight was reached count against it). The oracle: the replicas `concurrency`\'s target needs for the offered load, second by second, the same for every policy (on the real model, its app\'s own target, the calibrated one). Reversals: direction changes of the replicas beyond those of the load.',
  ];
  const charts: string[] = [];
  for (const scenario of [...new Set(runs.map((r) => r.scenario))] as Scenario[]) {
    const these = runs.filter((r) => r.scenario === scenario);
    const first = these[0] as PolicyRun;
    const reference = referenceOf(scenario);
    const profile = first.observed.record;
    const chart = `compare-${scenario}.svg`;
    await writeFile(
      join(dir, chart),
      renderComparisonChart(these.map((r) => ({ name: r.policy, samples: r.observed.record.samples })), {
        title: `${scenario}: replicas and p95 latency of every policy under the same ${profile.profile} load`,
        maxReplicas: Math.max(...these.map((r) => r.observed.hpa.maxReplicas)),
        sloSeconds: first.observed.pipeline.latencySloSeconds,
      }),
    );
    charts.push(join(dir, chart));
    lines.push(
      '',
      `## ${scenarioTitle(scenario, first.observed.pipeline.cpu?.limitCores ?? Number.NaN)}`,
      '',
      `Load: ${profile.profile}, step at ${profile.stepAt} s, drop at ${profile.dropAt} s, end at ${profile.endAt} s; ${(first.observed.pipeline.serviceSeconds * 1000).toFixed(0)} ms service time, SLO ${(first.observed.pipeline.latencySloSeconds * 1000).toFixed(0)} ms.`,
      '',
      `![${scenario}](${chart})`,
      '',
      ...TABLE_HEAD,
      ...these.map((r) => row(r.policy, policyFigures(r.observed, reference), policyFigures(r.predicted, reference))),
      '',
      `${these.every((r) => Number.isFinite(r.minutes)) ? `Runs took ${these.map((r) => `${r.policy} ${r.minutes.toFixed(1)} min`).join(', ')}; reports` : 'Reports'}: ${these.map((r) => `\`${r.scenario}-${r.policy}/\``).join(', ')}.`,
    );
  }
  const md = join(dir, 'compare.md');
  await writeFile(md, `${lines.join('\n')}\n`);
  return { md, charts };
}

/** Whether a comparison's folder holds a side-by-side run (its combined overlay). */
export async function isSideBySide(dir: string): Promise<boolean> {
  const entries = await readdir(join(dir, 'overlays')).catch(() => [] as string[]);
  return entries.some((e) => e.endsWith('-side-by-side'));
}

/**
 * The runs of a comparison read back from its folder (every `<scenario>-<policy>/` with its
 * `-predicted` twin), in the order of the lists; the minutes from the files' times.
 */
export async function loadRuns(dir: string, scenarios: readonly Scenario[], policies: readonly Policy[]): Promise<{ runs: PolicyRun[]; minutes: number }> {
  const runs: PolicyRun[] = [];
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const scenario of scenarios) {
    for (const policy of policies) {
      const name = `${scenario}-${policy}`;
      const observed = join(dir, name, 'timeline.json');
      const started = await stat(join(dir, 'overlays', name, 'kustomization.yaml')).catch(() => undefined);
      const ended = await stat(observed).catch(() => undefined);
      if (!ended) continue;
      // A folder kept without its overlays (docs/side-by-side) has no start: its minutes are unknown.
      first = Math.min(first, started?.mtimeMs ?? Number.NaN);
      last = Math.max(last, ended.mtimeMs);
      const read = async (f: string) => JSON.parse(await readFile(f, 'utf8')) as RunReport;
      // The why table rebuilt from what the run recorded, by today's rules.
      const real = await read(observed);
      const decisions = real.record.hpaStatus ? reconstructDecisions(real.record, real.hpa, real.pipeline) : real.decisions;
      runs.push({ policy, scenario, overlay: join(dir, 'overlays', name), observed: { ...real, decisions }, predicted: await read(join(dir, `${name}-predicted`, 'timeline.json')), minutes: started ? (ended.mtimeMs - started.mtimeMs) / 60_000 : Number.NaN });
    }
  }
  if (runs.length === 0) throw new UserError(`${dir} holds no comparison runs (no <scenario>-<policy>/timeline.json); run scripts/compare.ts first.`);
  return { runs, minutes: (last - first) / 60_000 };
}
