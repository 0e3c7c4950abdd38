import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { progress } from '../cli.ts';
import type { ClusterProvider } from '../cluster/provider.ts';
import { CPU_WINDOW_SECONDS, hpaSettings, sizedLine, sizedProfile } from '../plan/bounds.ts';
import { repoPath } from '../paths.ts';
import type { Profile } from '../plan/profiles.ts';
import type { RunReport } from '../loadtest/report.ts';
import { runLoadTest } from '../loadtest/run.ts';
import { renderOverlay } from '../manifests/render.ts';
import { runReconcile } from '../reconcile/command.ts';
import type { Sh } from '../shell.ts';
import { predict } from '../loadtest/predict.ts';
import { imagesOf, type KObject } from '../manifests/objects.ts';
import { notIn, policiesIn, SCENARIO_APP, SIZED_SCENARIOS, writeRunOverlay, writeSideBySideOverlay, type Policy, type Scenario } from './policies.ts';
import { resetToMin } from './reset.ts';

// The comparison: for each scenario, each policy in turn on the running cluster: reset to
// minReplicas, reconcile the app overlay with that policy (its health gates: the pipeline
// serves what the policy scales on), the same load schedule, the timeline, and the simulator's
// prediction for the same rendered overlay, schedule and measured pod start.

export interface CompareOptions {
  $: Sh;
  kc: KubeConfig;
  provider: ClusterProvider;
  policies: Policy[];
  scenarios: Scenario[];
  profileFor: (scenario: Scenario) => Profile;
  reportDir: string;
  gateTimeoutSeconds: number;
  log: (line: string) => void;
  signal?: AbortSignal;
}

export interface PolicyRun {
  policy: Policy;
  scenario: Scenario;
  overlay: string;
  observed: RunReport;
  predicted: RunReport;
  minutes: number;
}

export async function runComparison(o: CompareOptions): Promise<PolicyRun[]> {
  const runs: PolicyRun[] = [];
  for (const scenario of o.scenarios) {
    const profile = await scheduleOf(o, scenario);
    const policies = policiesIn(scenario, o.policies);
    const left = notIn(scenario, o.policies);
    if (left.length > 0) o.log(`${scenario}: not ${left.join(' nor ')} (scripts/lib/compare/policies.ts says why)`);
    for (const [i, policy] of policies.entries()) {
      if (o.signal?.aborted) return runs;
      const started = Date.now();
      o.log(`${scenario} ${i + 1} of ${policies.length}: ${policy} (${describe(profile)})`);
      const overlay = await writeRunOverlay(o.reportDir, policy, scenario);
      const { objects } = await renderOverlay(o.$, overlay);
      // The scenario's image on the node before its first run (the real model's is built once, with the model inside).
      if (i === 0) await o.provider.loadImage(imagesOf(objects));
      await reset(o, [objects]);
      await runReconcile({ $: o.$, kc: o.kc, overlay, dryRun: false, timeoutMs: o.gateTimeoutSeconds * 1000, provider: o.provider, out: (l) => o.log(`  ${l}`) });
      // Indented: the e2e's assertion lines are not this run's verdict (its bounds are the
      // policy's; the comparison judges by the figures).
      runs.push(await loadAndPredict(o, { policy, scenario, overlay, objects, profile, started, log: (l) => o.log(`  ${l}`) }));
    }
  }
  return runs;
}

/**
 * The same comparison with every policy at once, each in its own namespace with its own
 * NodePort and load driver, on one Prometheus and one adapter: one run's time instead of one per
 * policy. For a scenario whose pods hardly use the node's CPU (sleep), so that the runs do
 * not take capacity from each other.
 */
export async function runSideBySide(o: CompareOptions): Promise<PolicyRun[]> {
  const runs: PolicyRun[] = [];
  for (const scenario of o.scenarios) {
    if (o.signal?.aborted) return runs;
    const profile = await scheduleOf(o, scenario);
    const started = Date.now();
    o.log(`${scenario}: ${o.policies.join(', ')} side by side (${describe(profile)})`);
    const written = await writeSideBySideOverlay(o.reportDir, o.policies, scenario);
    const { objects } = await renderOverlay(o.$, written.overlay);
    const parts = written.runs.map((r) => ({ ...r, objects: objects.filter((x) => x.metadata.namespace === r.namespace || (x.kind === 'Namespace' && x.metadata.name === r.namespace)) }));
    await reset(o, parts.map((p) => p.objects));
    try {
      await runReconcile({ $: o.$, kc: o.kc, overlay: written.overlay, dryRun: false, timeoutMs: o.gateTimeoutSeconds * 1000, provider: o.provider, out: (l) => o.log(`  ${l}`) });
      runs.push(...(await Promise.all(parts.map((p) => loadAndPredict(o, { ...p, scenario, profile, started, log: (l) => o.log(`  ${p.policy}: ${l}`) })))));
    } finally {
      // The runs' namespaces are the comparison's own (no other overlay prunes them): they go, with all in them.
      const core = o.kc.makeApiClient(CoreV1Api);
      for (const { namespace } of written.runs) await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    }
  }
  return runs;
}

const describe = (p: Profile) => `${p.name}, ${p.baseRate} → ${p.peakRate} req/s, ${p.endAt} s`;

/** What sizing reads of the pipeline: the pods' throughput, none of its timings. */
const UNTIMED = { rateWindowSeconds: 0, relistSeconds: 0, podStartSeconds: 0 };

/**
 * A scenario's schedule. A sized scenario's rates are scaled once, by its app's own HPA and
 * calibrated capacity, as the e2e scales them: every policy gets the same load (sized by each
 * policy's own target, a utilization policy's would be smaller).
 */
export async function scheduleOf(o: Pick<CompareOptions, '$' | 'profileFor' | 'log'>, scenario: Scenario): Promise<Profile> {
  const profile = o.profileFor(scenario);
  if (!SIZED_SCENARIOS.includes(scenario)) return profile;
  const { objects } = await renderOverlay(o.$, repoPath(SCENARIO_APP[scenario].overlay));
  const { profile: sized, scale } = sizedProfile(objects, profile, UNTIMED, true);
  if (scale !== undefined) o.log(`${scenario}: ${sizedLine(sized, scale)}`);
  return sized;
}

/** Every run's app back at minReplicas without an HPA; for a CPU policy, metrics-server's window emptied too. */
async function reset(o: CompareOptions, runs: KObject[][]): Promise<void> {
  const step = progress(`resetting to minReplicas without an HPA`, o.log);
  const settings = runs.map((objects) => ({ objects, hpa: hpaSettings(objects) }));
  await Promise.all(settings.map(({ objects, hpa }) => resetToMin(o.kc, objects, hpa.minReplicas, o.gateTimeoutSeconds * 1000)));
  // metrics-server's window still holds the last run's CPU: an HPA on CPU created now
  // would scale up on it, and then hold that for its scale-down window.
  if (settings.some(({ hpa }) => hpa.metrics.some((m) => m.type === 'Resource'))) await sleep(2 * CPU_WINDOW_SECONDS * 1000, undefined, { signal: o.signal }).catch(() => {});
  step.done();
}

/** One policy's load run on its applied overlay, and the simulator's prediction for it. */
async function loadAndPredict(
  o: CompareOptions,
  r: { policy: Policy; scenario: Scenario; overlay: string; objects: KObject[]; profile: Profile; started: number; log: (line: string) => void },
): Promise<PolicyRun> {
  const dir = join(o.reportDir, `${r.scenario}-${r.policy}`);
  const { report } = await runLoadTest({ $: o.$, kc: o.kc, provider: o.provider, objects: r.objects, overlay: r.overlay, profile: r.profile, reportDir: resolve(dir), log: r.log, signal: o.signal, fixedSchedule: true });
  const starts = [...report.record.podStarts].sort((a, b) => a - b);
  const { report: predicted } = await predict({
    objects: r.objects,
    overlay: r.overlay,
    profile: r.profile,
    provider: o.provider,
    podStartSeconds: starts[Math.floor(starts.length / 2)] ?? report.pipeline.podStartSeconds,
    reportDir: resolve(`${dir}-predicted`),
    fixedSchedule: true,
  });
  return { policy: r.policy, scenario: r.scenario, overlay: r.overlay, observed: report, predicted, minutes: (Date.now() - r.started) / 60_000 };
}
