import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../../scripts/lib/cli.ts';
import { ExistingProvider } from '../../../scripts/lib/cluster/existing.ts';
import { MinikubeProvider } from '../../../scripts/lib/cluster/minikube.ts';
import type { V1Service } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { adapterDaemon } from '../../../scripts/lib/cluster/embedded/monitoring.ts';
import { LocalProvider } from '../../../scripts/lib/cluster/local.ts';
import { clusterPaths } from '../../../scripts/lib/cluster/embedded/paths.ts';
import { targetUrl } from '../../../scripts/lib/loadtest/target.ts';
import { durationSeconds, type KObject } from '../../../scripts/lib/manifests/objects.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { chartReleases } from '../../../scripts/lib/monitoring/helm.ts';
import { OVERLAYS, repoPath } from '../../../scripts/lib/paths.ts';
import { createShell, sh } from '../../../scripts/lib/shell.ts';
import { kubeconfigFor, listenerFor, selfSignedPki } from '../../helpers/api-servers.ts';
import { rejects } from '../../helpers/assert.ts';

// Fake minikube, docker, helm and kubectl on PATH record the commands the providers issue;
// they check the arguments and their order, nothing else. `kubectl kustomize` stays real.

const realKubectl = (await sh`command -v kubectl`).stdout.trim();

async function fakes(behaviour: { minikubeRunning: boolean; flux: boolean; clusterAnswers: boolean; foreignRelease?: boolean }) {
  const dir = await mkdtemp(join(tmpdir(), 'fakes-'));
  const log = join(dir, 'calls.log');
  const record = (name: string, body: string) =>
    `#!/bin/sh\necho "${name} $*" >> ${log}\n${body}\n`;
  const files: Record<string, string> = {
    minikube: record('minikube', `case "$1" in status) ${behaviour.minikubeRunning ? 'echo Running; exit 0' : 'echo Stopped; exit 7'};; ip) echo 192.168.49.2;; esac; exit 0`),
    docker: record('docker', 'exit 0'),
    helm: record('helm', 'exit 0'),
    kubectl: `#!/bin/sh\nif [ "$1" = kustomize ]; then exec ${realKubectl} "$@"; fi\necho "kubectl $*" >> ${log}\ncase "$1 $2" in\n  "get crd") ${behaviour.flux ? 'echo customresourcedefinition/helmreleases.helm.toolkit.fluxcd.io; exit 0' : 'exit 1'};;\n  "cluster-info "*) ${behaviour.clusterAnswers ? 'exit 0' : 'echo "The connection to the server was refused" >&2; exit 1'};;\n  "config current-context") echo ci;;\n  "get secrets") ${behaviour.foreignRelease ? 'case "$*" in *installed-by*) ;; *name=kube-prometheus-stack*) echo secret/sh.helm.release.v1.kube-prometheus-stack.v3;; esac' : ''};;\nesac\nexit 0\n`,
  };
  for (const [name, text] of Object.entries(files)) {
    await writeFile(join(dir, name), text);
    await chmod(join(dir, name), 0o755);
  }
  const $ = createShell({ ...process.env, PATH: `${dir}:${process.env.PATH}` });
  const calls = async () => (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
  return { $, calls };
}

const quiet = () => {};
const providers = suite('the providers');

providers('minikube starts as in the walkthrough, then enables metrics-server', async () => {
  const { $, calls } = await fakes({ minikubeRunning: false, flux: false, clusterAnswers: true });
  const info = await new MinikubeProvider($, quiet).create();
  assert.is(info.alreadyRunning, false);
  assert.equal((await calls()).filter((c) => c.startsWith('minikube')), [
    'minikube status --format {{.APIServer}}',
    'minikube start -n 2 --memory 4400',
    'minikube addons enable metrics-server',
  ]);
});

providers('minikube does not start a second time when it runs', async () => {
  const { $, calls } = await fakes({ minikubeRunning: true, flux: false, clusterAnswers: true });
  assert.is((await new MinikubeProvider($, quiet).create()).alreadyRunning, true);
  assert.not.ok((await calls()).some((c) => c.startsWith('minikube start')));
});

providers('minikube builds the image with docker and loads it into the nodes', async () => {
  const { $, calls } = await fakes({ minikubeRunning: true, flux: false, clusterAnswers: true });
  await new MinikubeProvider($, quiet).loadImage();
  assert.equal(await calls(), ['docker build -f inference/Dockerfile -t inferscale/inference:0.1.0 .', 'minikube image load inferscale/inference:0.1.0']);
});

providers('installs the pinned charts with helm and exactly their values when Flux is absent', async () => {
  const { $, calls } = await fakes({ minikubeRunning: true, flux: false, clusterAnswers: true });
  await new MinikubeProvider($, quiet).installMonitoring([]);
  const helm = (await calls()).filter((c) => c.startsWith('helm'));
  const dir = repoPath('base/monitoring');
  assert.equal(helm, [
    `helm upgrade --install kube-prometheus-stack kube-prometheus-stack --repo https://prometheus-community.github.io/helm-charts --version 81.6.2 --namespace monitoring --create-namespace -f ${dir}/kube-prometheus-stack-values.yaml --labels inferscale.dev/installed-by=inferscale --wait --timeout 10m`,
    `helm upgrade --install prometheus-adapter prometheus-adapter --repo https://prometheus-community.github.io/helm-charts --version 5.1.0 --namespace monitoring --create-namespace -f ${dir}/prometheus-adapter-values.yaml -f ${dir}/adapter-rules.yaml --labels inferscale.dev/installed-by=inferscale --wait --timeout 10m`,
  ]);
});

providers('applies the HelmReleases and waits for them when Flux is installed', async () => {
  const { $, calls } = await fakes({ minikubeRunning: true, flux: true, clusterAnswers: true });
  await new ExistingProvider($, quiet).installMonitoring([]);
  const all = await calls();
  assert.not.ok(all.some((c) => c.startsWith('helm')));
  assert.equal(all.filter((c) => c.startsWith('kubectl apply') || c.startsWith('kubectl wait')), [
    `kubectl apply --server-side --field-manager=inferscale -k ${repoPath('base/monitoring')}`,
    'kubectl wait --for=condition=Ready helmrelease --all --namespace monitoring --timeout=15m',
  ]);
});

providers('stops before a Helm release of the same name that inferscale did not install, naming it, and changes nothing', async () => {
  const { $, calls } = await fakes({ minikubeRunning: true, flux: false, clusterAnswers: true, foreignRelease: true });
  await rejects(new ExistingProvider($, quiet).installMonitoring([]), (e) => e instanceof UserError && /^the Helm release kube-prometheus-stack in namespace monitoring exists and was not installed by inferscale \(no inferscale\.dev\/installed-by label\); nothing was changed: pass --adopt/.test(e.message));
  assert.not.ok((await calls()).some((c) => c.startsWith('helm')), 'helm never ran');
});

providers('upgrades it with --adopt, and with --dry-run says what it would install and installs nothing', async () => {
  const adopt = await fakes({ minikubeRunning: true, flux: false, clusterAnswers: true, foreignRelease: true });
  await new ExistingProvider(adopt.$, quiet, process.env, { adopt: true }).installMonitoring([]);
  assert.is((await adopt.calls()).filter((c) => c.startsWith('helm upgrade --install')).length, 2);
  const dry = await fakes({ minikubeRunning: true, flux: false, clusterAnswers: true });
  const lines: string[] = [];
  await new ExistingProvider(dry.$, (l) => lines.push(l), process.env, { dryRun: true }).installMonitoring([]);
  assert.not.ok((await dry.calls()).some((c) => c.startsWith('helm')));
  assert.equal(lines.map((l) => l.replace(/, values .*/, '')), [
    '--dry-run: would install kube-prometheus-stack 81.6.2 (https://prometheus-community.github.io/helm-charts) as kube-prometheus-stack in monitoring',
    '--dry-run: would install prometheus-adapter 5.1.0 (https://prometheus-community.github.io/helm-charts) as prometheus-adapter in monitoring',
  ]);
});

const pki = await selfSignedPki();

providers('existing never creates or deletes a cluster, and says so', async () => {
  const { $, calls } = await fakes({ minikubeRunning: false, flux: false, clusterAnswers: true });
  const server = await listenerFor('kubernetes', pki);
  try {
    const lines: string[] = [];
    const kubeconfig = await kubeconfigFor('kubernetes', server, pki);
    const p = new ExistingProvider($, (l) => lines.push(l), { ...process.env, KUBECONFIG: kubeconfig });
    const info = await p.create();
    assert.equal(info, { kubeconfig, alreadyRunning: true });
    assert.is((await p.teardown()).wasRunning, true);
    assert.not.ok((await calls()).some((c) => /minikube|delete/.test(c)));
    assert.match(lines.join('\n'), `using the existing cluster of context target (${server.server})`);
    assert.match(lines.join('\n'), 'never deletes a cluster it did not create');
    assert.equal(server.requests, ['GET /version']);
  } finally {
    await server.close();
  }
});

providers('existing refuses with one sentence when the context does not answer', async () => {
  const { $ } = await fakes({ minikubeRunning: false, flux: false, clusterAnswers: false });
  const closed = await listenerFor('refused', pki);
  const env = { ...process.env, KUBECONFIG: await kubeconfigFor('refused', closed, pki) };
  await rejects(new ExistingProvider($, quiet, env).create(), (e) => e instanceof UserError && e.message.startsWith(`cannot reach the Kubernetes API server at ${closed.server}: the connection was refused`));
});

providers('each provider names an overlay that exists as its default', async () => {
  const { $ } = await fakes({ minikubeRunning: true, flux: false, clusterAnswers: true });
  const all = [new LocalProvider({ $, paths: clusterPaths(), log: quiet }), new MinikubeProvider($, quiet), new ExistingProvider($, quiet)];
  assert.equal(all.map((p) => p.defaultOverlay).sort(), [...OVERLAYS].sort());
});

providers('the load goes to the NodePort on loopback, on the minikube IP, and nowhere by default on an existing cluster', async () => {
  const { $ } = await fakes({ minikubeRunning: true, flux: false, clusterAnswers: true });
  const { objects } = await renderOverlay(sh, repoPath('overlays/local'));
  const svc = objects.find((o) => o.kind === 'Service') as (V1Service & KObject) | undefined;
  const nodePort = svc?.spec?.ports?.find((p) => p.name === 'http')?.nodePort;
  assert.ok(nodePort);
  assert.is(await targetUrl(new LocalProvider({ $, paths: clusterPaths(), log: quiet }), objects), `http://127.0.0.1:${nodePort}`);
  assert.is(await targetUrl(new MinikubeProvider($, quiet), objects), `http://192.168.49.2:${nodePort}`);
  await rejects(targetUrl(new ExistingProvider($, quiet), objects), (e) => e instanceof UserError && /pass --target-url/.test(e.message));
  assert.is(await targetUrl(new ExistingProvider($, quiet), objects, 'https://ingress'), 'https://ingress');
});

providers("reads the relist from the host adapter's flag, or from the chart values", async () => {
  const { $ } = await fakes({ minikubeRunning: true, flux: false, clusterAnswers: true });
  const paths = clusterPaths();
  const flag = adapterDaemon(paths, '/bin').args.find((a) => a.startsWith('--metrics-relist-interval='));
  assert.is(await new LocalProvider({ $, paths, log: quiet }).relistSeconds(), durationSeconds(flag?.split('=')[1] ?? ''));
  const values = parse(await readFile(repoPath('base/monitoring/prometheus-adapter-values.yaml'), 'utf8')) as { metricsRelistInterval: string };
  assert.is(await new MinikubeProvider($, quiet).relistSeconds(), durationSeconds(values.metricsRelistInterval));
  assert.is(await new ExistingProvider($, quiet).relistSeconds(), durationSeconds(values.metricsRelistInterval));
});

providers('reads chart references from the HelmRelease objects Flux would use', async () => {
  const releases = await chartReleases(sh);
  assert.equal(releases.map((r) => `${r.release}@${r.version}`), ['kube-prometheus-stack@81.6.2', 'prometheus-adapter@5.1.0']);
});

providers.run();
