import { mkdir, writeFile } from 'node:fs/promises';
import { profileFor } from './scripts/lib/loadtest/profiles.ts';
import { renderOverlay } from './scripts/lib/manifests/render.ts';
import { sh } from './scripts/lib/shell.ts';
import { predict } from './scripts/lib/simulate/predict.ts';
import { hpaSettings } from './scripts/lib/loadtest/bounds.ts';
import { scenarioParams, writeRunOverlay } from './scripts/lib/compare/policies.ts';
import { policyFigures } from './scripts/lib/compare/report.ts';
const ref = hpaSettings((await renderOverlay(sh, await writeRunOverlay('reports/v', 'concurrency', 'sleep'))).objects);
for (const scenario of ['sleep', 'compute'] as const) for (const policy of ['concurrency', 'latency-external', 'cpu'] as const) {
  const overlay = await writeRunOverlay('reports/v', policy, scenario);
  const { objects } = await renderOverlay(sh, overlay);
  const profile = profileFor('step', scenarioParams(scenario));
  const { report } = await predict({ objects, overlay, profile, provider: { relistSeconds: async () => 5 }, podStartSeconds: 1.7, reportDir: `reports/v/${scenario}-${policy}-p`, fixedSchedule: true });
  const f = policyFigures(report, ref);
  console.log(scenario, policy.padEnd(17), `react ${f.figures.reactionSeconds.toFixed(1)} peak ${f.peak} slo ${(f.figures.sloAttainment*100).toFixed(1)} shed ${f.shed}/${f.total} rs ${f.figures.replicaSeconds}/${f.figures.oracleReplicaSeconds}=${(f.figures.replicaSeconds/f.figures.oracleReplicaSeconds).toFixed(2)} rev ${f.figures.reversals}`);
}
