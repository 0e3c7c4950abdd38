// npm run bench:simulate: how long a prediction takes (scripts/simulate.ts without its
// rendering): one phase, and the bounds' every phase, per profile. Prints figures; asserts nothing.
import { renderOverlay } from '../scripts/lib/manifests/render.ts';
import { hpaSettings, planRun } from '../scripts/lib/plan/bounds.ts';
import { profileFromFlags } from '../scripts/lib/loadtest/options.ts';
import { predict } from '../scripts/lib/loadtest/predict.ts';
import { sh } from '../scripts/lib/shell.ts';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { objects } = await renderOverlay(sh, 'overlays/local');
const provider = { relistSeconds: async () => 5 };
const dir = await mkdtemp(join(tmpdir(), 'bench-simulate-'));
for (const name of ['step', 'ramp', 'spike', 'sawtooth']) {
  const profile = profileFromFlags({ profile: name });
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await predict({ objects, overlay: 'overlays/local', profile, provider, podStartSeconds: 1.7, reportDir: join(dir, `${name}-${i}`) });
    times.push(performance.now() - started);
  }
  const started = performance.now();
  planRun(objects, hpaSettings(objects), profile, { rateWindowSeconds: 20, relistSeconds: 5, podStartSeconds: 1.7 });
  const bounds = performance.now() - started;
  times.sort((a, b) => a - b);
  console.log(`${name.padEnd(9)} prediction with report: median ${times[2]!.toFixed(0)} ms (min ${times[0]!.toFixed(0)}, max ${times[4]!.toFixed(0)}); the plan (bounds and prediction, one sweep): ${bounds.toFixed(0)} ms`);
}
