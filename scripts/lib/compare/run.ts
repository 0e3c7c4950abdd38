import type { KubeConfig } from '@kubernetes/client-node';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { progress } from '../cli.ts';
import type { ClusterProvider } from '../cluster/provider.ts';
import { CPU_WINDOW_SECONDS, hpaSettings } from '../loadtest/bounds.ts';
import type { Profile } from '../loadtest/profiles.ts';
import type { RunReport } from '../loadtest/report.ts';
import { runLoadTest } from '../loadtest/run.ts';
import { renderOverlay } from '../manifests/render.ts';
import { runReconcile } from '../reconcile/command.ts';
import type { Sh } from '../shell.ts';
import { predict } from '../simulate/predict.ts';
import { writeRunOverlay, type Policy, type Scenario } from './policies.ts';
import { resetToMin } from './reset.ts';

// The comparison: for each scenario, each policy in turn on the running cluster: reset to
// minReplicas, reconcile the app overlay with that policy (its health gates: the pipeline
// serves what the policy scales on), the same k6 schedule, the timeline, and the simulator's
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
    const profile = o.profileFor(scenario);
    for (const [i, policy] of o.policies.entries()) {
      if (o.signal?.aborted) return runs;
      const started = Date.now();
      o.log(`${scenario} ${i + 1} of ${o.policies.length}: ${policy} (${profile.name}, ${profile.baseRate} → ${profile.peakRate} req/s, ${profile.endAt} s)`);
      const overlay = await writeRunOverlay(o.reportDir, policy, scenario);
      const { objects } = await renderOverlay(o.$, overlay);
      const reset = progress(`resetting to minReplicas without an HPA`, o.log);
      const hpa = hpaSettings(objects);
      await resetToMin(o.kc, objects, hpa.minReplicas, o.gateTimeoutSeconds * 1000);
      // metrics-server's window still holds the last run's CPU: an HPA on CPU created now
      // would scale up on it, and then hold that for its scale-down window.
      if (hpa.metrics.some((m) => m.type === 'Resource')) await sleep(2 * CPU_WINDOW_SECONDS * 1000, undefined, { signal: o.signal }).catch(() => {});
      reset.done();
      await runReconcile({ $: o.$, kc: o.kc, overlay, dryRun: false, timeoutMs: o.gateTimeoutSeconds * 1000, provider: o.provider, out: (l) => o.log(`  ${l}`) });
      const dir = join(o.reportDir, `${scenario}-${policy}`);
      // Indented: the e2e's assertion lines are not this run's verdict (its bounds are the
      // policy's; the comparison judges by the figures).
      const { report } = await runLoadTest({ $: o.$, kc: o.kc, provider: o.provider, objects, overlay, profile, reportDir: resolve(dir), log: (l) => o.log(`  ${l}`), signal: o.signal, fixedSchedule: true });
      const starts = [...report.record.podStarts].sort((a, b) => a - b);
      const { report: predicted } = await predict({
        objects,
        overlay,
        profile,
        provider: o.provider,
        podStartSeconds: starts[Math.floor(starts.length / 2)] ?? report.pipeline.podStartSeconds,
        reportDir: resolve(`${dir}-predicted`),
        fixedSchedule: true,
      });
      runs.push({ policy, scenario, overlay, observed: report, predicted, minutes: (Date.now() - started) / 60_000 });
    }
  }
  return runs;
}
