import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { clusterPaths } from '../../../scripts/lib/cluster/embedded/paths.ts';
import { LocalProvider } from '../../../scripts/lib/cluster/local.ts';
import { checkRun, predictionAssertion, rulesAssertion } from '../../../scripts/lib/loadtest/assertions.ts';
import type { RunReport } from '../../../scripts/lib/loadtest/report.ts';
import { reconstructDecisions } from '../../../scripts/lib/plan/explain.ts';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hpaSettings, minReplicasCapacity, planRun, predictAtSyncPhase, predictionMiss, runEvents, simulateAllPhases, simulateAt, sizedProfile, type HpaSettings } from '../../../scripts/lib/plan/bounds.ts';
import { computeFigures, figureLines } from '../../../scripts/lib/plan/figures.ts';
import { profileFromFlags } from '../../../scripts/lib/loadtest/options.ts';
import { MAX_FAILED_SHARE, recordedProfile, type Profile } from '../../../scripts/lib/plan/profiles.ts';
import type { ReplicaChange, RunRecord } from '../../../scripts/lib/plan/timeline.ts';
import { durationSeconds, type KObject, type ServiceMonitor } from '../../../scripts/lib/manifests/objects.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { loadAdapterRules, rateWindowSeconds } from '../../../scripts/lib/monitoring/adapter-rules.ts';
import { ADAPTER_RULES_FILE, repoPath } from '../../../scripts/lib/paths.ts';
import { sh } from '../../../scripts/lib/shell.ts';
import { simulatedRecord } from '../../../scripts/lib/plan/record.ts';
import { readRecorded, recordedObjects, recordedReadsGauges } from '../../../scripts/lib/docs/recorded-runs.ts';
import type { SimRun } from '../../../scripts/lib/simulate/run.ts';

// Timelines, good and broken, checked against the bounds the controller's rules give for
// the real rendered overlays/local, the embedded cluster's relist and a profile's schedule:
// a run the rules could produce passes; each broken one fails its own assertion. The
// overlay is as the recorded runs had it (their request and metric), whose shapes these are.

const rendered = (await renderOverlay(sh, repoPath('overlays/local'))).objects;
// The HPA as the recorded step run had it (its windows and tolerances), on our concurrency series.
const objects = recordedObjects(rendered, await readRecorded('step'));
const rules = await loadAdapterRules(repoPath(ADAPTER_RULES_FILE));
const [rule] = rules;
const hpa: HpaSettings = hpaSettings(objects);
const relistSeconds = await new LocalProvider({ $: sh, paths: clusterPaths(), log: () => {} }).relistSeconds();
const measured = { rateWindowSeconds: rateWindowSeconds(rule!), relistSeconds, podStartSeconds: 2 };

function planFor(base: Profile, over: KObject[] = objects) {
  const h = hpaSettings(over);
  return { hpa: h, ...planRun(over, h, base, measured) };
}

const step = planFor(profileFromFlags({}));
const { pipe, bounds, profile, prediction } = step;

/** A simulated run as the recorder would have recorded it. */
const recorded = (sim: SimRun, plan: typeof step): RunRecord =>
  simulatedRecord(sim, { profile: plan.profile.name, stepAt: plan.stepAt, dropAt: plan.dropAt, endAt: plan.profile.endAt, pipe: plan.pipe });

const stepRuns = simulateAllPhases(step.hpa, pipe, profile, profile.endAt);
const goodRun = (): RunRecord => recorded(stepRuns[0]!, step);

/** The replicas a record shows once a sync at t has acted. */
const replicasAfter = (record: RunRecord, t: number): number => {
  const done = record.changes.filter((c) => c.t <= t + 0.5);
  return done.at(-1)?.to ?? record.changes[0]?.from ?? record.samples[0]?.replicas ?? Number.NaN;
};

/** The rules replayed on a simulated run (its own decisions), beside what the record, edited or not, shows after each sync. */
const judge = (sim: SimRun, record: RunRecord, plan: Pick<typeof step, 'hpa' | 'bounds' | 'pipe' | 'prediction'> = step) =>
  checkRun(record, plan.hpa, plan.bounds, plan.pipe, plan.prediction, { decisions: sim.decisions.map((d) => ({ ...d, observed: replicasAfter(record, d.at) })), gatePrediction: true });

function withChanges(record: RunRecord, changes: ReplicaChange[]): RunRecord {
  const samples = record.samples.map((s) => {
    let replicas = changes[0]?.from ?? s.replicas;
    for (const c of changes) if (c.t <= s.t) replicas = c.to;
    return { ...s, replicas, desired: replicas, ready: replicas };
  });
  return { ...record, changes, samples };
}

const failing = (record: RunRecord) => judge(stepRuns[0]!, record).filter((r) => !r.ok);
const names = (record: RunRecord) => failing(record).map((r) => r.name);

const assertions = suite('the e2e assertions on recorded timelines');

assertions('read their settings from the overlay, the adapter rule and the embedded cluster', () => {
  const sm = objects.find((o) => o.kind === 'ServiceMonitor') as ServiceMonitor;
  assert.is(pipe.scrapeSeconds, durationSeconds(sm.spec.endpoints?.[0]?.interval ?? ''));
  assert.is(pipe.rateWindowSeconds, rateWindowSeconds(rule!));
  assert.is(pipe.relistSeconds, relistSeconds);
  assert.ok(bounds.firstIncreaseEarliest >= step.stepAt && bounds.firstIncreaseLatest > bounds.firstIncreaseEarliest);
  assert.ok(bounds.observeUntil >= bounds.backAtMinBy + bounds.stableSeconds, 'the run is observed past its latest bound');
});

assertions('pass every run the rules produce, at every phase of sync and scrape', () => {
  for (const sim of stepRuns) {
    const results = judge(sim, recorded(sim, step));
    assert.equal(results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.observed}`), []);
  }
  const results = judge(stepRuns[0]!, goodRun());
  assert.equal(results.map((r) => Number(r.name.split('.')[0])), results.map((_, i) => i + 1), 'numbered 1, 2, 3, ...');
});

assertions('fail when replicas do not start at minReplicas', () => {
  const run = goodRun();
  const bad = withChanges(run, [{ t: 0, from: hpa.minReplicas + 1, to: hpa.minReplicas + 1 }, ...run.changes.map((c, i) => (i === 0 ? { ...c, from: hpa.minReplicas + 1 } : c))]);
  assert.ok(names(bad).includes('1. replicas start at minReplicas'));
});

assertions('fail when the first increase comes before the rules allow, or after', () => {
  const run = goodRun();
  const [up, ...rest] = run.changes;
  const early = failing(withChanges(run, [{ ...up!, t: bounds.firstIncreaseEarliest - 1 }, ...rest]));
  assert.ok(early.some((r) => r.name.startsWith('2.') && r.observed.includes('too early')), JSON.stringify(early));
  const late = failing(withChanges(run, [{ ...up!, t: bounds.firstIncreaseLatest + 1 }, ...rest]));
  assert.ok(late.some((r) => r.name.startsWith('2.') && r.observed.includes('too late')));
  assert.match(late.find((r) => r.name.startsWith('2.'))?.context ?? '', /replicas desired ready/);
});

assertions('pass a run that never scales under a load that never passes what minReplicas hold, and fail one that never scales when it must', () => {
  const quiet = planFor(profileFromFlags({ 'peak-rate': String(minReplicasCapacity(hpa, pipe) * 0.8) }));
  assert.is(quiet.bounds.firstIncreaseLatest, Number.POSITIVE_INFINITY, 'no increase is ever sure');
  const sim = simulateAllPhases(quiet.hpa, quiet.pipe, quiet.profile, quiet.profile.endAt)[0]!;
  const run = recorded(sim, quiet);
  assert.equal(run.changes.filter((c) => c.to > c.from), [], 'the rules add no pod');
  const second = judge(sim, run, quiet).find((r) => r.name.startsWith('2.'))!;
  assert.ok(second.ok, `${second.observed} against ${second.bound}`);
  const never = failing(withChanges(goodRun(), []));
  assert.ok(never.some((r) => r.name.startsWith('2.') && r.observed === 'never'), 'the step must scale');
});

assertions('fail when the peak falls short of the replicas the load needs', () => {
  const run = goodRun();
  const short = bounds.peakLow - 2;
  const changes = [{ t: run.changes[0]!.t, from: hpa.minReplicas, to: short }, { t: bounds.firstDecreaseEarliest + 5, from: short, to: hpa.minReplicas }];
  assert.ok(names(withChanges(run, changes)).includes('3. the peak reaches the replicas the offered load needs'));
});

assertions('fail when the run strays from the prediction, even inside the bounds', () => {
  // The spike's phases spread its peak wider than the prediction's one replica either side.
  const spike = planFor(profileFromFlags({ profile: 'spike' }));
  const sim = simulateAllPhases(spike.hpa, spike.pipe, spike.profile, spike.profile.endAt)[0]!;
  const run = recorded(sim, spike);
  const inside = Array.from({ length: spike.bounds.peakHigh - spike.bounds.peakLow + 3 }, (_, i) => spike.bounds.peakLow - 1 + i);
  const low = inside.find((n) => Math.abs(n - spike.prediction.peak) > 1 && n > spike.hpa.minReplicas);
  assert.ok(low !== undefined, `a peak inside assertion 3 (${inside.join(', ')}) but off the prediction's ${spike.prediction.peak}`);
  const changes = [{ t: run.changes[0]!.t, from: spike.hpa.minReplicas, to: low }, { t: run.changes.at(-1)!.t, from: low, to: spike.hpa.minReplicas }];
  const failed = judge(sim, withChanges(run, changes), spike).filter((r) => !r.ok).map((r) => r.name);
  assert.ok(failed.includes('8. the run follows the prediction'), failed.join('; '));
  assert.not.ok(failed.includes('3. the peak reaches the replicas the offered load needs'), failed.join('; '));
});

assertions('fail on a decrease the scale-down window forbade, naming the sync', () => {
  const run = goodRun();
  const up = run.changes[0]!;
  const sync = stepRuns[0]!.decisions.find((d) => d.at > up.t + 30 && d.at < bounds.firstDecreaseEarliest)!;
  const bad = failing(withChanges(run, [up, { t: sync.at, from: up.to, to: up.to - 1 }, ...run.changes.slice(1).map((c, i) => (i === 0 ? { ...c, from: up.to - 1 } : c))]));
  const four = bad.find((r) => r.name === '4. the controller follows its rules at every sync');
  assert.ok(four?.observed.includes(`at the sync of ${sync.at.toFixed(1)} s`) && four.observed.includes(`the cluster set ${up.to - 1}`), JSON.stringify(bad));
  assert.is(four?.judges, 'rules');
});

assertions('judge a real run by what its HPA read: every sync agrees, and a scale-down made by hand against the window fails, naming its sync', async () => {
  const real = JSON.parse(await readFile(repoPath('test/fixtures/runs/step-statuses.timeline.json'), 'utf8')) as RunReport;
  const judgeReal = (record: RunRecord) => rulesAssertion(record, reconstructDecisions(record, real.hpa, real.pipeline));
  const honest = judgeReal(real.record);
  assert.ok(honest.ok, honest.observed);
  assert.match(honest.observed, /^(\d+) of \1 syncs$/);
  // At the hold's sync of ~104 s the HPA read 3.6 per pod on 5 (under the target of 4): the
  // rules keep 5 (the window holds the recommendations of 5); a cluster that went to 3 broke them.
  const statuses = real.record.hpaStatus!;
  const hold = statuses.find((st) => st.t > 100 && st.t < 110)!;
  const [up1, up2, down] = real.record.changes;
  const edited = withChanges({ ...real.record, hpaStatus: statuses.map((st) => (st === hold ? { ...st, desired: 3 } : st)) }, [up1!, up2!, { t: hold.t, from: 5, to: 3 }, { ...down!, from: 3 }]);
  const broken = judgeReal(edited);
  assert.not.ok(broken.ok);
  assert.ok(broken.observed.includes(`at the sync of ${hold.t.toFixed(1)} s`) && broken.observed.includes('the rules give 5, the cluster set 3'), broken.observed);
  assert.match(broken.context ?? '', /replicas desired ready/);
});

assertions("hold a run to the prediction only where its error is measured: a user's stages get it as a figure unless asked", () => {
  const plan = planFor(profileFromFlags({ stages: '10:20,70:10,70:40,10:1,10:30' }));
  const sim = simulateAllPhases(plan.hpa, plan.pipe, plan.profile, plan.profile.endAt)[0]!;
  const record = recorded(sim, plan);
  const decisions = sim.decisions.map((d) => ({ ...d, observed: d.replicas }));
  const names = (gatePrediction?: boolean) => checkRun(record, plan.hpa, plan.bounds, plan.pipe, plan.prediction, { decisions, gatePrediction }).map((r) => `${r.name.split('.')[0]} ${r.judges}`);
  assert.equal(names(), ['1 outcome', '2 outcome', '3 outcome', '4 rules', '5 outcome', '6 outcome', '7 outcome']);
  assert.equal(names(true).at(-1), '8 prediction');
  const stepNames = checkRun(goodRun(), hpa, bounds, pipe, prediction, { decisions: stepRuns[0]!.decisions.map((d) => ({ ...d, observed: d.replicas })) }).map((r) => r.judges);
  assert.is(stepNames.at(-1), 'prediction', 'the step is measured');
});

/** A reconstructed run's seconds: the replicas its changes set from 2, each new pod Ready 3 s after it was asked for. */
function shapeSamples(changes: ReplicaChange[], seconds: number): RunRecord['samples'] {
  return Array.from({ length: seconds }, (_, t) => {
    const last = [...changes].reverse().find((c) => c.t <= t);
    const replicas = last?.to ?? 2;
    const ready = last && last.to > last.from && t - last.t < 3 ? last.from : replicas;
    return { t, replicas, desired: replicas, ready, metric: Number.NaN, offered: 0, achieved: 0, errors: 0, shed: 0, p50: 0, p95: 0, p99: 0 };
  });
}

/**
 * A run in the shape of a false failure reported against the old bound (issue text: a user's
 * own schedule on overlays/local): at 58.0 s the HPA read 7.20 per pod on 5 (ratio 1.80) and
 * went to maxReplicas 8; the load then held 2.8 per pod; at 103.1 s the sync of 58.0 s had
 * just left the 45 s scale-down window and the highest recommendation kept was 6: 8 -> 6.
 * Reconstructed from that description, statuses and all; `decreaseAt` moves the decrease.
 */
function runAShape(decreaseAt = 103.1): RunRecord {
  const syncs = [13.0, 28.0, 43.0, 58.0, 73.0, 88.0, 103.1, 118.1, 133.1];
  const read: Record<number, [number, number]> = { 13: [2, 1.0], 28: [2, 1.0], 43: [5, 10.0], 58: [8, 7.2], 73: [8, 2.8], 88: [8, 2.8], 103.1: [6, 2.8], 118.1: [6, 3.73], 133.1: [6, 3.73] };
  const changes = [{ t: 43.0, from: 2, to: 5 }, { t: 58.0, from: 5, to: 8 }, { t: decreaseAt, from: 8, to: 6 }];
  const hpaStatus = syncs.map((t) => {
    const [desired, metric] = read[t] ?? [6, 3.73];
    return { t: t + 0.05, desired: t >= decreaseAt && t < 103.1 ? 6 : desired, metrics: [metric] };
  });
  const samples = shapeSamples(changes, 150);
  return { profile: 'stages', stepAt: 30, dropAt: 150, endAt: 150, samples, changes, requests: { total: 1, failed: 0, shed: 0, notSent: 0, underSlo: 1 }, podStarts: [3], hpaStatus };
}

assertions('judge the false failure the old bound reported as what it was, a correct controller, and a decrease one sync early as a broken rule', () => {
  const judge = (record: RunRecord) => rulesAssertion(record, reconstructDecisions(record, hpa, pipe));
  const asReported = judge(runAShape());
  assert.ok(asReported.ok, asReported.observed);
  assert.match(asReported.observed, /^(\d+) of \1 syncs$/, asReported.observed);
  const early = judge(runAShape(88.0));
  assert.not.ok(early.ok, early.observed);
  assert.match(early.observed, /at the sync of 88\.[01] s \(read inference_concurrency 2\.80 on 8 replicas\) the rules give 8, the cluster set 6/, early.observed);
});

/**
 * The second false failure (issue text: Run B, a user's own schedule on overlays/local): the
 * first decrease came at 151.1 s, 0.9 s before the old bound's "no decrease before 152.0 s".
 * Reconstructed: 2 pods read 8.0 at 46.1 s (to 4), 4 read 5.2 at 61.1 s (to 6), 6 held 3.6
 * (inside the tolerance) to 106.1 s, then the load fell and 6 read 2.6 (4 at the target, who then read 3.9);
 * the sync of 151.1 s is the first whose 45 s window no longer keeps the 6 of 106.1 s.
 */
function runBShape(decreaseAt = 151.1): RunRecord {
  const syncs = Array.from({ length: 12 }, (_, i) => Math.round((16.1 + 15 * i) * 10) / 10);
  // [the desired count the rules give, what the HPA read per pod]: after the fall, 15.6 in flight (2.6 on 6, 3.9 on 4).
  const read = (t: number): [number, number] => (t < 46 ? [2, 1.0] : t < 61 ? [4, 8.0] : t < 76 ? [6, 5.2] : t <= 106.1 ? [6, 3.6] : t <= decreaseAt ? [4, 2.6] : [4, 3.9]);
  const changes = [{ t: 46.1, from: 2, to: 4 }, { t: 61.1, from: 4, to: 6 }, { t: decreaseAt, from: 6, to: 4 }];
  // The status's desired count is the controller's after its windows: 6 until the decrease.
  const hpaStatus = syncs.map((t) => ({ t: t + 0.05, desired: t > 106.1 && t < decreaseAt ? 6 : read(t)[0], metrics: [read(t)[1]] }));
  const samples = shapeSamples(changes, 200);
  return { profile: 'stages', stepAt: 30, dropAt: 110, endAt: 200, samples, changes, requests: { total: 1, failed: 0, shed: 0, notSent: 0, underSlo: 1 }, podStarts: [3], hpaStatus };
}

assertions('judge the second false failure (a decrease 0.9 s before the old bound) a correct controller, and the same decrease a sync early a broken rule', () => {
  const judge = (record: RunRecord) => rulesAssertion(record, reconstructDecisions(record, hpa, pipe));
  const asReported = judge(runBShape());
  assert.ok(asReported.ok, asReported.observed);
  assert.match(asReported.observed, /^(\d+) of \1 syncs$/, asReported.observed);
  const early = judge(runBShape(136.1));
  assert.not.ok(early.ok, early.observed);
  assert.match(early.observed, /at the sync of 136\.[0-2] s \(read inference_concurrency 2\.60 on 6 replicas\) the rules give 6, the cluster set 4/, early.observed);
});

assertions('ask a load that never gets quiet for minReplicas for no return, and still judge one that is', () => {
  const run = goodRun();
  const stayed = withChanges(run, run.changes.filter((c) => c.to > c.from));
  const fifth = (bounds: typeof step.bounds) => judge(stepRuns[0]!, stayed, { ...step, bounds }).find((r) => r.name.startsWith('5.'))!;
  const notAsked = fifth({ ...step.bounds, backAtMinBy: Number.POSITIVE_INFINITY });
  assert.ok(notAsked.ok, notAsked.observed);
  assert.match(notAsked.bound, /^none: the load never gets quiet enough for 2 replicas/);
  assert.not.ok(fifth(step.bounds).ok, 'the step gets quiet: staying up is too late');
});

assertions('pass every real run recorded in the fixtures, with the bounds and the replay of today', async () => {
  const dir = repoPath('test/fixtures/runs');
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.timeline.json'))) {
    const real = JSON.parse(await readFile(join(dir, file), 'utf8')) as RunReport;
    const starts = [...real.record.podStarts].sort((x, y) => x - y);
    // The overlay as the run had it, and its rule's kind.
    const ran = recordedObjects(rendered, real);
    const h = hpaSettings(ran);
    const m = { ...measured, averagesGauges: recordedReadsGauges(real, rules), relistSeconds: real.pipeline.relistSeconds, podStartSeconds: starts[Math.floor(starts.length / 2)] ?? real.pipeline.podStartSeconds };
    const base = real.record.schedule ? recordedProfile(real.record.profile, real.record.schedule) : profileFromFlags({ profile: real.record.profile });
    // A run of --stages recorded its schedule as it sent it, its tail included.
    const plan = planRun(ran, h, base, m, { fixedSchedule: real.record.schedule !== undefined });
    const results = checkRun(real.record, h, plan.bounds, plan.pipe, plan.prediction, { decisions: reconstructDecisions(real.record, h, plan.pipe) });
    assert.equal(results.filter((r) => !r.ok).map((r) => `${file}: ${r.name}: ${r.observed} (bound: ${r.bound})`), []);
  }
});

assertions('fail when replicas are not back at minReplicas in time, or change again after', () => {
  const run = goodRun();
  const [up] = run.changes;
  const late = withChanges(run, [up!, { t: bounds.backAtMinBy + 1, from: up!.to, to: hpa.minReplicas }]);
  assert.ok(names(late).includes('5. back at minReplicas in time, then stable'));
  const down = run.changes.at(-1)!;
  const again = failing(withChanges(run, [...run.changes, { t: down.t + 5, from: hpa.minReplicas, to: hpa.minReplicas + 1 }]));
  assert.ok(again.some((r) => r.name.startsWith('5.') && r.observed.includes('changed again')));
});

assertions('fail when requests fail or are shed while pods are removed, even under the overall budget', () => {
  const run = goodRun();
  const down = run.changes.find((c) => c.to < c.from)!;
  const samples = run.samples.map((s) => (s.t === Math.ceil(down.t) + 1 ? { ...s, errors: 3 } : s));
  const bad = failing({ ...run, samples, requests: { ...run.requests, failed: 3 } });
  assert.equal(bad.map((r) => r.name), ['6. requests do not fail, none while pods are removed, none not sent']);
  assert.match(bad[0]?.observed ?? '', '3 failed or shed while pods were removed');
});

assertions('fail when more requests fail than the share allows, or arrivals are not sent', () => {
  const run = goodRun();
  const allowed = Math.floor(run.requests.total * MAX_FAILED_SHARE);
  assert.is(failing({ ...run, requests: { ...run.requests, failed: allowed } }).length, 0, `${allowed} of ${run.requests.total} may fail`);
  assert.is(failing({ ...run, requests: { ...run.requests, failed: allowed + 1 } }).length, 1);
  assert.is(failing({ ...run, requests: { ...run.requests, notSent: 1 } }).length, 1);
});

const spike = planFor(profileFromFlags({ profile: 'spike' }));
const spikeRuns = simulateAllPhases(spike.hpa, spike.pipe, spike.profile, spike.profile.endAt);

assertions('count shedding apart from failure: a spike past the pods sheds, and passes', () => {
  const run = recorded(spikeRuns.reduce((a, b) => (b.shedTotal > a.shedTotal ? b : a)), spike);
  assert.ok(run.requests.shed > 0, 'the spike is past what minReplicas can hold');
  const sim = spikeRuns.reduce((a, b) => (b.shedTotal > a.shedTotal ? b : a));
  assert.equal(judge(sim, run, spike).filter((r) => !r.ok).map((r) => `${r.name}: ${r.observed}`), []);
});

assertions('fail on shedding once the Ready pods can serve the load, or more than the capacity gap', () => {
  const run = recorded(spikeRuns[0]!, spike);
  const calm = run.samples.findLast((s) => s.offered > 0 && s.offered < (s.ready * spike.pipe.slots) / spike.pipe.serviceSeconds / 2)!;
  const samples = run.samples.map((s) => (s.t === calm.t ? { ...s, shed: 5 } : s));
  const out = judge(spikeRuns[0]!, { ...run, samples, requests: { ...run.requests, shed: run.requests.shed + 5 } }, spike).filter((r) => !r.ok);
  assert.ok(out.some((r) => r.name.startsWith('7.') && r.observed.includes(`first at ${calm.t.toFixed(1)} s`)), JSON.stringify(out));
  const tooMany = judge(spikeRuns[0]!, { ...run, requests: { ...run.requests, shed: spike.bounds.shedBound + 1 } }, spike).filter((r) => !r.ok);
  assert.ok(tooMany.some((r) => r.name.startsWith('7.')));
});

assertions("judge a calibrated server's shedding by what its CPU limit lets it complete, not by its slots", async () => {
  // overlays/local-llm: two slots, but one pod of 300m completes 1.4 req/s; its step sheds
  // while the one pod waits for help, which is shedding in its place.
  const { objects: llm } = await renderOverlay(sh, repoPath('overlays/local-llm'));
  const plan = planFor(sizedProfile(llm, profileFromFlags({}), measured, true).profile, llm);
  const runs = simulateAllPhases(plan.hpa, plan.pipe, plan.profile, plan.profile.endAt);
  assert.ok(runs.some((r) => r.shedTotal > 0), 'some phases shed');
  for (const sim of runs) {
    const misplaced = judge(sim, recorded(sim, plan), plan).filter((r) => !r.ok && r.name.startsWith('7.'));
    assert.equal(misplaced.map((r) => r.observed), []);
  }
});

assertions('pass every profile the rules run, at every phase', () => {
  for (const flags of [{ profile: 'ramp' }, { profile: 'sawtooth' }, { stages: '10:20,70:10,70:40,10:1,10:30' }]) {
    const plan = planFor(profileFromFlags(flags));
    for (const sim of simulateAllPhases(plan.hpa, plan.pipe, plan.profile, plan.profile.endAt)) {
      const failed = judge(sim, recorded(sim, plan), plan).filter((r) => !r.ok);
      assert.equal(failed.map((r) => `${plan.profile.name}: ${r.name}: ${r.observed}`), []);
    }
  }
});

assertions('allow the decrease a sawtooth makes when its pods are scraped seconds apart, as a real run did', () => {
  const plan = planFor(profileFromFlags({ profile: 'sawtooth' }));
  const atOnce = simulateAllPhases(plan.hpa, plan.pipe, plan.profile, plan.profile.endAt).map((r) => runEvents(r.changes, plan.hpa.minReplicas).firstDecrease);
  // Two pods scraped 2 s apart: the sync reads one pod's rate fresh and the other's from
  // before the tooth turned, stays under the scale-up threshold at 39 s, adds two pods at 54
  // s, and the next syncs' readings on four pods let one go at 99 s (a real run: 2 -> 4 at
  // 55.0 s, 4 -> 3 at 100.1 s). With every pod scraped at once no phase comes down before 175 s.
  const apart = simulateAt(plan.hpa, plan.pipe, plan.profile, plan.profile.endAt, { sync: 9, scrape: 0, stride: 2 });
  const seen = runEvents(apart.changes, plan.hpa.minReplicas);
  assert.equal([seen.firstIncrease, seen.peak, seen.firstDecrease], [54, 4, 99]);
  assert.ok(Math.min(...atOnce) > seen.firstDecrease, `every pod at once: earliest ${Math.min(...atOnce)} s`);
  assert.ok(plan.bounds.firstDecreaseEarliest <= seen.firstDecrease, `bound ${plan.bounds.firstDecreaseEarliest} s`);
  const four = judge(apart, recorded(apart, plan), plan).find((r) => r.name.startsWith('4.'));
  assert.ok(four?.ok, four?.observed);
  // Predicted at the run's own sync phase, the scrape spacing it does not record is the one nearest it.
  const { prediction } = predictAtSyncPhase(plan.hpa, plan, 9, seen);
  assert.equal([prediction.firstIncrease, prediction.peak, prediction.firstDecrease], [54, 4, 99]);
});

assertions('hold a run to the prediction at its own sync phase, which no scrape phase bends to a decision a sync early', () => {
  const plan = planFor(profileFromFlags({ profile: 'sawtooth' }));
  const run = simulateAt(plan.hpa, plan.pipe, plan.profile, plan.profile.endAt, { sync: 9, scrape: 0, stride: 2 });
  const seen = runEvents(run.changes, plan.hpa.minReplicas);
  const early = { ...seen, firstDecrease: seen.firstDecrease - 2 * plan.pipe.syncSeconds };
  const nearest = predictAtSyncPhase(plan.hpa, plan, 9, early).prediction;
  assert.ok(predictionMiss(early, nearest).seconds > plan.pipe.syncSeconds, JSON.stringify(nearest));
  const eight = predictionAssertion(recorded(run, plan), plan.hpa, plan.pipe, predictAtSyncPhase(plan.hpa, plan, 9, seen).prediction, 9);
  assert.ok(eight.ok, eight.observed);
  assert.match(eight.bound, /at the run's sync phase \(9\.0 s\)/);
});

assertions.run();

const windows = suite('the bounds for scale-up windows shorter and longer than the sync period');

/** overlays/local with another scale-up window. */
const withUpWindow = (seconds: number): KObject[] =>
  objects.map((o) => {
    if (o.kind !== 'HorizontalPodAutoscaler') return o;
    const spec = (o as unknown as { spec: { behavior?: object } }).spec;
    return { ...o, spec: { ...spec, behavior: { ...spec.behavior, scaleUp: { stabilizationWindowSeconds: seconds } } } } as KObject;
  });

windows('let the first increase come before step + window when the window is shorter than a sync', () => {
  const plan = planFor(profileFromFlags({ profile: 'spike' }), withUpWindow(10));
  assert.ok(plan.hpa.scaleUp.stabilizationWindowSeconds < plan.pipe.syncSeconds);
  assert.ok(plan.bounds.firstIncreaseEarliest < plan.stepAt + 10, `earliest ${plan.bounds.firstIncreaseEarliest} s, due ${plan.stepAt} s`);
});

windows('hold the first increase for a window longer than a sync, less the sync it may start after', () => {
  const plan = planFor(profileFromFlags({ profile: 'spike' }), withUpWindow(60));
  assert.ok(plan.bounds.firstIncreaseEarliest >= plan.stepAt + 60 - plan.pipe.syncSeconds, `earliest ${plan.bounds.firstIncreaseEarliest} s, due ${plan.stepAt} s`);
});

windows.run();

const figures = suite('the e2e figures');

figures('give the reaction against the best, expected and worst phase, and no reversals for one rise and fall', () => {
  const run = goodRun();
  const f = computeFigures(run, hpa, pipe, bounds);
  assert.is(f.reversals, 0);
  assert.ok(f.reaction.best <= f.reaction.expected && f.reaction.expected <= f.reaction.worst, JSON.stringify(f.reaction));
  assert.is(f.reactionSeconds, run.firstNewReadyAt! - run.stepAt);
  assert.ok(f.reactionSeconds >= f.reaction.best - 1e-9 && f.reactionSeconds <= f.reaction.worst + 1e-9);
  assert.is(f.sloAttainment, 1);
});

figures('count each extra change of direction as a reversal', () => {
  const run = goodRun();
  const up = run.changes[0]!;
  const flapped = withChanges(run, [up, { t: up.t + 20, from: up.to, to: up.to - 1 }, { t: up.t + 35, from: up.to - 1, to: up.to }, ...run.changes.slice(1)]);
  assert.is(computeFigures(flapped, hpa, pipe, bounds).reversals, 2);
});

figures('say in words when a run never added a pod or never came back to minReplicas, not NaN', () => {
  const run = goodRun();
  const stuck = { ...withChanges(run, run.changes.slice(0, 1)), firstNewReadyAt: undefined };
  const lines = figureLines(computeFigures(stuck, hpa, pipe, bounds), pipe, hpa.minReplicas);
  assert.match(lines[0] as string, /^reaction time: no new replica was Ready during the run \(best phase/);
  assert.is(lines[1], `settle time: not back at minReplicas (${hpa.minReplicas}) before the run ended`);
  assert.not.ok(lines.join('\n').includes('NaN'), lines.join('\n'));
  assert.match(figureLines(computeFigures(run, hpa, pipe, bounds), pipe, hpa.minReplicas)[1] as string, /^settle time: \d+\.\d s after the load dropped$/);
});

figures.run();
