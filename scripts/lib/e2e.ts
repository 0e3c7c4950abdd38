import { dirname, resolve } from 'node:path';
import { progress } from './cli.ts';
import { bootstrapCluster } from './bootstrap.ts';
import type { ClusterProvider } from './cluster/provider.ts';
import { loadKubeConfig } from './kube/client.ts';
import type { Profile } from './plan/profiles.ts';
import { runLoadTest, type LoadTestResult } from './loadtest/run.ts';
import { runZeroProfile } from './loadtest/zero.ts';
import { runReconcile } from './reconcile/command.ts';
import { pipelineStatus, statusWords } from './reconcile/status.ts';
import type { Sh } from './shell.ts';
import type { AssertionResult } from './loadtest/assertions.ts';
import { commitScaleDownWindow, healAndPrune, reconcileAtPeak, refuseInvalidCommit } from './gitops/checks.ts';
import type { GitOpsTool } from './cluster/gitops-tools.ts';
import type { LoadRequest } from './loadtest/request.ts';
import { writeReport } from './loadtest/report.ts';

export interface E2EOptions {
  $: Sh;
  provider: ClusterProvider;
  overlay: string;
  /**
   * The loads to run, one after another, on one bootstrap; each report in its own folder.
   * `sized`: the profile's rates are the defaults, scaled to the overlay's calibrated capacity if it has one.
   */
  runs: { profile: Profile; reportDir: string; sized?: boolean }[];
  targetUrl?: string;
  /** What each arrival sends, instead of the overlay's load request. */
  request?: LoadRequest;
  /** Hold every run to the prediction, measured or not. */
  gatePrediction?: boolean;
  /** Leave the cluster running afterwards. */
  keep: boolean;
  /** Seconds each health gate may take. */
  gateTimeoutSeconds: number;
  /** Instead of the load runs: the zero profile (an overlay scaled to zero), its report here. */
  zero?: { reportDir: string };
  /** Deploy through this GitOps controller instead of reconcile.ts, and check it (embedded cluster). */
  gitops?: GitOpsTool;
  log: (line: string) => void;
}

export interface E2EResult {
  runs: LoadTestResult[];
  /** The GitOps checks made between the runs (those made during a run are in its results). */
  checks: AssertionResult[];
}

const printCheck = (log: (line: string) => void, a: AssertionResult): void => log(`${a.ok ? '✓' : '✗'} ${a.name}: ${a.observed} (bound: ${a.bound})`);

/**
 * bootstrap, reconcile (or deploy through Flux and check it), preflight, each load test with
 * assertions and report, teardown.
 */
export async function runE2E(o: E2EOptions): Promise<E2EResult> {
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  let bootstrapped = false;
  try {
    // Rendered once, by bootstrap: reconcile, the checks and every run take these objects.
    const info = await bootstrapCluster(o.provider, o.$, o.overlay, o.log, { gitops: o.gitops, gitopsTimeoutMs: o.gateTimeoutSeconds * 1000 });
    const { rendered } = info;
    const { objects } = rendered;
    bootstrapped = true;
    const kc = loadKubeConfig(info.kubeconfig);
    if (!info.gitops) {
      const step = progress(`reconciling ${o.overlay}`, o.log);
      await runReconcile({ $: o.$, kc, overlay: o.overlay, dryRun: false, timeoutMs: o.gateTimeoutSeconds * 1000, provider: o.provider, rendered, out: o.log });
      step.done();
    }
    o.log('preflight:');
    for (const s of await pipelineStatus(kc, objects)) for (const line of statusWords(s)) o.log(`  ${line}`);
    const checks: AssertionResult[] = [];
    const check = (a: AssertionResult): void => {
      printCheck(o.log, a);
      checks.push(a);
    };
    const gitops = info.gitops?.served ? { $: o.$, kc, driver: info.gitops.driver, served: info.gitops.served, objects, log: o.log } : undefined;
    const intervals = gitops ? await gitops.driver.intervals() : undefined;
    if (gitops && intervals) {
      for (const a of await healAndPrune(gitops, intervals)) check(a);
      check(await refuseInvalidCommit(gitops, intervals));
    }
    if (o.zero) {
      const zero = await runZeroProfile({ kc, provider: o.provider, objects, reportDir: resolve(o.zero.reportDir), log: o.log, signal: abort.signal });
      for (const a of zero.results) check(a);
      o.log(`zero profile: ${resolve(o.zero.reportDir, 'summary.md')}`);
      return { runs: [], checks };
    }
    const results: LoadTestResult[] = [];
    let committedWindow: number | undefined;
    for (const [i, run] of o.runs.entries()) {
      // The window commit comes before the last run, whose bounds must then use it.
      if (gitops && intervals && i === o.runs.length - 1) {
        const { result, window } = await commitScaleDownWindow(gitops, intervals);
        check(result);
        committedWindow = window;
      }
      o.log(`load ${i + 1} of ${o.runs.length}: ${run.profile.name}`);
      const result = await runLoadTest({
        $: o.$,
        kc,
        provider: o.provider,
        objects,
        overlay: o.overlay,
        profile: run.profile,
        reportDir: resolve(run.reportDir),
        targetUrl: o.targetUrl,
        request: o.request,
        gatePrediction: o.gatePrediction,
        scaleToCapacity: run.sized,
        log: o.log,
        signal: abort.signal,
        during: gitops && intervals && i === 0 ? reconcileAtPeak(gitops, intervals) : undefined,
      });
      results.push(result);
      if (committedWindow !== undefined) {
        const used = result.report.hpa.scaleDown.stabilizationWindowSeconds;
        check({ name: `${gitops?.driver.label} 2b. the run after the commit is bounded by the live window`, ok: used === committedWindow, bound: `${committedWindow} s, as committed`, observed: `the bounds used a scale-down window of ${used} s` });
        committedWindow = undefined;
      }
    }
    const last = results.at(-1);
    if (last && checks.length > 0) {
      // The run's record keeps the checks made around it, so a page can show them from it.
      last.report = { ...last.report, checks };
      await writeReport(dirname(last.files.json), last.report);
    }
    return { runs: results, checks };
  } finally {
    process.off('SIGINT', onSigint);
    if (bootstrapped && !o.keep) await o.provider.teardown();
    else if (o.keep) o.log('--keep: the cluster stays up; tear it down with `npx zx scripts/teardown.ts`');
  }
}
