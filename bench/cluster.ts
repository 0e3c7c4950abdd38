// npm run bench:cluster: build times per component, warm bootstrap to node Ready, apply to
// pod Ready, and the control plane's resident memory. Prints figures; asserts nothing.
import { AppsV1Api, CoreV1Api, Watch, type V1Pod } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { DAEMON_ORDER } from '../scripts/lib/cluster/embedded/components.ts';
import { LocalProvider } from '../scripts/lib/cluster/local.ts';
import { clusterPaths } from '../scripts/lib/cluster/embedded/paths.ts';
import { runningPid } from '../scripts/lib/cluster/embedded/processes.ts';
import { loadKubeConfig } from '../scripts/lib/kube/client.ts';
import { sh } from '../scripts/lib/shell.ts';

const paths = clusterPaths();
const quiet = () => {};
const provider = new LocalProvider({ $: sh, paths, log: quiet });

await provider.teardown();
await provider.prepare();
console.log('build time per component (as measured when its cache folder was filled; 0 s work now):');
for (const b of provider.timings.builds) console.log(`  ${b.component.padEnd(20)} ${b.version.padEnd(9)} ${b.seconds.toFixed(1).padStart(7)} s`);

const t0 = performance.now();
await provider.create();
const warm = (performance.now() - t0) / 1000;
console.log(`warm bootstrap to node Ready: ${warm.toFixed(1)} s (target < 60 s)`);
await provider.loadImage();

const kc = loadKubeConfig(paths.kubeconfig);
const ns = 'bench';
await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
const scheduledAt = new Map<string, number>();
const readyAt = new Map<string, number>();
const watch = new Watch(kc);
const request = await watch.watch(`/api/v1/namespaces/${ns}/pods`, {}, (_type, pod: V1Pod) => {
  const name = pod.metadata?.name ?? '';
  if (pod.spec?.nodeName && !scheduledAt.has(name)) scheduledAt.set(name, performance.now());
  if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && !readyAt.has(name)) readyAt.set(name, performance.now());
}, () => {});
const applied = performance.now();
await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
  namespace: ns,
  body: {
    metadata: { name: 'probe' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'probe' } },
      template: {
        metadata: { labels: { app: 'probe' } },
        spec: {
          containers: [{
            name: 'inference',
            image: 'inferscale/inference:0.1.0',
            imagePullPolicy: 'Never',
            readinessProbe: { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 1 },
          }],
        },
      },
    },
  },
});
while (readyAt.size < 3) await new Promise((r) => setTimeout(r, 50));
request.abort();
const fromSchedule = [...readyAt].map(([name, t]) => (t - (scheduledAt.get(name) ?? applied)) / 1000);
const fromApply = Math.max(...readyAt.values()) - applied;
console.log(`apply of a 3-replica Deployment to all pods Ready: ${(fromApply / 1000).toFixed(2)} s`);
console.log(`pod scheduled to Ready: ${fromSchedule.map((s) => s.toFixed(2)).join(', ')} s (target < 5 s)`);

let total = 0;
const rows: string[] = [];
for (const name of DAEMON_ORDER) {
  const pid = await runningPid(paths, name);
  const status = pid ? await readFile(`/proc/${pid}/status`, 'utf8') : '';
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  total += kib;
  rows.push(`  ${name.padEnd(24)} ${(kib / 1024).toFixed(0).padStart(5)} MiB`);
}
console.log('control plane resident memory:');
console.log(rows.join('\n'));
console.log(`  ${'total'.padEnd(24)} ${(total / 1024).toFixed(0).padStart(5)} MiB (target < 2048 MiB)`);
await provider.teardown();
