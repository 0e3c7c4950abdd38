import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PREDICTION_MEASURED, predictionGated, predictionToleranceSeconds, ruleReading, type RuleReading } from '../../../scripts/lib/loadtest/assertions.ts';
import type { ProfileName } from '../../../scripts/lib/plan/profiles.ts';
import { predictionMiss, runEvents, runSyncPhase } from '../../../scripts/lib/plan/bounds.ts';
import { profileFromFlags } from '../../../scripts/lib/loadtest/options.ts';
import { recordedProfile } from '../../../scripts/lib/plan/profiles.ts';
import type { RunReport } from '../../../scripts/lib/loadtest/report.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';
import { sh } from '../../../scripts/lib/shell.ts';
import { predict } from '../../../scripts/lib/loadtest/predict.ts';
import { recordedObjects, recordedReadsGauges } from '../../../scripts/lib/docs/recorded-runs.ts';
import { loadAdapterRules } from '../../../scripts/lib/monitoring/adapter-rules.ts';
import { ADAPTER_RULES_FILE } from '../../../scripts/lib/paths.ts';

// The simulator held to real runs: timeline.json of runs on the embedded cluster
// (test/fixtures/runs, from `npm run e2e -- --profiles step,ramp,spike,sawtooth`), predicted
// again from the same overlay, profile and measured pod start.

const dir = repoPath('test/fixtures/runs');
const rendered = (await renderOverlay(sh, repoPath('overlays/local'))).objects;
const rules = await loadAdapterRules(repoPath(ADAPTER_RULES_FILE));
const reality = suite('the simulator against real runs');

const events = (r: RunReport) => runEvents(r.record.changes, r.hpa.minReplicas);
/** The largest miss in seconds of any event, per kind of rule and profile, over the recorded runs of the built-in profiles. */
const worstMiss = new Map<string, number>();

for (const file of (await readdir(dir)).filter((f) => f.endsWith('.timeline.json')).sort()) {
  const real = JSON.parse(await readFile(join(dir, file), 'utf8')) as RunReport;
  // The built-in profiles gate on the prediction: their real runs are held to it. A user's
  // stages are judged by the rules and the outcome bounds (the assertions test); their
  // prediction error is printed, not held.
  const pipe = { averagesGauges: recordedReadsGauges(real, rules), syncSeconds: real.pipeline.syncSeconds };
  const gated = predictionGated(real.record.profile, pipe);
  const within = predictionToleranceSeconds(real.record.profile, pipe);
  reality(`predicts the real ${file.replace('.timeline.json', '')} run${gated ? ` within ${within} s and one replica` : ', and says by how much it missed'}`, async () => {
    const starts = [...real.record.podStarts].sort((a, b) => a - b);
    const schedule = real.record.schedule;
    const profile = schedule ? recordedProfile(real.record.profile, schedule) : profileFromFlags({ profile: real.record.profile });
    const { report } = await predict({
      // overlays/local as the run had it (its request and metric).
      objects: recordedObjects(rendered, real),
      overlay: 'overlays/local',
      profile,
      provider: { relistSeconds: async () => real.pipeline.relistSeconds },
      podStartSeconds: starts[Math.floor(starts.length / 2)] ?? real.pipeline.podStartSeconds,
      reportDir: join(tmpdir(), `reality-${file}`),
      fixedSchedule: Boolean(schedule),
      // At the run's own sync phase and the scrape phase nearest it, as the e2e predicts the run it judges.
      syncPhase: runSyncPhase(real.record, real.pipeline.syncSeconds),
      seen: events(real),
    });
    const seen = events(real);
    const said = events(report);
    const what = `observed ${JSON.stringify(seen)}, predicted ${JSON.stringify(said)}`;
    if (real.record.profile !== 'stages') {
      const key = `${ruleReading(pipe)} ${real.record.profile}`;
      worstMiss.set(key, Math.max(worstMiss.get(key) ?? 0, predictionMiss(seen, said).seconds));
    }
    if (!gated) {
      assert.ok(Number.isFinite(said.peak) && said.peak >= real.hpa.minReplicas, what);
      process.stdout.write(`\n  ${file}: not gated on the prediction; ${what}\n`);
      return;
    }
    const miss = predictionMiss(seen, said);
    assert.ok(miss.seconds <= within, `an event ${miss.seconds.toFixed(1)} s off: ${what}`);
    assert.ok(miss.replicas <= 1, `the peak ${miss.replicas} off: ${what}`);
  });
}

reality('gates runs only on the profiles whose error these real runs measure, on the kind of rule they ran, within the error they measure', () => {
  for (const [reading, profiles] of Object.entries(PREDICTION_MEASURED) as [RuleReading, Partial<Record<ProfileName, number>>][]) {
    for (const [profile, error] of Object.entries(profiles)) {
      const miss = worstMiss.get(`${reading} ${profile}`);
      assert.ok(miss !== undefined, `${profile} on a ${reading} rule gates on the prediction with no real run measuring its error`);
      assert.is(error, Math.ceil(miss), `${profile} on a ${reading} rule: the recorded runs' largest miss is ${miss.toFixed(1)} s`);
    }
  }
});

reality.run();
