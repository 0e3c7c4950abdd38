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

why.run();
