import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hpaSettings } from '../../../scripts/lib/loadtest/bounds.ts';
import type { RunReport } from '../../../scripts/lib/loadtest/report.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';
import { sh } from '../../../scripts/lib/shell.ts';
import { decisionTable, nearest, notable, reconstructDecisions, syncTimes } from '../../../scripts/lib/simulate/explain.ts';

// Why the HPA did what it did, rebuilt for the real runs kept in test/fixtures/runs.

const dir = repoPath('test/fixtures/runs');
const { objects } = await renderOverlay(sh, repoPath('overlays/local'));
const hpa = hpaSettings(objects);
const runs = new Map<string, RunReport>();
for (const f of (await readdir(dir)).filter((x) => x.endsWith('.timeline.json'))) runs.set(f.replace('.timeline.json', ''), JSON.parse(await readFile(join(dir, f), 'utf8')) as RunReport);

const why = suite('the decision chain of a real run');

for (const [name, run] of runs) {
  why(`rebuilds every sync of the real ${name} run and sets the count the cluster set`, () => {
    const decisions = reconstructDecisions(run.record, hpa, run.pipeline);
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
  const decisions = reconstructDecisions(spike.record, hpa, spike.pipeline);
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

why.run();
