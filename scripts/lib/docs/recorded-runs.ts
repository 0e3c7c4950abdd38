import { readFile } from 'node:fs/promises';
import { runEvents } from '../plan/bounds.ts';
import type { RunReport } from '../loadtest/report.ts';
import { repoPath } from '../paths.ts';

// The e2e's recorded runs (test/fixtures/runs, real runs on the embedded cluster that the
// assertion tests replay) as docs/e2e.md's table: each event beside its bound, from the record.

export const RECORDED_PROFILES = ['step', 'ramp', 'spike', 'sawtooth'] as const;
export const RECORDED_MARKER = 'runs:e2e-recorded';

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
