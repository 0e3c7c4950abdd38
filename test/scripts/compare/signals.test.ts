import { readFile } from 'node:fs/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { predictSignals, SIGNALS_MARKER, signalsTable, type SignalRow } from '../../../scripts/lib/compare/signals.ts';
import { marked } from '../../../scripts/lib/docs/markers.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';
import { sh } from '../../../scripts/lib/shell.ts';

const rows = await predictSignals(sh);
const at = (scenario: string, signal: SignalRow['signal']): SignalRow => rows.find((r) => r.scenario === scenario && r.signal === signal)!;

const signals = suite('the candidate signals, predicted');

signals("docs/signals.md's table is the simulator's, word for word", async () => {
  assert.is(marked(SIGNALS_MARKER).read(await readFile(repoPath('docs/signals.md'), 'utf8')), signalsTable(rows));
});

signals('what docs/signals.md says of them holds', () => {
  const [cc, cu] = [at('compute step', 'concurrency'), at('compute step', 'utilization')];
  assert.ok(cc.reversals > 0 && cu.reversals === 0, 'on the CPU-bound step the linear signal ends the flapping');
  assert.ok(cu.sloAttainment > cc.sloAttainment && cu.replicaSecondsRatio < cc.replicaSecondsRatio, 'more of the objective at less cost');
  const [sc, su] = [at('sleep step', 'concurrency'), at('sleep step', 'utilization')];
  assert.ok(sc.sloAttainment > su.sloAttainment && sc.peak > su.peak, "on the accelerator-bound step concurrency's over-correction buys its SLO attainment");
  const [lc, lu] = [at('real model step', 'concurrency'), at('real model step', 'utilization')];
  assert.ok(lu.peak === lu.oraclePeak && lu.replicaSecondsRatio < lc.replicaSecondsRatio, "on the real model the linear signal reaches the oracle's peak and no more, at less cost");
  for (const scenario of ['sleep step', 'compute step']) {
    const both = at(scenario, 'both');
    assert.ok(both.sloAttainment >= Math.max(at(scenario, 'concurrency').sloAttainment, at(scenario, 'utilization').sloAttainment) - 1e-9 && both.reversals === 0, `${scenario}: both keeps the better reaction, steadily`);
  }
  for (const scenario of ['sleep step', 'compute step', 'real model step']) {
    const fast = at(scenario, 'utilization-10s');
    const others = (['concurrency', 'utilization', 'both'] as const).map((s) => at(scenario, s));
    assert.ok(others.every((o) => fast.replicaSecondsRatio < o.replicaSecondsRatio), `${scenario}: over 10 s the linear signal is the cheapest`);
    assert.ok(fast.reversals === 0 && fast.sloAttainment >= at(scenario, 'concurrency').sloAttainment - 0.001, `${scenario}: never reverses, and holds concurrency's SLO attainment or more (within a tenth of a point)`);
  }
  assert.is(at('sleep step', 'utilization-10s').peak, at('sleep step', 'utilization-10s').oraclePeak, "on the accelerator-bound step at the oracle's peak");
});

signals.run();
