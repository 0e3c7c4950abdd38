import type { V1Deployment, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checkSideBySide, parsePolicies, policiesIn, POLICIES, SIZED_SCENARIOS, SCENARIOS, scenarioParams, type Scenario, SIDE_BY_SIDE_POLICIES, writeRunOverlay, writeSideBySideOverlay } from '../../../scripts/lib/compare/policies.ts';
import { claimLines, readyForStep, sleepClaims } from '../../../scripts/lib/compare/claims.ts';
import { scheduleOf, type PolicyRun } from '../../../scripts/lib/compare/run.ts';
import type { RunReport } from '../../../scripts/lib/loadtest/report.ts';
import { nodePortOf, type KObject } from '../../../scripts/lib/manifests/objects.ts';
import { renderComparisonChart } from '../../../scripts/lib/compare/chart.ts';
import { policyFigures, row, TABLE_HEAD } from '../../../scripts/lib/compare/report.ts';
import { hpaOf as scalingHpaOf, hpaSettings, sizedProfile } from '../../../scripts/lib/plan/bounds.ts';
import { scaledObjectOf } from '../../../scripts/lib/manifests/keda.ts';
import { profileFor } from '../../../scripts/lib/plan/profiles.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { ADAPTER_RULES_FILE, REPO_ROOT, repoPath } from '../../../scripts/lib/paths.ts';
import { sh } from '../../../scripts/lib/shell.ts';
import { predict } from '../../../scripts/lib/loadtest/predict.ts';
import { validate } from '../../../scripts/lib/validate/run.ts';
import { runScript } from '../../helpers/cli.ts';

// The policy comparison without a cluster: every policy renders on the one app overlay and
// validates, the simulator predicts each, and the result reads as a table and a chart.

const dir = await mkdtemp(join(REPO_ROOT, 'test/fixtures/.tmp-compare-'));
const overlays = new Map<string, string>();
for (const s of SCENARIOS) for (const p of policiesIn(s)) overlays.set(`${s}-${p}`, await writeRunOverlay(dir, p, s));
const rendered = new Map<string, Awaited<ReturnType<typeof renderOverlay>>['objects']>();
for (const [k, o] of overlays) rendered.set(k, (await renderOverlay(sh, o)).objects);
const hpaOf = (k: string) => rendered.get(k)?.find((o) => o.kind === 'HorizontalPodAutoscaler') as unknown as V2HorizontalPodAutoscaler;
/** The HPA that scales the run: its own, or the one KEDA makes from its ScaledObject. */
const scalerOf = (k: string) => scalingHpaOf(rendered.get(k) ?? []) as V2HorizontalPodAutoscaler;
const deploymentOf = (k: string) => rendered.get(k)?.find((o) => o.kind === 'Deployment') as unknown as V1Deployment;

const compare = suite('the policy comparison');

compare('renders every policy in every scenario it runs in, each one validating', async () => {
  const lines: string[] = [];
  const { errors } = await validate({ root: REPO_ROOT, overlays: [...overlays.values()], scanDirs: [], rulesFile: repoPath(ADAPTER_RULES_FILE), $: sh, write: (l) => lines.push(l) });
  assert.equal(errors, [], lines.join('\n'));
  // KEDA's ScaledObject stands where the HPA does (KEDA makes the HPA from it).
  const kinds = (k: string) => rendered.get(k)?.map((o) => `${o.kind === 'ScaledObject' ? 'HorizontalPodAutoscaler' : o.kind}/${o.metadata.name}`).sort();
  for (const k of overlays.keys()) assert.equal(kinds(k), kinds('sleep-concurrency'), `${k} has the same objects`);
  assert.ok(rendered.get('sleep-keda')?.some((o) => o.kind === 'ScaledObject'));
});

compare('gives each policy the metric and windows it stands for', () => {
  const concurrency = hpaOf('sleep-concurrency').spec;
  assert.is(concurrency?.metrics?.[0]?.pods?.target.averageValue, '3');
  const latency = hpaOf('sleep-latency-external').spec;
  assert.equal([latency?.metrics?.[0]?.external?.metric.name, latency?.metrics?.[0]?.external?.target.type], ['inference_request_latency_seconds', 'Value']);
  assert.equal([latency?.behavior?.scaleUp?.stabilizationWindowSeconds, latency?.behavior?.scaleDown?.stabilizationWindowSeconds], [240, 300]);
  const cpu = hpaOf('sleep-cpu').spec;
  assert.equal([cpu?.metrics?.[0]?.resource?.name, cpu?.metrics?.[0]?.resource?.target.averageUtilization, cpu?.behavior], ['cpu', 50, undefined]);
  // cpu-80: the first Pulumi example's 80 %, otherwise the same HPA as cpu.
  const cpu80 = hpaOf('sleep-cpu-80').spec;
  assert.is(cpu80?.metrics?.[0]?.resource?.target.averageUtilization, 80);
  assert.equal({ ...cpu80, metrics: undefined }, { ...cpu, metrics: undefined });
  // keda: ours on KEDA, every number copied from ours, its trigger asking the host Prometheus for the namespace's pods.
  const keda = scaledObjectOf(rendered.get('sleep-keda') ?? []);
  assert.is(keda?.spec.triggers[0]?.metadata.threshold, '3');
  assert.is(keda?.spec.triggers[0]?.metadata.serverAddress, 'http://127.0.0.1:9090');
  assert.match(keda?.spec.triggers[0]?.metadata.query ?? '', /^sum\(rate\(inference_inflight_seconds_total\{namespace="inferscale"\}\[20s\]\)\)$/);
  assert.equal(scalerOf('sleep-keda').spec?.behavior, concurrency?.behavior);
  assert.equal([scalerOf('sleep-keda').spec?.minReplicas, scalerOf('sleep-keda').spec?.maxReplicas], [concurrency?.minReplicas, concurrency?.maxReplicas]);
  for (const p of POLICIES) assert.equal(scalerOf(`compute-${p}`).spec?.metrics, scalerOf(`sleep-${p}`).spec?.metrics, `${p}: the scenario changes the pods, not the policy`);
});

compare('runs the compute scenario CPU-bound, each pod limited to 200m, and the sleep scenario off the CPU', () => {
  const env = (k: string) => Object.fromEntries((deploymentOf(k).spec?.template.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
  assert.is(env('compute-cpu').INFERENCE_COMPUTE_MODE, 'compute');
  assert.is(deploymentOf('compute-cpu').spec?.template.spec?.containers[0]?.resources?.limits?.cpu, '200m');
  assert.is(env('sleep-cpu').INFERENCE_COMPUTE_MODE, undefined);
});

compare('offers every policy on the real model the same load: the default step sized once, by its app\'s own HPA and calibrated capacity', async () => {
  const scheduleFor = (s: Scenario) => profileFor('step', scenarioParams(s));
  const sized = await scheduleOf({ $: sh, profileFor: scheduleFor, log: () => undefined }, 'llm');
  const { objects } = await renderOverlay(sh, repoPath('overlays/local-llm'));
  const e2e = sizedProfile(objects, scheduleFor('llm'), { rateWindowSeconds: 20, relistSeconds: 5, podStartSeconds: 8 }, true).profile;
  assert.equal([sized.baseRate, sized.peakRate], [e2e.baseRate, e2e.peakRate], 'the rates the e2e runs the real model at');
  assert.ok(sized.peakRate < scheduleFor('llm').peakRate / 10, `${sized.peakRate} req/s at the peak`);
  // Sized by a policy's own target instead, the utilization policy (0.75 of a pod) would get less load than ours.
  const byOwn = sizedProfile(rendered.get('llm-utilization') ?? [], scheduleFor('llm'), { rateWindowSeconds: 20, relistSeconds: 5, podStartSeconds: 8 }, true).profile;
  assert.ok(byOwn.peakRate < sized.peakRate, `${byOwn.peakRate} against ${sized.peakRate} req/s`);
  assert.equal(await scheduleOf({ $: sh, profileFor: scheduleFor, log: () => undefined }, 'sleep'), scheduleFor('sleep'), 'sleep and compute at their own rates');
});

compare('runs the real model on its own app: ours is the HPA the e2e runs it with, every other policy replaces it', async () => {
  const { objects: app } = await renderOverlay(sh, repoPath('overlays/local-llm'));
  const own = scalingHpaOf(app) as V2HorizontalPodAutoscaler;
  assert.equal(hpaOf('llm-concurrency').spec, own.spec, 'concurrency adds nothing to the real model\'s app');
  assert.is(hpaOf('llm-concurrency').spec?.metrics?.[0]?.pods?.metric.name, 'vllm_requests_in_flight');
  assert.is(hpaOf('llm-utilization').spec?.metrics?.[0]?.pods?.metric.name, 'inference_utilization');
  assert.is(hpaOf('llm-cpu').spec?.metrics?.[0]?.resource?.target.averageUtilization, 50);
  const env = (k: string) => Object.fromEntries((deploymentOf(k).spec?.template.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
  for (const p of policiesIn('llm')) assert.is(env(`llm-${p}`).INFERENCE_ENGINE, 'llama', p);
  assert.equal(policiesIn('llm').sort(), ['concurrency', 'cpu', 'cpu-80', 'utilization'], 'neither keda nor latency-external: they read what the preset does not scale on');
  assert.ok(SIZED_SCENARIOS.includes('llm') && !SIZED_SCENARIOS.includes('compute'), 'the real model\'s rates scale to its calibrated capacity');
});

compare('predicts what each policy does in the sleep scenario: ours scales at once, latency after its window, CPU never', async () => {
  const profile = profileFor('step', scenarioParams('sleep'));
  const first = async (p: string) => {
    const { report } = await predict({ objects: rendered.get(`sleep-${p}`) ?? [], overlay: p, profile, provider: { relistSeconds: async () => 5 }, podStartSeconds: 1.7, reportDir: join(dir, `predicted-${p}`), fixedSchedule: true });
    return { up: report.record.changes.find((c) => c.to > c.from)?.t, report };
  };
  const [ours, latency, cpu, keda] = [await first('concurrency'), await first('latency-external'), await first('cpu'), await first('keda')];
  const step = ours.report.record.stepAt;
  assert.ok(ours.up !== undefined && ours.up - step <= 15 + 5, `ours at ${ours.up}`);
  // The same signal on KEDA: its HPA asks KEDA's metrics API at the same 15 s sync.
  assert.ok(keda.up !== undefined && keda.up - step <= 15 + 5, `keda at ${keda.up}`);
  // The window holds the lowest recommendation of 240 s, the last one before the step included: a sync period early at most.
  assert.ok(latency.up !== undefined && latency.up - step >= 240 - 15, `latency at ${latency.up}, after its 240 s window`);
  assert.is(cpu.up, undefined, 'a pod that sleeps shows no CPU');
  assert.is(ours.report.record.endAt, profile.endAt, 'the schedule as given');
  const reference = hpaSettings(rendered.get('sleep-concurrency') ?? []);
  const cells = row('concurrency', policyFigures(ours.report, reference), policyFigures(ours.report, reference));
  assert.is(cells.split('|').length, (TABLE_HEAD[0] as string).split('|').length, 'a cell per column');
  assert.match(cells, /^\| `concurrency` \| [\d.]+ s \([\d.]+ s\) \| \d+ \(\d+\) \| [\d.]+ % \([\d.]+ %\) \|/);
  const svg = renderComparisonChart([{ name: 'concurrency', samples: ours.report.record.samples }, { name: 'cpu', samples: cpu.report.record.samples }], { title: 't', maxReplicas: 10, sloSeconds: 0.5 });
  assert.match(svg, />concurrency</);
  assert.match(svg, />SLO 500 ms</);
});

compare('places every policy side by side in its own namespace with its own NodePorts, in one overlay that validates', async () => {
  await placesSideBySide('side-by-side', SIDE_BY_SIDE_POLICIES);
  // keda in place of latency-external (both need external.metrics.k8s.io): its query reads its own namespace.
  await placesSideBySide('side-by-side-keda', ['concurrency', 'cpu', 'keda']);
});

compare('refuses two policies on external.metrics.k8s.io side by side, in one sentence', () => {
  assert.not.ok(SIDE_BY_SIDE_POLICIES.includes('keda'), 'the default side by side leaves keda out');
  assert.throws(
    () => checkSideBySide(['concurrency', 'latency-external', 'keda']),
    /^latency-external and keda cannot run side by side: each needs external\.metrics\.k8s\.io \(latency-external from prometheus-adapter, keda from KEDA\), which one server answers at a time; leave one out or run them one after another without --side-by-side\.$/,
  );
  checkSideBySide(['concurrency', 'cpu', 'keda']);
});

async function placesSideBySide(name: string, policies: readonly (typeof POLICIES)[number][]): Promise<void> {
  const root = join(dir, name);
  const { overlay, runs } = await writeSideBySideOverlay(root, [...policies], 'sleep');
  const lines: string[] = [];
  const { errors, rendered: all } = await validate({ root: REPO_ROOT, overlays: [overlay], scanDirs: [], rulesFile: repoPath(ADAPTER_RULES_FILE), $: sh, write: (l) => lines.push(l) });
  assert.equal(errors, [], lines.join('\n'));
  const objects = all.get(overlay) ?? [];
  assert.equal(runs.map((r) => r.namespace), policies.map((p) => `inferscale-${p}`));
  const partOf = (ns: string) => objects.filter((o) => o.metadata.namespace === ns || (o.kind === 'Namespace' && o.metadata.name === ns));
  const ports = runs.map((r) => [nodePortOf(partOf(r.namespace), 'http'), nodePortOf(partOf(r.namespace), 'metrics')]).flat();
  assert.is(new Set(ports).size, 2 * policies.length, `every NodePort its own: ${ports.join(', ')}`);
  assert.not.ok(ports.includes(nodePortOf(rendered.get('sleep-concurrency') ?? [], 'http')), "none the e2e's");
  // Apart from where it lives, each part is the policy's run as the sequential comparison renders it.
  const placed = (o: KObject) => JSON.stringify(o).replaceAll(/inferscale-[a-z-]+/g, 'NS').replaceAll(/"nodePort":\d+/g, '"nodePort":0');
  const alone = (p: string) =>
    (rendered.get(`sleep-${p}`) ?? []).map((o) =>
      JSON.stringify(o)
        .replaceAll(/"namespace":"inferscale"|"name":"inferscale"|namespace=\\"inferscale\\"/g, (m) => m.replace('inferscale', 'NS'))
        .replaceAll(/"nodePort":\d+/g, '"nodePort":0'),
    );
  for (const r of runs) assert.equal(partOf(r.namespace).map(placed).sort(), alone(r.policy).sort(), `${r.policy} side by side`);
}

compare('checks what the README claims of the sleep scenario, and says when a run refutes it', async () => {
  const profile = profileFor('step', scenarioParams('sleep'));
  const reports = new Map<string, RunReport>();
  for (const p of POLICIES) reports.set(p, (await predict({ objects: rendered.get(`sleep-${p}`) ?? [], overlay: p, profile, provider: { relistSeconds: async () => 5 }, podStartSeconds: 1.7, reportDir: join(dir, `claims-${p}`), fixedSchedule: true })).report);
  const reference = hpaSettings(rendered.get('sleep-concurrency') ?? []);
  const run = (policy: (typeof POLICIES)[number], report: RunReport): PolicyRun => ({ policy, scenario: 'sleep', overlay: policy, observed: report, predicted: report, minutes: 1 });
  // The claims CI checks set ours against the signals a user picks today; the candidate
  // docs/signals.md predicts (utilization) is predicted to match ours on this step, and is
  // measured one policy at a time.
  const held = sleepClaims(POLICIES.filter((p) => p !== 'utilization').map((p) => run(p, reports.get(p) as RunReport)), reference);
  assert.equal(held.map((c) => c.ok), [true, true], claimLines(held).join('\n'));
  // keda scales on the same signal: not one of the other signals the claims set ours against.
  assert.match(claimLines(held)[0] as string, /^✓ Compare 1\. concurrency has the pods the step needs Ready before the other signals: 6 pods at concurrency's target: concurrency [\d.]+ s, latency-external [\d.]+ s, cpu never, cpu-80 never after the step$/);
  // Ours as if it had run the CPU policy's timeline: it never scales, so neither claim of ours holds.
  const refuted = sleepClaims([run('concurrency', reports.get('cpu') as RunReport), run('latency-external', reports.get('latency-external') as RunReport)], reference);
  assert.equal(refuted.map((c) => c.ok), [false, false]);
  assert.match(claimLines(refuted)[1] as string, /^✗ Compare 2\. concurrency has a better SLO attainment than the other signals: concurrency [\d.]+ %, latency-external [\d.]+ %$/);
  assert.equal(sleepClaims([run('cpu', reports.get('cpu') as RunReport)], reference), [], 'nothing to compare ours with');
  // The first new pod does not decide it: a CPU run whose first pod is Ready a second before
  // ours but which stays at 4 pods for 40 s after the step has the step's pods later.
  const oursReport = reports.get('concurrency') as RunReport;
  const { stepAt } = oursReport.record;
  const slower = (cap: number, until: number): RunReport => ({
    ...oursReport,
    record: { ...oursReport.record, firstNewReadyAt: (oursReport.record.firstNewReadyAt as number) - 1, samples: oursReport.record.samples.map((x) => (x.t < until ? { ...x, ready: Math.min(x.ready, cap) } : x)) },
  });
  const early = sleepClaims([run('concurrency', oursReport), run('cpu', slower(4, stepAt + 40))], reference)[0];
  assert.ok(early?.ok, early?.detail);
  assert.ok(readyForStep(run('cpu', slower(4, stepAt + 40)), reference) >= 40);
  // And a run with those pods Ready sooner than ours refutes it.
  const sooner = { ...oursReport, record: { ...oursReport.record, samples: oursReport.record.samples.map((x) => (x.t >= stepAt ? { ...x, ready: 6 } : x)) } };
  assert.is(sleepClaims([run('concurrency', oursReport), run('cpu', sooner)], reference)[0]?.ok, false);
  // A real run's why table beside what the cluster set: 1 of 2 syncs disagrees, below 9 of 10.
  const ours = reports.get('concurrency') as RunReport;
  const d = ours.decisions?.[0] as NonNullable<RunReport['decisions']>[number];
  const explained = { ...ours, decisions: [{ ...d, observed: d.replicas }, { ...d, observed: d.replicas + 1 }] };
  const withWhy = sleepClaims([run('concurrency', explained), run('cpu', reports.get('cpu') as RunReport)], reference);
  assert.match(claimLines(withWhy).at(-1) as string, /^✗ Compare 3\. every run's why table sets the count the cluster set at 9 of 10 syncs or more: concurrency 1 of 2, cpu 0 of 0$/);
  // The CPU policy's table is judged like the others: wrong at its one sync, the claim fails.
  const cpu = reports.get('cpu') as RunReport;
  const oursRight = { ...ours, decisions: [{ ...d, observed: d.replicas }] };
  const cpuWrong = sleepClaims([run('concurrency', oursRight), run('cpu', { ...cpu, decisions: [{ ...d, observed: d.replicas + 1 }] })], reference).at(-1);
  assert.is(cpuWrong?.ok, false, cpuWrong?.detail);
  const cpuRight = sleepClaims([run('concurrency', oursRight), run('cpu', { ...cpu, decisions: [{ ...d, observed: d.replicas }] })], reference).at(-1);
  assert.ok(cpuRight?.ok, cpuRight?.detail);
});

compare('writes compare.md again from a comparison folder with --rewrite, without a cluster', async () => {
  const root = join(dir, 'rewrite');
  const step = repoPath('test/fixtures/runs/step.timeline.json');
  for (const name of ['sleep-concurrency', 'sleep-concurrency-predicted']) {
    await mkdir(join(root, name), { recursive: true });
    await copyFile(step, join(root, name, 'timeline.json'));
  }
  await writeRunOverlay(root, 'concurrency', 'sleep');
  const { code, stdout, stderr } = await runScript('scripts/compare.ts', ['--rewrite', root, '--scenarios', 'sleep'], { ...process.env, KUBECONFIG: '/nonexistent' });
  assert.is(code, 0, stderr);
  assert.match(stdout, /compare\.md\n.*compare-sleep\.svg\n$/);
  const md = await readFile(join(root, 'compare.md'), 'utf8');
  assert.match(md, /^## sleep: accelerator-bound/m);
  assert.match(md, /^\| `concurrency` \| [\d.]+ s \([\d.]+ s\) \| 5 \(5\) \| 100\.0 % \(100\.0 %\) \| 0 \/ 0 \/ 0 of \d+ \(0 \/ 0 \/ 0\) \|/m);
});

compare('refuses an unknown policy or scenario with one sentence and exit code 2', async () => {
  assert.throws(() => parsePolicies('concurrency,gpu'), /--policies takes a comma-separated list of concurrency, latency-external, cpu, cpu-80, keda, utilization; got "concurrency,gpu"\./);
  const { code, stderr } = await runScript('scripts/compare.ts', ['--scenarios', 'gpu']);
  assert.is(code, 2);
  assert.is(stderr.trim(), 'error: --scenarios takes a comma-separated list of sleep, compute, llm; got "gpu".');
  const crowded = await runScript('scripts/compare.ts', ['--side-by-side']);
  assert.is(crowded.code, 2);
  assert.is(crowded.stderr.trim(), "error: --side-by-side runs sleep only: the pods of compute and llm would share the node's CPU; pass --scenarios sleep.");
  const planes = await runScript('scripts/compare.ts', ['--side-by-side', '--scenarios', 'sleep', '--policies', 'keda,latency-external']);
  assert.is(planes.code, 2);
  assert.match(planes.stderr.trim(), /^error: keda and latency-external cannot run side by side: /);
});

compare.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

compare.run();
