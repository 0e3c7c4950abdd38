import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profileFromFlags } from '../loadtest/options.ts';
import { predict } from '../loadtest/predict.ts';
import type { RunReport } from '../loadtest/report.ts';
import { withLoadRequest, type LoadRequest } from '../manifests/load-request.ts';
import type { KObject } from '../manifests/objects.ts';
import { averagesGauges, ruleFor, type AdapterRule } from '../monitoring/adapter-rules.ts';
import { repoPath } from '../paths.ts';
import { runEvents, type HpaSettings } from '../plan/bounds.ts';

// The e2e's recorded runs (test/fixtures/runs, real runs on the embedded cluster that the
// assertion tests replay) as docs/e2e.md's table: each event beside its bound, from the record.

export const RECORDED_PROFILES = ['step', 'ramp', 'spike', 'sawtooth'] as const;
export const RECORDED_MARKER = 'runs:e2e-recorded';
/** docs/simulator.md's table: each recorded run beside the simulator's prediction of it. */
export const PREDICTED_MARKER = 'runs:predicted-vs-observed';

/**
 * What the recorded runs on our own concurrency series sent: they were made before the
 * default load became a completion, on the predict route (INFERENCE_SERVICE_TIME_MS 200 ± 40,
 * the service's defaults). Those on the vLLM preset (vllm-*) ran today's overlay.
 */
export const RECORDED_REQUEST: LoadRequest = {
  method: 'POST',
  path: '/v1/predict',
  headers: { 'content-type': 'application/json' },
  bodies: [JSON.stringify({ inputs: [0.1, 0.5, -0.3, 0.9, 0.2, -0.7, 0.4, 0.8] })],
  timeoutSeconds: 10,
  shedStatuses: [429],
};
const RECORDED_METRIC_NAME = 'inference_concurrency';

type RecordedHpa = Pick<HpaSettings, 'metric'> & Partial<Pick<HpaSettings, 'minReplicas' | 'maxReplicas' | 'scaleUp' | 'scaleDown'>>;

/**
 * overlays/local's objects as a recorded run had them: its HPA's replica bounds and behaviour
 * (windows, policies, tolerances) as its record wrote them; on our concurrency series, its
 * request and metric; on the vLLM preset, the request as it is.
 */
export function recordedObjects(objects: KObject[], real: { hpa: RecordedHpa }): KObject[] {
  const onSeries = real.hpa.metric === RECORDED_METRIC_NAME;
  return (onSeries ? withLoadRequest(objects, RECORDED_REQUEST) : objects).map((o) => {
    if (o.kind !== 'HorizontalPodAutoscaler') return o;
    const spec = (o as KObject & { spec: { metrics: { type: string; pods?: { metric: { name: string } } }[]; behavior?: Record<string, unknown> } }).spec;
    const metrics = onSeries ? spec.metrics.map((m) => (m.type === 'Pods' && m.pods ? { ...m, pods: { ...m.pods, metric: { ...m.pods.metric, name: RECORDED_METRIC_NAME } } } : m)) : spec.metrics;
    const { minReplicas, maxReplicas, scaleUp, scaleDown } = real.hpa;
    const behavior = { ...spec.behavior, ...(scaleUp ? { scaleUp } : {}), ...(scaleDown ? { scaleDown } : {}) };
    return { ...o, spec: { ...spec, metrics, behavior, ...(minReplicas ? { minReplicas } : {}), ...(maxReplicas ? { maxReplicas } : {}) } } as KObject;
  });
}

/** Whether a recorded run's rule averaged sampled gauges: as its record says, or (a record from before it said) as its metric's rule does. */
export function recordedReadsGauges(real: Pick<RunReport, 'hpa' | 'pipeline'>, rules: AdapterRule[]): boolean {
  const rule = ruleFor(rules, real.hpa.metric);
  return real.pipeline.averagesGauges ?? (rule ? averagesGauges(rule) : false);
}

export async function readRecorded(name: string): Promise<RunReport> {
  return JSON.parse(await readFile(repoPath('test/fixtures/runs', `${name}.timeline.json`), 'utf8')) as RunReport;
}

const s = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : `${v.toFixed(1)} s`);
const n = (v: number) => v.toLocaleString('en-US');

export function recordedTable(runs: { name: string; report: RunReport }[]): string {
  const rows = runs.map(({ name, report: r }) => {
    const e = runEvents(r.record.changes, r.hpa.minReplicas);
    const b = r.bounds;
    const f = r.figures;
    return `| ${name} | ${s(e.firstIncrease)} (${b.firstIncreaseEarliest.toFixed(1)}–${b.firstIncreaseLatest.toFixed(1)}) | ${e.peak} (${b.peakLow}–${b.peakHigh}) | ${s(e.firstDecrease)} (${s(b.firstDecreaseEarliest)}) | ${s(e.backAtMin)} (${s(b.backAtMinBy)}) | ${r.record.requests.shed} (${b.shedBound}) | ${s(f.reactionSeconds)} / ${s(b.reaction.best)} / ${s(b.reaction.expected)} / ${s(b.reaction.worst)} |`;
  });
  const totals = runs.map(({ name, report: r }) => `${name} ${n(r.record.requests.failed)} of ${n(r.record.requests.total)} failed, ${(r.figures.sloAttainment * 100).toFixed(1)} % under the SLO, ${(r.figures.replicaSeconds / r.figures.oracleReplicaSeconds).toFixed(2)}x the oracle's replica-seconds`);
  const held = runs.every(({ report }) => report.results.every((a) => a.ok));
  return [
    '| profile | 2. first increase (bound) | 3. peak (bound) | 4. first decrease (not before) | 5. at min (by) | shed (bound) | reaction: observed / best / expected / worst |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `${held ? 'Every assertion held in each' : 'Not every assertion held'}; ${totals.join('; ')}.`,
  ].join('\n');
}

export async function recordedRuns(): Promise<{ name: string; report: RunReport }[]> {
  return Promise.all(RECORDED_PROFILES.map(async (name) => ({ name, report: await readRecorded(name) })));
}

/** The prediction of a recorded run, as the reality test makes it: the same overlay, profile and median measured pod start. */
export async function predictRecorded(objects: KObject[], real: RunReport): Promise<RunReport> {
  const starts = [...real.record.podStarts].sort((a, b) => a - b);
  const { report } = await predict({
    objects: recordedObjects(objects, real),
    overlay: 'overlays/local',
    profile: profileFromFlags({ profile: real.record.profile }),
    provider: { relistSeconds: async () => real.pipeline.relistSeconds },
    podStartSeconds: starts[Math.floor(starts.length / 2)] ?? real.pipeline.podStartSeconds,
    reportDir: join(tmpdir(), `inferscale-predicted-${real.record.profile}`),
  });
  return report;
}

const pct = (v: number) => `${(v * 100).toFixed(2)} %`;

/** Predicted / observed for each recorded run's events and figures. */
export function predictedTable(runs: { name: string; real: RunReport; predicted: RunReport }[]): string {
  const rows = runs.map(({ name, real, predicted }) => {
    const [p, o] = [runEvents(predicted.record.changes, predicted.hpa.minReplicas), runEvents(real.record.changes, real.hpa.minReplicas)];
    const pair = (a: string, b: string) => `${a} / ${b}`;
    return `| ${name} | ${pair(s(p.firstIncrease).replace(' s', ''), s(o.firstIncrease))} | ${pair(String(p.peak), String(o.peak))} | ${pair(s(p.firstDecrease).replace(' s', ''), s(o.firstDecrease))} | ${pair(s(p.backAtMin).replace(' s', ''), s(o.backAtMin))} | ${pair(pct(predicted.figures.sloAttainment).replace(' %', ''), pct(real.figures.sloAttainment))} | ${pair(n(Math.round(predicted.figures.replicaSeconds)), n(Math.round(real.figures.replicaSeconds)))} | ${pair(n(predicted.record.requests.shed), n(real.record.requests.shed))} |`;
  });
  return ['| profile | first increase | peak | first decrease | back at min | SLO attainment | replica-seconds | shed |', '| --- | --- | --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}

export async function predictedRuns(objects: KObject[]): Promise<{ name: string; real: RunReport; predicted: RunReport }[]> {
  const runs = await recordedRuns();
  return Promise.all(runs.map(async ({ name, report }) => ({ name, real: report, predicted: await predictRecorded(objects, report) })));
}
