import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AssertionResult } from './assertions.ts';
import { decisionTable, type ExplainedSync } from '../plan/explain.ts';
import { runEvents, type Bounds, type HpaSettings, type PipelineSettings } from '../plan/bounds.ts';
import { renderChart } from './chart.ts';
import { figureLines, type Figures } from '../plan/figures.ts';
import { serverLines } from './server-figures.ts';
import type { RunRecord } from '../plan/timeline.ts';

// Every run leaves: timeline.json (the record), summary.md (assertions with their bounds and
// observations, the figures, the settings), chart.svg.

export interface RunReport {
  record: RunRecord;
  hpa: HpaSettings;
  pipeline: PipelineSettings;
  bounds: Bounds;
  results: AssertionResult[];
  figures: Figures;
  overlay: string;
  /** A simulated run (scripts/simulate.ts), not one observed on a cluster. */
  predicted?: boolean;
  /** For a real run: the simulator's run on the same rendered overlay, profile and measured pod start. */
  prediction?: { record: RunRecord; figures: Figures };
  /** Why each sync set the count: the simulator's chain, or for a real run the same chain rebuilt from the record. */
  decisions?: ExplainedSync[];
  /** A run through Flux or Argo CD: the GitOps checks made around it (heal, prune, the refused commit, the window commit that bounds it). */
  checks?: AssertionResult[];
}

/** Results as a Markdown table (✓ or ✗, name, bound, observed), a | in a text escaped. */
export function checkTable(results: AssertionResult[], heading = 'check'): string[] {
  const cell = (t: string) => t.replaceAll('|', '\\|').replaceAll('\n', ' ');
  return [`| | ${heading} | bound | observed |`, '| --- | --- | --- | --- |', ...results.map((a) => `| ${a.ok ? '✓' : '✗'} | ${cell(a.name)} | ${cell(a.bound)} | ${cell(a.observed)} |`)];
}

/** Every GitOps check of a run, those made during it and around it, in their numbers' order. */
export const gitopsChecks = (r: RunReport): AssertionResult[] =>
  [...r.results.filter((a) => a.judges === undefined), ...(r.checks ?? [])].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));

const secondsOr = (t: number) => (Number.isFinite(t) ? `${t.toFixed(1)} s` : 'none');

/** Predicted beside observed: the events the assertions judge and the figures. */
export function comparisonTable(r: RunReport): string[] {
  if (!r.prediction) return [];
  const p = r.prediction;
  const [seen, want] = [runEvents(r.record.changes, r.hpa.minReplicas), runEvents(p.record.changes, r.hpa.minReplicas)];
  const row = (name: string, predicted: string, observed: string) => `| ${name} | ${predicted} | ${observed} |`;
  const pct = (f: Figures) => `${(f.sloAttainment * 100).toFixed(2)} %`;
  return [
    '| | predicted | observed |',
    '| --- | --- | --- |',
    row('first increase', secondsOr(want.firstIncrease), secondsOr(seen.firstIncrease)),
    row('peak replicas', String(want.peak), String(seen.peak)),
    row('first decrease', secondsOr(want.firstDecrease), secondsOr(seen.firstDecrease)),
    row('back at minReplicas', secondsOr(want.backAtMin), secondsOr(seen.backAtMin)),
    row('SLO attainment', pct(p.figures), pct(r.figures)),
    row('replica-seconds', String(p.figures.replicaSeconds), String(r.figures.replicaSeconds)),
    row('requests shed', String(p.record.requests.shed), String(r.record.requests.shed)),
  ];
}

export function markdown(r: RunReport): string {
  const ok = r.results.every((a) => a.ok);
  const lines = [
    r.predicted ? `# inferscale prediction (simulated, not observed): ${r.record.profile} on ${r.overlay}` : `# inferscale load test: ${r.record.profile} on ${r.overlay}`,
    '',
    `**${ok ? `All ${r.results.length} assertions hold.` : `${r.results.filter((a) => !a.ok).length} assertion(s) failed.`}**`,
    '',
    '![replicas, load and latency over time](chart.svg)',
    '',
    '## Assertions',
    '',
    'Each assertion judges one of: the controller\'s rules replayed on what the HPA read (rules), a bound from the rules and the offered load over every phase (outcome), the simulator\'s prediction where its error is measured (prediction).',
    '',
    '| | assertion | judges | bound | observed |',
    '| --- | --- | --- | --- | --- |',
    ...r.results.map((a) => `| ${a.ok ? '✓' : '✗'} | ${a.name} | ${a.judges ?? 'the GitOps layer'} | ${a.bound} | ${a.observed} |`),
    '',
    ...(r.checks?.length
      ? ['## GitOps checks around the run', '', ...checkTable(r.checks), '']
      : []),
    '## Figures',
    '',
    ...figureLines(r.figures, r.pipeline, r.hpa.minReplicas).map((l) => `- ${l}`),
    ...(r.record.server ? serverLines(r.record.server).map((l) => `- ${l}`) : []),
    '',
    ...(r.prediction ? ['## Predicted and observed', '', 'The simulator on the same rendered overlay, profile and measured pod start (the prediction assertion 8 holds the run to; its replicas are the dashed orange line of the chart).', '', ...comparisonTable(r), ''] : []),
    ...(r.decisions?.length
      ? [
          '## Why the HPA did what it did',
          '',
          r.predicted
            ? "Every sync that changed the count or was held back from changing it, with the controller's chain: the metric against its target, the proposal, the stabilization windows, the rate policies and min/max, and the rule that set the count."
            : r.record.hpaStatus?.length
              ? "The same chain rebuilt from what the run recorded: the HPA's own statuses (what it read of each metric, written at a sync), the replicas and the Ready pods, at syncs a period apart from the first status, beside what the cluster set."
              : "The same chain rebuilt from what the run recorded (the metric the HPA read, the replicas, the Ready pods) at the syncs the first replica change places (a sync period apart), beside what the cluster set.",
          '',
          ...decisionTable(r.decisions, !r.predicted),
          '',
        ]
      : []),
    '## Settings the bounds were computed from',
    '',
    `- HPA: minReplicas ${r.hpa.minReplicas}, maxReplicas ${r.hpa.maxReplicas}, ${r.hpa.metric} target ${r.hpa.target} per pod, scale-up window ${r.hpa.scaleUp.stabilizationWindowSeconds} s, scale-down window ${r.hpa.scaleDown.stabilizationWindowSeconds} s`,
    `- pipeline: scrape ${r.pipeline.scrapeSeconds} s, rate window ${r.pipeline.rateWindowSeconds} s, adapter relist ${r.pipeline.relistSeconds} s, HPA sync ${r.pipeline.syncSeconds} s, pod start ${r.pipeline.podStartSeconds.toFixed(1)} s (measured), service time ${(r.pipeline.serviceSeconds * 1000).toFixed(0)} ms, latency SLO ${(r.pipeline.latencySloSeconds * 1000).toFixed(0)} ms`,
    `- load: ${r.record.profile}, step at ${r.record.stepAt} s, drop at ${r.record.dropAt} s, end at ${r.record.endAt} s; ${r.record.requests.total} requests`,
    `- the bounds are the earliest and latest over ${r.pipeline.syncSeconds * r.pipeline.scrapeSeconds} phases of sync and scrape of the controller's rules run on this schedule (scripts/lib/simulate/)`,
  ];
  for (const a of r.results.filter((x) => !x.ok && x.context)) {
    lines.push('', `## Around the failure of "${a.name}"`, '', '```', a.context ?? '', '```');
  }
  return `${lines.join('\n')}\n`;
}

export async function writeReport(dir: string, r: RunReport): Promise<{ json: string; md: string; svg: string }> {
  await mkdir(dir, { recursive: true });
  const files = { json: join(dir, 'timeline.json'), md: join(dir, 'summary.md'), svg: join(dir, 'chart.svg') };
  await writeFile(files.json, `${JSON.stringify({ ...r, record: { ...r.record } }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  await writeFile(files.md, markdown(r));
  await writeFile(
    files.svg,
    renderChart(r.record, {
      maxReplicas: r.hpa.maxReplicas,
      sloSeconds: r.pipeline.latencySloSeconds,
      title: `${r.predicted ? 'predicted: ' : ''}${r.record.profile} load on ${r.overlay}: replicas follow the offered load`,
      predicted: r.prediction?.record.samples,
    }),
  );
  return files;
}
