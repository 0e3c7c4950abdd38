import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadAdapterRules, rateWindowSeconds } from '../../../scripts/lib/monitoring/adapter-rules.ts';
import { checkRun } from '../../../scripts/lib/loadtest/assertions.ts';
import { LocalProvider } from '../../../scripts/lib/cluster/local.ts';
import { clusterPaths } from '../../../scripts/lib/cluster/embedded/paths.ts';
import { boundsForRun, hpaSettings, type HpaSettings } from '../../../scripts/lib/loadtest/bounds.ts';
import { DEFAULT_PARAMS, MAX_FAILED_SHARE, offeredAt, stepProfile } from '../../../scripts/lib/loadtest/profiles.ts';
import { durationSeconds, type ServiceMonitor } from '../../../scripts/lib/manifests/objects.ts';
import { computeFigures } from '../../../scripts/lib/loadtest/figures.ts';
import type { ReplicaChange, RunRecord, Sample } from '../../../scripts/lib/loadtest/timeline.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { ADAPTER_RULES_FILE, repoPath } from '../../../scripts/lib/paths.ts';
import { sh } from '../../../scripts/lib/shell.ts';

// Recorded timelines, good and broken, checked against bounds computed from the real
// rendered overlays/local: each broken one must fail its own assertion with its bound.

const { objects } = await renderOverlay(sh, repoPath('overlays/local'));
const [rule] = await loadAdapterRules(repoPath(ADAPTER_RULES_FILE));
const hpa: HpaSettings = hpaSettings(objects);
// The e2e's own step profile and the embedded cluster's relist; only the pod start is made up.
const profile = stepProfile(DEFAULT_PARAMS);
const relistSeconds = await new LocalProvider({ $: sh, paths: clusterPaths(), log: () => {} }).relistSeconds();
const { pipe, stepAt, bounds } = boundsForRun(objects, hpa, profile, { rateWindowSeconds: rateWindowSeconds(rule!), relistSeconds, podStartSeconds: 2 });
const load = { ...profile, stepAt };
const offered = (t: number) => offeredAt(profile, t);
/** Every request the profile offers, one a second per req/s. */
const totalRequests = Array.from({ length: profile.endAt }, (_, t) => Math.round(offered(t))).reduce((a, b) => a + b, 0);
const allowedFailures = Math.floor(totalRequests * MAX_FAILED_SHARE);

/** A run that meets every bound: up once within the budget, down once after the window. */
function goodRun(): RunRecord {
  const upAt = bounds.firstIncreaseEarliest + (bounds.firstIncreaseLatest - bounds.firstIncreaseEarliest) / 2;
  const downAt = bounds.firstDecreaseEarliest + 10;
  const changes: ReplicaChange[] = [
    { t: upAt, from: hpa.minReplicas, to: bounds.expectedPeak },
    { t: downAt, from: bounds.expectedPeak, to: hpa.minReplicas },
  ];
  const samples: Sample[] = [];
  for (let t = 0; t <= load.endAt + 60; t++) {
    const replicas = t < upAt ? hpa.minReplicas : t < downAt ? bounds.expectedPeak : hpa.minReplicas;
    const rate = offered(t);
    samples.push({ t, replicas, desired: replicas, ready: replicas, metric: 1, offered: rate, achieved: rate, errors: 0, p50: 0.2, p95: 0.23, p99: 0.24 });
  }
  return {
    profile: 'step',
    stepAt: load.stepAt,
    dropAt: load.dropAt,
    endAt: load.endAt,
    samples,
    changes,
    firstNewReadyAt: upAt + 2,
    requests: { total: totalRequests, failed: 0, dropped: 0, underSlo: totalRequests },
    podStarts: [2],
  };
}

function withChanges(record: RunRecord, changes: ReplicaChange[]): RunRecord {
  const samples = record.samples.map((s) => {
    let replicas = changes[0]?.from ?? s.replicas;
    for (const c of changes) if (c.t <= s.t) replicas = c.to;
    return { ...s, replicas, desired: replicas, ready: replicas };
  });
  return { ...record, changes, samples };
}

const failing = (record: RunRecord) => checkRun(record, hpa, bounds).filter((r) => !r.ok);

const assertions = suite('the e2e assertions on recorded timelines');

assertions('computes its bounds from the rendered HPA and the pipeline settings', () => {
  assert.is(bounds.firstIncreaseEarliest, load.stepAt + hpa.scaleUp.stabilizationWindowSeconds);
  assert.is(bounds.firstDecreaseEarliest, load.dropAt + hpa.scaleDown.stabilizationWindowSeconds - pipe.syncSeconds);
  assert.is(bounds.expectedPeak, Math.ceil((load.peakRate * pipe.serviceSeconds) / hpa.target));
  assert.ok(bounds.firstIncreaseLatest > bounds.firstIncreaseEarliest + pipe.rateWindowSeconds + pipe.syncSeconds);
  const sm = objects.find((o) => o.kind === 'ServiceMonitor') as ServiceMonitor;
  assert.is(pipe.scrapeSeconds, durationSeconds(sm.spec.endpoints?.[0]?.interval ?? ''), 'from the ServiceMonitor of overlays/local');
  assert.is(pipe.relistSeconds, relistSeconds, "from the embedded cluster's adapter");
});

assertions('pass on a run that rises once in time and settles once in time', () => {
  const results = checkRun(goodRun(), hpa, bounds);
  assert.equal(results.map((r) => Number(r.name.split('.')[0])), results.map((_, i) => i + 1), 'numbered 1, 2, 3, ...');
  assert.equal(results.filter((r) => !r.ok).map((r) => r.name), []);
});

assertions('fail when replicas do not start at minReplicas', () => {
  const run = goodRun();
  const bad = withChanges(run, [{ t: 0, from: hpa.minReplicas + 1, to: hpa.minReplicas + 1 }, ...run.changes.map((c, i) => (i === 0 ? { ...c, from: hpa.minReplicas + 1 } : c))]);
  assert.equal(failing(bad).map((r) => r.name), ['1. replicas start at minReplicas']);
});

assertions('fail when the first increase comes before the scale-up window', () => {
  const run = goodRun();
  const t = load.stepAt + hpa.scaleUp.stabilizationWindowSeconds - 1;
  const [bad] = failing(withChanges(run, [{ ...run.changes[0]!, t }, run.changes[1]!]));
  assert.is(bad?.name, '2. the first increase comes within the scale-up window and the reaction budget');
  assert.match(bad?.observed ?? '', 'too early');
  assert.match(bad?.bound ?? '', `between ${bounds.firstIncreaseEarliest.toFixed(1)} s and`);
  assert.match(bad?.context ?? '', /replicas desired ready/);
});

assertions('fail when the first increase comes after the reaction budget', () => {
  const run = goodRun();
  const t = bounds.firstIncreaseLatest + 1;
  const [bad] = failing(withChanges(run, [{ ...run.changes[0]!, t }, run.changes[1]!]));
  assert.is(bad?.name, '2. the first increase comes within the scale-up window and the reaction budget');
  assert.match(bad?.observed ?? '', 'too late');
});

assertions('fail when the peak falls short of what the load needs', () => {
  const run = goodRun();
  const short = bounds.expectedPeak - 2;
  const bad = failing(withChanges(run, [{ ...run.changes[0]!, to: short }, { ...run.changes[1]!, from: short }]));
  assert.equal(bad.map((r) => r.name), ['3. the peak reaches the replicas the offered load needs']);
});

assertions('fail on flapping while the load holds', () => {
  const run = goodRun();
  const up = run.changes[0]!;
  const flapAt = up.t + 20;
  const bad = failing(withChanges(run, [up, { t: flapAt, from: up.to, to: up.to - 1 }, { t: flapAt + 15, from: up.to - 1, to: up.to }, run.changes[1]!]));
  assert.ok(bad.some((r) => r.name === '4. no decrease while the load holds' && r.observed.includes(`at ${flapAt.toFixed(1)} s`)));
});

assertions('fail when the scale-down comes before its window', () => {
  const run = goodRun();
  const t = bounds.firstDecreaseEarliest - 5;
  const [bad] = failing(withChanges(run, [run.changes[0]!, { ...run.changes[1]!, t }]));
  assert.is(bad?.name, '5. the scale-down waits its window, reaches minReplicas in time and stays');
  assert.match(bad?.bound ?? '', `first decrease no earlier than ${bounds.firstDecreaseEarliest.toFixed(1)} s`);
});

assertions('fail when replicas never settle back at minReplicas', () => {
  const run = goodRun();
  const bad = failing(withChanges(run, [run.changes[0]!, { ...run.changes[1]!, to: hpa.minReplicas + 1 }]));
  assert.ok(bad.some((r) => r.name.startsWith('5.') && r.observed.includes('at minReplicas never')));
});

assertions('fail when replicas change again right after settling', () => {
  const run = goodRun();
  const down = run.changes[1]!;
  const bad = failing(withChanges(run, [run.changes[0]!, down, { t: down.t + 5, from: hpa.minReplicas, to: hpa.minReplicas + 1 }]));
  assert.ok(bad.some((r) => r.name.startsWith('5.') && r.observed.includes('changed again')));
});

assertions('fail when requests fail while pods are removed, even under the overall budget', () => {
  const run = goodRun();
  const down = run.changes[1]!;
  const samples = run.samples.map((s) => (s.t === Math.ceil(down.t) + 1 ? { ...s, errors: 3 } : s));
  const bad = failing({ ...run, samples, requests: { ...run.requests, failed: 3 } });
  assert.equal(bad.map((r) => r.name), ['6. requests do not fail, none while pods are removed, none dropped']);
  assert.match(bad[0]?.observed ?? '', '3 failed while pods were removed');
});

assertions('fail when more than 0.1 % of requests fail, or iterations are dropped', () => {
  const run = goodRun();
  assert.is(failing({ ...run, requests: { ...run.requests, failed: allowedFailures } }).length, 0, `${allowedFailures} of ${totalRequests} may fail`);
  assert.is(failing({ ...run, requests: { ...run.requests, failed: allowedFailures + 1 } }).length, 1);
  assert.is(failing({ ...run, requests: { ...run.requests, dropped: 1 } }).length, 1);
});

assertions.run();

const figures = suite('the e2e figures');

figures('count replica-seconds against the oracle and no reversals for one rise and fall', () => {
  const run = goodRun();
  const f = computeFigures(run, hpa, pipe, bounds);
  assert.is(f.reversals, 0);
  assert.ok(f.replicaSeconds >= f.oracleReplicaSeconds * 0.8 && f.replicaSeconds <= f.oracleReplicaSeconds * 1.5, `${f.replicaSeconds} vs ${f.oracleReplicaSeconds}`);
  assert.is(f.sloAttainment, 1);
  assert.is(f.reactionSeconds, run.firstNewReadyAt! - load.stepAt);
});

figures('count each extra change of direction as a reversal', () => {
  const run = goodRun();
  const up = run.changes[0]!;
  const flapped = withChanges(run, [up, { t: up.t + 20, from: up.to, to: up.to - 1 }, { t: up.t + 35, from: up.to - 1, to: up.to }, run.changes[1]!]);
  assert.is(computeFigures(flapped, hpa, pipe, bounds).reversals, 2);
});

figures.run();
