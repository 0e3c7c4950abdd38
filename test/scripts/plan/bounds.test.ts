import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { RunReport } from '../../../scripts/lib/loadtest/report.ts';
import { profileFromFlags } from '../../../scripts/lib/loadtest/options.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { REPO_ROOT, repoPath } from '../../../scripts/lib/paths.ts';
import { scenarioParams, writeRunOverlay } from '../../../scripts/lib/compare/policies.ts';
import type { KObject } from '../../../scripts/lib/manifests/objects.ts';
import { hpaSettings, increaseBound, minReplicasCapacity, OBSERVATION_LATENCY_SECONDS, podThroughput, pipelineSettings, planHorizon, planRun, returnBound, simulateAllPhases, sizedProfile, sweepPhases } from '../../../scripts/lib/plan/bounds.ts';
import { DEFAULT_PARAMS, profileFor, recordedProfile, withTail, type Profile, type ProfileName } from '../../../scripts/lib/plan/profiles.ts';
import type { SimRun } from '../../../scripts/lib/simulate/run.ts';
import { sh } from '../../../scripts/lib/shell.ts';

// Assertion 5's bound, back at minReplicas by, comes from the controller's rules and the
// pipeline's worst cases, not from the simulator's metric: it must hold for every run the
// simulator can produce, at every phase of sync and scrape, and for every real run recorded.

const lastReturn = (r: Pick<SimRun, 'changes'>, minReplicas: number): number =>
  [...r.changes].reverse().find((c) => c.to === minReplicas && c.from > c.to)?.t ?? 0;

const firstIncrease = (r: Pick<SimRun, 'changes'>): number | undefined => r.changes.find((c) => c.to > c.from)?.t;

const bounds = suite('the first increase and back at minReplicas, from the rules');

/** Runs every built-in profile at every phase the simulator makes on the overlay and holds each to both bounds; returns how many runs. */
function holdAtEveryPhase(label: string, objects: KObject[], podStartSeconds: number, profiles: ProfileName[] = ['step', 'ramp', 'spike', 'sawtooth'], params = DEFAULT_PARAMS): number {
  let phases = 0;
  const hpa = hpaSettings(objects);
  const measured = { rateWindowSeconds: 20, relistSeconds: 5, podStartSeconds };
  const pipe = pipelineSettings(objects, measured);
  for (const name of profiles) {
    const { profile: asked } = sizedProfile(objects, profileFor(name, params), measured, true);
    const horizon = planHorizon(hpa, pipe, asked.endAt);
    const held: Profile = withTail(asked, horizon);
    const bound = returnBound(hpa, pipe, held, asked.endAt);
    const increase = increaseBound(hpa, pipe, held);
    assert.ok(Number.isFinite(bound.by) && Number.isFinite(increase.latest), `${label} ${name}: the load rises past minReplicas and gets quiet`);
    // The scale-down window half a second longer too: a sync's own timing may keep a recommendation that long.
    const late = { ...hpa, scaleDown: { ...hpa.scaleDown, stabilizationWindowSeconds: hpa.scaleDown.stabilizationWindowSeconds + 0.5 } };
    for (const r of [...sweepPhases(hpa, pipe, held, horizon + 120), ...simulateAllPhases(late, pipe, held, horizon + 120)]) {
      phases++;
      const back = lastReturn(r, hpa.minReplicas);
      assert.ok(back <= bound.by - OBSERVATION_LATENCY_SECONDS, `${label} ${name} at ${JSON.stringify(r.phases)}: back at ${back} s, bound ${bound.by} s`);
      const up = firstIncrease(r);
      assert.ok(up !== undefined && up >= increase.earliest && up <= increase.latest - OBSERVATION_LATENCY_SECONDS, `${label} ${name} at ${JSON.stringify(r.phases)}: first increase at ${up} s, bounds ${increase.earliest}–${increase.latest} s`);
    }
  }
  return phases;
}

bounds('hold at every phase the simulator runs, for every built-in profile on every overlay the e2e and the comparison run', async () => {
  let phases = 0;
  for (const overlay of ['overlays/local', 'overlays/local-llm', 'overlays/compare']) {
    phases += holdAtEveryPhase(overlay, (await renderOverlay(sh, repoPath(overlay))).objects, overlay.endsWith('llm') ? 8 : 2);
  }
  assert.ok(phases > 1000, `${phases} simulated runs`);
});

bounds('hold for a utilization target, read as that share of what a pod serves, not as requests in flight', async () => {
  const dir = await mkdtemp(join(REPO_ROOT, 'test/fixtures/.tmp-bounds-'));
  try {
    let phases = 0;
    for (const scenario of ['sleep', 'compute'] as const) {
      const { objects } = await renderOverlay(sh, await writeRunOverlay(dir, 'utilization', scenario));
      phases += holdAtEveryPhase(`utilization on ${scenario}`, objects, 2, ['step', 'spike'], scenarioParams(scenario));
      // The controller holds minReplicas until the load passes target x (1 + tolerance) of what they serve.
      const hpa = hpaSettings(objects);
      const pipe = pipelineSettings(objects, { rateWindowSeconds: 20, relistSeconds: 5, podStartSeconds: 2 });
      const whole = hpa.minReplicas * podThroughput(Number.POSITIVE_INFINITY, pipe);
      assert.ok(Math.abs(minReplicasCapacity(hpa, pipe) - whole * 0.75 * 1.1) < 1e-9, `${scenario}: ${minReplicasCapacity(hpa, pipe)} req/s against ${whole} req/s whole`);
    }
    assert.ok(phases > 100, `${phases} simulated runs`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

bounds('hold for every real run recorded in the fixtures', async () => {
  const dir = repoPath('test/fixtures/runs');
  const { objects } = await renderOverlay(sh, repoPath('overlays/local'));
  const hpa = hpaSettings(objects);
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.timeline.json'))) {
    const real = JSON.parse(await readFile(join(dir, file), 'utf8')) as RunReport;
    const profile = real.record.schedule ? recordedProfile(real.record.profile, real.record.schedule) : profileFromFlags({ profile: real.record.profile });
    const pipe = pipelineSettings(objects, { rateWindowSeconds: 20, relistSeconds: real.pipeline.relistSeconds, podStartSeconds: real.pipeline.podStartSeconds });
    const bound = returnBound(hpa, pipe, real.record.schedule ? profile : withTail(profile, real.record.endAt), real.record.endAt);
    const back = lastReturn(real.record, hpa.minReplicas);
    assert.ok(back > 0 && back <= bound.by, `${file}: back at ${back.toFixed(1)} s, bound ${bound.by.toFixed(1)} s`);
    const increase = increaseBound(hpa, pipe, profile);
    const up = firstIncrease(real.record);
    assert.ok(up !== undefined && up >= increase.earliest && up <= increase.latest, `${file}: first increase at ${up} s, bounds ${increase.earliest}–${increase.latest} s`);
  }
});

bounds('waits for the load to be quiet, the window and each scale-down policy step, and has no bound for a load that never gets quiet', async () => {
  const { objects } = await renderOverlay(sh, repoPath('overlays/compare'));
  const hpa = hpaSettings(objects);
  const pipe = pipelineSettings(objects, { rateWindowSeconds: 20, relistSeconds: 5, podStartSeconds: 2 });
  const step = profileFromFlags({ profile: 'step' });
  const bound = returnBound(hpa, pipe, step);
  assert.is(bound.lastHighSync, bound.quietFrom + pipe.longestRequestSeconds + pipe.rateWindowSeconds + pipe.scrapeSeconds);
  assert.is(bound.windowEnds, bound.lastHighSync + hpa.scaleDown.stabilizationWindowSeconds + 0.5);
  assert.ok(bound.steps.length >= 2, `halving from ${hpa.maxReplicas} takes steps: ${JSON.stringify(bound.steps)}`);
  assert.is(bound.steps.at(-1)?.to, hpa.minReplicas);
  const neverQuiet = recordedProfile('stages', { startRate: step.baseRate, stages: [{ target: step.peakRate, seconds: 5 }, { target: step.peakRate, seconds: 120 }] });
  assert.is(returnBound(hpa, pipe, neverQuiet).by, Number.POSITIVE_INFINITY);
  // Planned, such a load is observed to its end (held at its last rate), not forever.
  const plan = planRun(objects, hpa, neverQuiet, { rateWindowSeconds: 20, relistSeconds: 5, podStartSeconds: 2 });
  assert.is(plan.bounds.observeUntil, neverQuiet.endAt);
  assert.is(plan.profile.endAt, neverQuiet.endAt);
});

bounds.run();
