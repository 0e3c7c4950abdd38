import { resolve } from 'node:path';
import { progress } from './cli.ts';
import { bootstrapCluster } from './cluster/bootstrap.ts';
import type { ClusterProvider } from './cluster/provider.ts';
import { loadKubeConfig } from './kube/client.ts';
import type { Profile } from './loadtest/profiles.ts';
import { runLoadTest, type LoadTestResult } from './loadtest/run.ts';
import { renderOverlay } from './manifests/render.ts';
import { runReconcile } from './reconcile/command.ts';
import { pipelineStatus, statusWords } from './reconcile/status.ts';
import type { Sh } from './shell.ts';

export interface E2EOptions {
  $: Sh;
  provider: ClusterProvider;
  overlay: string;
  /** The loads to run, one after another, on one bootstrap; each report in its own folder. */
  runs: { profile: Profile; reportDir: string }[];
  targetUrl?: string;
  /** Leave the cluster running afterwards. */
  keep: boolean;
  /** Seconds each health gate may take. */
  gateTimeoutSeconds: number;
  log: (line: string) => void;
}

/** bootstrap, reconcile, preflight, each load test with assertions and report, teardown. */
export async function runE2E(o: E2EOptions): Promise<LoadTestResult[]> {
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  let bootstrapped = false;
  try {
    const info = await bootstrapCluster(o.provider, o.$, o.overlay, o.log);
    bootstrapped = true;
    const kc = loadKubeConfig(info.kubeconfig);
    const step = progress(`reconciling ${o.overlay}`, o.log);
    await runReconcile({ $: o.$, kc, overlay: o.overlay, dryRun: false, timeoutMs: o.gateTimeoutSeconds * 1000, provider: o.provider, out: o.log });
    step.done();
    const { objects } = await renderOverlay(o.$, o.overlay);
    o.log('preflight:');
    for (const s of await pipelineStatus(kc, objects)) for (const line of statusWords(s)) o.log(`  ${line}`);
    const results: LoadTestResult[] = [];
    for (const [i, run] of o.runs.entries()) {
      o.log(`load ${i + 1} of ${o.runs.length}: ${run.profile.name}`);
      results.push(
        await runLoadTest({
          $: o.$,
          kc,
          provider: o.provider,
          objects,
          overlay: o.overlay,
          profile: run.profile,
          reportDir: resolve(run.reportDir),
          targetUrl: o.targetUrl,
          log: o.log,
          signal: abort.signal,
        }),
      );
    }
    return results;
  } finally {
    process.off('SIGINT', onSigint);
    if (bootstrapped && !o.keep) await o.provider.teardown();
    else if (o.keep) o.log('--keep: the cluster stays up; tear it down with `npx zx scripts/teardown.ts`');
  }
}
