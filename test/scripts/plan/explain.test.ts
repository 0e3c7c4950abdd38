import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hpaSettings } from '../../../scripts/lib/plan/bounds.ts';
import type { RunReport } from '../../../scripts/lib/loadtest/report.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';
import { sh } from '../../../scripts/lib/shell.ts';
import { recordedObjects } from '../../../scripts/lib/docs/recorded-runs.ts';
import { decisionTable, nearest, notable, readyTimes, reconstructDecisions, syncTimes } from '../../../scripts/lib/plan/explain.ts';

// Why the HPA did what it did, rebuilt for the real runs kept in test/fixtures/runs.

const dir = repoPath('test/fixtures/runs');
const { objects } = await renderOverlay(sh, repoPath('overlays/local'));
/** The HPA a recorded run ran: its windows and tolerances from its record. */
const ranWith = (run: RunReport) => hpaSettings(recordedObjects(objects, run));
const runs = new Map<string, RunReport>();
for (const f of (await readdir(dir)).filter((x) => x.endsWith('.timeline.json'))) runs.set(f.replace('.timeline.json', ''), JSON.parse(await readFile(join(dir, f), 'utf8')) as RunReport);

const hpa = ranWith(runs.get('step') as RunReport);

const why = suite('the decision chain of a real run');

for (const [name, run] of runs) {
  why(`rebuilds every sync of the real ${name} run and sets the count the cluster set`, () => {
    const decisions = reconstructDecisions(run.record, ranWith(run), run.pipeline);
    assert.ok(decisions.length >= Math.floor(run.record.endAt / run.pipeline.syncSeconds) - 2, `${decisions.length} syncs over ${run.record.endAt} s`);
    const disagree = decisions.filter((d) => d.observed !== d.replicas).map((d) => `${d.at.toFixed(1)} s: rebuilt ${d.replicas}, the cluster ${d.observed}`);
    assert.equal(disagree, []);
    for (const c of run.record.changes) assert.ok(decisions.some((d) => Math.abs(d.at - c.t) < 1 && d.current === c.from && d.replicas === c.to), `the change ${c.from} → ${c.to} at ${c.t.toFixed(1)} s`);
  });
}

why('places the syncs at the phase of the first replica change, a sync period apart', () => {
  const step = runs.get('step') as RunReport;
  const times = syncTimes(step.record, 15);
  const first = step.record.changes[0]?.t as number;
  assert.ok(times.includes(first));
  assert.ok(times.every((t, i) => i === 0 || Math.abs(t - (times[i - 1] as number) - 15) < 1e-9));
});

why('says the scale-down window held the spike pods after the load fell', () => {
  const spike = runs.get('spike') as RunReport;
  const decisions = reconstructDecisions(spike.record, ranWith(spike), spike.pipeline);
  const held = notable(decisions).filter((d) => d.rule === 'the scale-down window' && d.replicas === d.current);
  assert.ok(held.length > 0);
  for (const d of held) assert.ok(d.proposed < d.current && d.at > spike.record.dropAt, `${d.at} s`);
  const at = nearest(decisions, held[0]?.at as number);
  assert.is(at, held[0]);
  const table = decisionTable(decisions, true);
  assert.match(table[0] as string, /\| the cluster set \|$/);
  assert.ok(table.some((row) => row.includes('the scale-down window')));
});

why("rebuilds a CPU run's chain from the HPA's own statuses, a sync period apart, the syncs that wrote none included", () => {
  // Two pods at 100 % of their request against a 50 % target, from the first status on.
  const cpu = { ...hpa, metrics: [{ type: 'Resource' as const, name: 'cpu' as const, averageUtilization: 50 }] };
  const samples = Array.from({ length: 60 }, (_, t) => ({ t, replicas: t < 22 ? 2 : 4, desired: t < 21 ? 2 : 4, ready: t < 25 ? 2 : 4, metric: Number.NaN, offered: 10, achieved: 10, errors: 0, shed: 0, p50: 0.2, p95: 0.2, p99: 0.2 }));
  const record = { ...(runs.get('step') as RunReport).record, samples, changes: [{ t: 21, from: 2, to: 4 }], hpaStatus: [{ t: 6.2, desired: 2, metrics: [40] }, { t: 21.1, desired: 4, metrics: [100] }, { t: 36.6, desired: 4, metrics: [52] }] };
  const decisions = reconstructDecisions(record, cpu, { syncSeconds: 15 });
  assert.equal(decisions.map((d) => d.at.toFixed(1)), ['6.2', '21.1', '36.6', '51.6'], 'each written status re-phases the period');
  assert.equal(decisions.map((d) => [d.metrics[0]?.usage, d.replicas, d.observed]), [[40, 2, 2], [100, 4, 4], [52, 4, 4], [52, 4, 4]]);
  assert.is(decisions[1]?.rule, 'the metric');
  assert.is(decisions[2]?.rule, 'the tolerance', '52 % of 50 % is inside it');
  assert.is(decisions[3]?.metrics[0]?.usage, 52, 'a sync that wrote nothing read what the last one did');
  // An External Value metric: the value as the controller read it, the ratio to the target.
  const latency = { ...hpa, metrics: [{ type: 'External' as const, name: 'inference_request_latency_seconds', value: 0.25 }] };
  const slow = reconstructDecisions({ ...record, hpaStatus: [{ t: 6.2, desired: 4, metrics: [0.5] }] }, latency, { syncSeconds: 15 });
  assert.equal([slow[0]?.metrics[0]?.ratio, slow[0]?.proposed], [2, 4]);
});

why('counts a CPU pod once it has been Ready a metrics window, as the controller does, from the recorded Ready times', () => {
  const sample = (t: number, replicas: number, ready: number) => ({ t, replicas, desired: replicas, ready, metric: Number.NaN, offered: 30, achieved: 30, errors: 0, shed: 0, p50: 0.2, p95: 0.2, p99: 0.2 });
  // Two pods from before the run, a third Ready at 28 s, a fourth at 50 s; then one deleted.
  const ready = (t: number) => (t < 28 ? 2 : t < 50 ? 3 : t < 70 ? 4 : 3);
  const samples = Array.from({ length: 80 }, (_, t) => sample(t, t < 20 ? 2 : t < 45 ? 3 : t < 70 ? 4 : 3, ready(t)));
  assert.equal(readyTimes(samples, 60), [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, 28, 50]);
  assert.equal(readyTimes(samples, 75), [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, 28], 'the pod Ready the shortest goes first');
  const cpu = { ...hpa, metrics: [{ type: 'Resource' as const, name: 'cpu' as const, averageUtilization: 50 }] };
  // At 56 s the status says 86 %: of the three pods Ready a window (15 s) or more; the fourth,
  // Ready 6 s, is unready and counts as 0 on a scale-up: ceil(3 x 86 / 50 x 3 / 4) = 6, not
  // the ceil(4 x 86 / 50) = 7 of every Ready pod at the average.
  const record = { ...(runs.get('step') as RunReport).record, samples, changes: [{ t: 20, from: 2, to: 3 }], hpaStatus: [{ t: 56, desired: 6, metrics: [86] }] };
  const [d] = reconstructDecisions(record, cpu, { syncSeconds: 15 });
  assert.is(d?.proposed, 6, JSON.stringify(d));
  assert.is(d?.observed, 6);
});

why.run();
