import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ourChains, ourMounts } from '../../scripts/lib/cluster/embedded/cleanup.ts';
import { BRIDGE, NODE_NAME } from '../../scripts/lib/cluster/embedded/network.ts';
import { clusterPaths } from '../../scripts/lib/cluster/embedded/paths.ts';
import { alive, runningPid } from '../../scripts/lib/cluster/embedded/processes.ts';
import { COMPONENTS, DAEMON_ORDER } from '../../scripts/lib/cluster/embedded/components.ts';
import { buildComponent, componentDir, helmComponent } from '../../scripts/lib/cluster/embedded/toolchain.ts';
import { serverSideApply } from '../../scripts/lib/kube/apply.ts';
import { loadKubeConfig } from '../../scripts/lib/kube/client.ts';
import { errorSentence, waitFor } from '../../scripts/lib/wait.ts';
import { nodePortOf } from '../../scripts/lib/manifests/objects.ts';
import { renderOverlay } from '../../scripts/lib/manifests/render.ts';
import { REPO_ROOT, repoPath } from '../../scripts/lib/paths.ts';
import { sh } from '../../scripts/lib/shell.ts';
import { runScript } from '../helpers/cli.ts';
import { predict, request, sample } from '../helpers/http.ts';

const paths = clusterPaths();
const NS = 'inferscale';
const { objects: localObjects } = await renderOverlay(sh, repoPath('overlays/local'));
const HTTP_PORT = nodePortOf(localObjects, 'http') ?? 0;
const METRICS_PORT = nodePortOf(localObjects, 'metrics') ?? 0;

const interrupted = suite('an interrupted bootstrap');

// Everything bootstrap builds, built (and cached) first: on a fresh machine the Go builds
// take tens of minutes, and the interruption is meant for the start-up, not the builds.
interrupted.before(async () => {
  const { code, stderr } = await runScript('scripts/toolchain.ts', []);
  if (code !== 0) throw new Error(`the toolchain did not build:\n${stderr}`);
});

interrupted('stops what it started on Ctrl-C, and leaves nothing that stops the next run', async () => {
  const child = spawn(process.execPath, ['scripts/bootstrap.ts', '--provider', 'local'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    await waitFor('etcd to have started', 600_000, async () => (await runningPid(paths, 'etcd')) ?? undefined, { maxMs: 100 });
  } catch (e) {
    // Never leave a bootstrap running into the next suite's.
    child.kill('SIGINT');
    await exited;
    throw e;
  }
  child.kill('SIGINT');
  const code = await exited;
  assert.is(code, 130, stderr);
  assert.match(stderr, 'interrupted: stopping what this bootstrap started');
  for (const name of DAEMON_ORDER) assert.is(await runningPid(paths, name), undefined, `${name} is stopped`);
  assert.equal(await ourMounts(paths), []);
});

interrupted.run();

const cluster = suite<{ kc: KubeConfig }>('the embedded cluster');

cluster.before(async (ctx) => {
  const { code, stderr } = await runScript('scripts/bootstrap.ts', ['--provider', 'local']);
  if (code !== 0) {
    await runScript('scripts/teardown.ts', []);
    throw new Error(`bootstrap failed:\n${stderr}`);
  }
  ctx.kc = loadKubeConfig(paths.kubeconfig);
});

cluster.after(async () => {
  // Always tear down, even when a test failed; the last test checks what it leaves.
  await runScript('scripts/teardown.ts', []);
});

cluster('has its node Ready, running the version it was built from', async ({ kc }) => {
  const node = await kc.makeApiClient(CoreV1Api).readNode({ name: NODE_NAME });
  assert.ok(node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  assert.match(node.status?.nodeInfo?.kubeletVersion ?? '', /^v1\.3[67]\.\d+$/);
  assert.match(node.status?.nodeInfo?.containerRuntimeVersion ?? '', /^containerd:\/\//);
});

cluster('says so and succeeds when bootstrapped again while running', async () => {
  const { code, stderr } = await runScript('scripts/bootstrap.ts', ['--provider', 'local']);
  assert.is(code, 0, stderr);
  assert.match(stderr, 'the embedded cluster is already running');
});

cluster("runs overlays/local's Deployment of the inference image, pinned to 2 replicas, to Ready", async ({ kc }) => {
  const { objects } = await renderOverlay(sh, repoPath('overlays/local'));
  // ServiceMonitors are read by the host Prometheus, not applied (the CRD is not installed).
  for (const obj of objects.filter((o) => o.kind !== 'ServiceMonitor')) {
    const pinned = obj.kind === 'Deployment' ? { ...obj, spec: { ...(obj.spec as object), replicas: 2 } } : obj;
    await serverSideApply(kc, pinned);
  }
  const apps = kc.makeApiClient(AppsV1Api);
  await waitFor('2 ready inference pods', 90_000, async () => {
    const d: V1Deployment = await apps.readNamespacedDeployment({ name: 'inference', namespace: NS });
    return d.status?.readyReplicas === 2 ? true : undefined;
  });
});

cluster('answers the predict route and /metrics on its NodePorts at 127.0.0.1', async () => {
  const { objects } = await renderOverlay(sh, repoPath('overlays/local'));
  const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } } };
  const slots = deployment.spec.template.spec.containers[0]?.env?.find((e) => e.name === 'INFERENCE_SLOTS')?.value;
  // kube-proxy programs the NodePort shortly after the endpoints turn ready.
  const reply = await waitFor('the NodePort to answer', 30_000, async () => {
    const r = await predict(HTTP_PORT, { inputs: [1, 2, 3] }).catch(() => undefined);
    return r?.status === 200 ? r : undefined;
  });
  assert.is((JSON.parse(reply.body) as { outputs: number[] }).outputs.length, 4);
  const metrics = await request(METRICS_PORT, { path: '/metrics' });
  assert.is(metrics.status, 200);
  assert.match(metrics.body, new RegExp(`^inference_slots ${slots}$`, 'm'), 'the slots overlays/local sets');
});

cluster('spreads requests through the NodePort over both pods', async ({ kc }) => {
  const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: NS, labelSelector: 'app.kubernetes.io/name=inference' });
  const ips = pods.items.map((p) => p.status?.podIP).filter((ip): ip is string => Boolean(ip));
  assert.is(ips.length, 2);
  const count = async (ip: string) => {
    const text = await (await fetch(`http://${ip}:9090/metrics`)).text();
    return text.includes('inference_requests_total{code="200"}') ? sample(text, 'inference_requests_total{code="200"}') : 0;
  };
  const before = await Promise.all(ips.map(count));
  for (let i = 0; i < 40; i++) assert.is((await predict(HTTP_PORT)).status, 200);
  const after = await Promise.all(ips.map(count));
  const grew = after.map((a, i) => a - (before[i] ?? 0));
  assert.is(grew.reduce((a, b) => a + b, 0), 40, `counters grew by ${grew}`);
  assert.ok(grew.every((g) => g > 0), `each pod served some: ${grew}`);
});

cluster('enforces the restricted Pod Security profile: our pods are admitted, a privileged pod is refused', async ({ kc }) => {
  const core = kc.makeApiClient(CoreV1Api);
  const ns = await core.readNamespace({ name: NS });
  assert.is(ns.metadata?.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
  let refusal = '';
  try {
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: 'privileged' },
        spec: { containers: [{ name: 'c', image: 'inferscale/inference:0.1.0', securityContext: { privileged: true } }] },
      },
    });
  } catch (error) {
    refusal = errorSentence(error);
  }
  assert.match(refusal, /violates PodSecurity "restricted:latest"/);
  assert.match(refusal, /privileged/);
});

cluster("bootstrap --provider existing never overwrites a Helm release of its charts' names that it did not install, and says what it would install", async () => {
  // A real helm (built from the module proxy, cached) installs a tiny chart of the test's own
  // under kube-prometheus-stack's release name, as someone else might have.
  const helmDir = componentDir(paths, helmComponent());
  await buildComponent(sh, paths, helmComponent(), () => {});
  const env = { ...process.env, PATH: `${helmDir}:${process.env.PATH ?? ''}`, KUBECONFIG: paths.kubeconfig };
  const chart = await mkdtemp(join(tmpdir(), 'chart-'));
  await mkdir(join(chart, 'templates'));
  await writeFile(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: someone-elses\nversion: 0.1.0\n');
  await writeFile(join(chart, 'templates/configmap.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: someone-elses\ndata:\n  owner: {{ .Values.owner | quote }}\n');
  const helm = (...args: string[]) => sh({ env, nothrow: true })`helm ${args}`;
  const release = ['kube-prometheus-stack', '--namespace', 'monitoring'];
  const revision = async () => (JSON.parse((await helm('history', ...release, '-o', 'json')).stdout) as { revision: number }[]).length;
  const installed = await helm('install', ...release, '--create-namespace', chart, '--set', 'owner=them');
  assert.is(installed.exitCode, 0, installed.stderr);
  try {
    const refusal = /^error: the Helm release kube-prometheus-stack in namespace monitoring exists and was not installed by inferscale \(no inferscale\.dev\/installed-by label\); nothing was changed: pass --adopt/m;
    for (const args of [[], ['--dry-run']]) {
      const run = await runScript('scripts/bootstrap.ts', ['--provider', 'existing', ...args], env);
      assert.is(run.code, 1, run.stderr);
      assert.match(run.stderr, refusal);
    }
    assert.is(await revision(), 1, 'their release is untouched');
    const adopt = await runScript('scripts/bootstrap.ts', ['--provider', 'existing', '--adopt', '--dry-run'], env);
    assert.is(adopt.code, 0, adopt.stderr);
    assert.match(adopt.stderr, /--dry-run: would install kube-prometheus-stack 81\.6\.2 \(https:\/\/prometheus-community\.github\.io\/helm-charts\) as kube-prometheus-stack in monitoring/);
    assert.is(await revision(), 1, 'a dry run installs nothing');
    // A release bootstrap installed carries the label on its records: not someone else's.
    const ours = await helm('upgrade', ...release, chart, '--set', 'owner=us', '--labels', 'inferscale.dev/installed-by=inferscale');
    assert.is(ours.exitCode, 0, ours.stderr);
    const again = await runScript('scripts/bootstrap.ts', ['--provider', 'existing', '--dry-run'], env);
    assert.is(again.code, 0, again.stderr);
    assert.match(again.stderr, /--dry-run: would install kube-prometheus-stack 81\.6\.2/);
  } finally {
    await helm('uninstall', ...release);
    await rm(chart, { recursive: true, force: true });
  }
});

cluster('stops every daemon backwards through the one list, leaves no process, mount, bridge or iptables chain of ours, and tears down twice', async () => {
  const pidOf = async (n: string) => Number((await sh({ nothrow: true })`cat ${`${paths.pids}/${n}.pid`}`).stdout.trim());
  const up = (await Promise.all(COMPONENTS.map(async (c) => ({ name: c.name, pid: await pidOf(c.name) })))).filter((d) => d.pid);
  const pids = up.map((d) => d.pid);
  assert.ok(DAEMON_ORDER.every((n) => up.some((d) => d.name === n)), `every cluster daemon runs: ${up.map((d) => d.name).join(' ')}`);
  const first = await runScript('scripts/teardown.ts', []);
  assert.is(first.code, 0, first.stderr);
  assert.match(first.stderr, new RegExp(`the embedded cluster is down: stopped ${up.length} daemons`));
  const stopping = [...first.stderr.matchAll(/^… stopping (\S+)$/gm)].map((m) => m[1]);
  assert.equal(stopping, up.map((d) => d.name).reverse());
  assert.equal(pids.filter(alive), [], 'no daemon survives');
  assert.is((await sh({ nothrow: true })`pgrep -f ${'containerd-shim-runc-v2 -namespace k8s.io'}`).stdout.trim(), '');
  assert.equal(await ourMounts(paths), []);
  assert.is.not((await sh({ nothrow: true })`ip link show ${BRIDGE}`).exitCode, 0, 'the bridge is gone');
  assert.equal(await ourChains(sh), { nat: [], filter: [], mangle: [] });
  const second = await runScript('scripts/teardown.ts', []);
  assert.is(second.code, 0);
  assert.match(second.stderr, 'the embedded cluster was not running; nothing to tear down');
});

cluster.run();
