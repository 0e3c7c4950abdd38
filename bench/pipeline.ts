// npm run bench:pipeline: on the embedded cluster, a full first reconcile, a no-op
// reconcile, and idle-to-visible metric latency (burst start to the value moving in the
// custom metrics API). Prints figures; asserts nothing.
import { request } from 'node:http';
import { bootstrapCluster } from '../scripts/lib/bootstrap.ts';
import { LocalProvider } from '../scripts/lib/cluster/local.ts';
import { clusterPaths } from '../scripts/lib/cluster/embedded/paths.ts';
import { podMetricValues } from '../scripts/lib/kube/custom-metrics.ts';
import { loadKubeConfig } from '../scripts/lib/kube/client.ts';
import { waitFor } from '../scripts/lib/wait.ts';
import { nodePortOf } from '../scripts/lib/manifests/objects.ts';
import { renderOverlay } from '../scripts/lib/manifests/render.ts';
import { runReconcile } from '../scripts/lib/reconcile/command.ts';
import { sh } from '../scripts/lib/shell.ts';

const paths = clusterPaths();
const quiet = () => {};
const provider = new LocalProvider({ $: sh, paths, log: quiet });
const overlay = 'overlays/local';
const selector = 'app.kubernetes.io/name=inference';
const port = nodePortOf((await renderOverlay(sh, overlay)).objects, 'http');

const predict = () =>
  new Promise<void>((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/predict', method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', () => resolve());
    req.end('{"inputs":[1,2,3]}');
  });

await provider.teardown();
try {
  const info = await bootstrapCluster(provider, sh, overlay, quiet);
  const kc = loadKubeConfig(info.kubeconfig);
  const reconcile = async () => {
    const t0 = performance.now();
    const { result } = await runReconcile({ $: sh, kc, overlay, dryRun: false, timeoutMs: 180_000, provider, out: quiet });
    return { seconds: (performance.now() - t0) / 1000, result };
  };
  const first = await reconcile();
  console.log(`full first reconcile (apply, rollout, APIService, metric served, ScalingActive): ${first.seconds.toFixed(1)} s, ${first.result.created.length} objects created`);
  const noop = await reconcile();
  console.log(`no-op reconcile: ${noop.seconds.toFixed(2)} s, ${noop.result.unchanged.length} unchanged (target < 5 s)`);

  const samples: number[] = [];
  for (let round = 0; round < 3; round++) {
    await waitFor('the metric to be 0 at idle', 120_000, async () => {
      const { values } = await podMetricValues(kc, 'inferscale', 'inference_concurrency', selector);
      return values.size > 0 && [...values.values()].every((v) => v === 0) ? true : undefined;
    });
    const start = performance.now();
    let stop = false;
    const burst = (async () => {
      while (!stop) await Promise.all(Array.from({ length: 8 }, predict));
    })();
    const moved = await waitFor('the metric to move', 120_000, async () => {
      const { values } = await podMetricValues(kc, 'inferscale', 'inference_concurrency', selector);
      return [...values.values()].some((v) => v > 0) ? performance.now() - start : undefined;
    }, { maxMs: 100 });
    stop = true;
    await burst;
    samples.push(moved / 1000);
  }
  console.log(`idle-to-visible metric latency: ${samples.map((s) => s.toFixed(1)).join(', ')} s (3 bursts; scrape 5 s + relist 5 s bound a new value)`);
} finally {
  await provider.teardown();
}
