import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../../scripts/lib/cli.ts';
import { POLICIES } from '../../../scripts/lib/compare/policies.ts';
import { loadRuns, policyFigures } from '../../../scripts/lib/compare/report.ts';
import { comparisonBlocksOnPage, keepComparison, KEPT_COMPARISONS, referenceHpa, WHY_PAGE } from '../../../scripts/lib/docs/comparison.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';

// docs/why.md shows the kept comparisons from their records: every table and claim between
// its markers is what the code writes from them, so a figure edited by hand fails here.

const comparison = suite('the comparisons kept in the docs');

comparison(`${WHY_PAGE}'s tables and claims are the kept comparisons' records, word for word`, async () => {
  const blocks = await comparisonBlocksOnPage();
  for (const dir of KEPT_COMPARISONS) assert.ok(blocks.some(([name]) => name.includes(dir.replace(/^docs\//, ''))), `${dir} gives at least one block`);
  for (const [name, onPage, fromRecords] of blocks) {
    assert.ok(onPage !== undefined, `${WHY_PAGE} marks <!-- ${name} -->`);
    assert.is(onPage, fromRecords, `<!-- ${name} -->`);
  }
});

comparison(`what ${WHY_PAGE} says of the compute scenario holds on its records: the CPU policies win it, at the most replica-seconds, and ours flaps`, async () => {
  const { runs } = await loadRuns(repoPath('docs/comparison'), ['compute'], POLICIES);
  const reference = await referenceHpa();
  const fig = (policy: string) => policyFigures(runs.find((r) => r.policy === policy)!.observed, reference).figures;
  const best = [...runs].sort((a, b) => fig(b.policy).sloAttainment - fig(a.policy).sloAttainment)[0]!.policy;
  assert.ok(best === 'cpu' || best === 'cpu-80', `the most SLO attainment: ${best}`);
  const costliest = [...runs].sort((a, b) => fig(b.policy).replicaSeconds - fig(a.policy).replicaSeconds)[0]!.policy;
  assert.ok(costliest === 'cpu' || costliest === 'cpu-80', `the most replica-seconds: ${costliest}`);
  assert.ok(fig('concurrency').reversals > 0, 'ours reverses');
});

comparison(`what ${WHY_PAGE} says of the candidate holds on its records: on the sleep step no reversal, fewer replica-seconds and a little less of the SLO than ours; on the compute step no reversal and the least of the SLO`, async () => {
  const reference = await referenceHpa();
  const figures = async (dir: string, scenario: 'sleep' | 'compute', policy: string) => {
    const { runs } = await loadRuns(repoPath(dir), [scenario], POLICIES);
    return policyFigures(runs.find((r) => r.policy === policy)!.observed, reference).figures;
  };
  const [ours, candidate] = [await figures('docs/side-by-side', 'sleep', 'concurrency'), await figures('docs/comparison', 'sleep', 'utilization')];
  assert.ok(candidate.reversals === 0 && candidate.replicaSeconds < ours.replicaSeconds, 'sleep: steady, and cheaper');
  assert.ok(candidate.sloAttainment < ours.sloAttainment && ours.sloAttainment - candidate.sloAttainment < 0.02, 'sleep: a little behind ours');
  const { runs } = await loadRuns(repoPath('docs/comparison'), ['compute'], POLICIES);
  const slo = runs.map((r) => [r.policy, policyFigures(r.observed, reference).figures.sloAttainment] as const).sort((a, b) => a[1] - b[1]);
  assert.is(slo[0]![0], 'utilization', `compute: the least of the SLO: ${slo.map(([p, v]) => `${p} ${v}`).join(', ')}`);
  assert.is((await figures('docs/comparison', 'compute', 'utilization')).reversals, 0);
});

comparison(`what ${WHY_PAGE} says of the candidate on a measured cost holds on its records: on the compute step it sizes the fleet within a third of the oracle and does not reverse, where ours flaps; the CPU policy wins the SLO, up before the step`, async () => {
  const reference = await referenceHpa('compute');
  const { runs } = await loadRuns(repoPath('docs/measured-cost'), ['compute'], POLICIES);
  const fig = (policy: string) => policyFigures(runs.find((r) => r.policy === policy)!.observed, reference).figures;
  const [candidate, ours, cpu] = [fig('utilization'), fig('concurrency'), fig('cpu')];
  assert.is(candidate.reversals, 0);
  assert.ok(ours.reversals > 0, 'ours flaps');
  assert.ok(candidate.replicaSeconds <= candidate.oracleReplicaSeconds * 4 / 3, `${candidate.replicaSeconds} replica-seconds against an oracle of ${candidate.oracleReplicaSeconds}`);
  assert.ok(cpu.sloAttainment > Math.max(candidate.sloAttainment, ours.sloAttainment), `cpu ${cpu.sloAttainment}, utilization ${candidate.sloAttainment}, concurrency ${ours.sloAttainment}`);
  assert.ok(cpu.reactionSeconds < 0 || runs.find((r) => r.policy === 'cpu')!.observed.record.changes[0]!.t < runs[0]!.observed.record.stepAt, 'the CPU policy is up before the step');
  const predicted = policyFigures(runs.find((r) => r.policy === 'utilization')!.predicted, reference).figures;
  assert.ok(predicted.sloAttainment > 0.9 && candidate.sloAttainment < 0.5, `the candidate: predicted ${predicted.sloAttainment}, held ${candidate.sloAttainment}`);
});

comparison(`what ${WHY_PAGE} says of the real model holds on its records: ours holds the most of the objective and reverses (4 → 2 → 4); the candidate does not, beats the CPU policy's objective on the fewest replica-seconds, a pod under ours; the CPU policy reacts last; the simulator right on replicas, wrong on latency`, async () => {
  const reference = await referenceHpa('llm');
  const { runs } = await loadRuns(repoPath('docs/real-model'), ['llm'], POLICIES);
  const run = (policy: string) => runs.find((r) => r.policy === policy)!;
  const fig = (policy: string) => policyFigures(run(policy).observed, reference);
  const [ours, candidate, cpu] = [fig('concurrency'), fig('utilization'), fig('cpu')];
  assert.ok(ours.figures.sloAttainment > Math.max(candidate.figures.sloAttainment, cpu.figures.sloAttainment), 'ours holds the most of the objective');
  assert.ok(ours.figures.reversals > 0, 'ours reverses');
  const changes = run('concurrency').observed.record.changes.map((c) => c.to);
  assert.ok(changes.join(',').includes('4,2,4'), `halved and back: ${changes.join(' → ')}`);
  assert.is(candidate.figures.reversals, 0);
  assert.ok(candidate.figures.sloAttainment >= cpu.figures.sloAttainment, `candidate ${candidate.figures.sloAttainment}, cpu ${cpu.figures.sloAttainment}`);
  assert.ok(runs.every((r) => r.policy === 'utilization' || fig(r.policy).figures.replicaSeconds > candidate.figures.replicaSeconds), 'the fewest replica-seconds');
  assert.ok(candidate.peak === ours.peak - 1 && candidate.figures.replicaSeconds < candidate.figures.oracleReplicaSeconds, 'a pod under ours, under the oracle');
  assert.ok(cpu.figures.reactionSeconds > Math.max(ours.figures.reactionSeconds, candidate.figures.reactionSeconds), 'the CPU policy reacts last');
  for (const r of runs) {
    const said = policyFigures(r.predicted, reference);
    const seen = fig(r.policy);
    assert.is(said.peak, seen.peak, `${r.policy}: the peak predicted`);
    assert.ok(said.figures.sloAttainment > 0.9 && seen.figures.sloAttainment >= 0.6 && seen.figures.sloAttainment <= 0.8, `${r.policy}: predicted ${said.figures.sloAttainment}, held ${seen.figures.sloAttainment}`);
  }
});

comparison('are kept only from a folder scripts/compare.ts wrote, under a name the page shows: anything else is one sentence', async () => {
  const refused = async (from: string, as: string, said: RegExp) => {
    const error = await keepComparison(from, as).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof UserError && said.test(error.message), String(error));
  };
  await refused('reports/none', 'elsewhere', /--as takes one of side-by-side/);
  await refused(repoPath('reports', 'no-such-comparison'), 'side-by-side', /cannot read .*no-such-comparison: name a folder scripts\/compare\.ts wrote/);
  await refused(repoPath('docs'), 'side-by-side', /holds no comparison/);
});

comparison.run();
