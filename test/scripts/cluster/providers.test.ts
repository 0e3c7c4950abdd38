import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../../scripts/lib/cli.ts';
import { ExistingProvider } from '../../../scripts/lib/cluster/existing.ts';
import { MinikubeProvider } from '../../../scripts/lib/cluster/minikube.ts';
import { chartReleases } from '../../../scripts/lib/monitoring/helm.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';
import { createShell, sh } from '../../../scripts/lib/shell.ts';
import { rejects } from '../../helpers/assert.ts';

// Fake minikube, docker, helm and kubectl on PATH record the commands the providers issue;
// they check the arguments and their order, nothing else. `kubectl kustomize` stays real.

const realKubectl = (await sh`command -v kubectl`).stdout.trim();

async function fakes(behaviour: { minikubeRunning: boolean; flux: boolean; clusterAnswers: boolean }) {
  const dir = await mkdtemp(join(tmpdir(), 'fakes-'));
  const log = join(dir, 'calls.log');
  const record = (name: string, body: string) =>
    `#!/bin/sh\necho "${name} $*" >> ${log}\n${body}\n`;
  const files: Record<string, string> = {
    minikube: record('minikube', `case "$1" in status) ${behaviour.minikubeRunning ? 'echo Running; exit 0' : 'echo Stopped; exit 7'};; ip) echo 192.168.49.2;; esac; exit 0`),
    docker: record('docker', 'exit 0'),
    helm: record('helm', 'exit 0'),
    kubectl: `#!/bin/sh\nif [ "$1" = kustomize ]; then exec ${realKubectl} "$@"; fi\necho "kubectl $*" >> ${log}\ncase "$1 $2" in\n  "get crd") ${behaviour.flux ? 'echo customresourcedefinition/helmreleases.helm.toolkit.fluxcd.io; exit 0' : 'exit 1'};;\n  "cluster-info "*) ${behaviour.clusterAnswers ? 'exit 0' : 'echo "The connection to the server was refused" >&2; exit 1'};;\n  "config current-context") echo ci;;\nesac\nexit 0\n`,
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
const providers = suite('the minikube and existing providers');

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
    `helm upgrade --install kube-prometheus-stack kube-prometheus-stack --repo https://prometheus-community.github.io/helm-charts --version 81.6.2 --namespace monitoring --create-namespace -f ${dir}/kube-prometheus-stack-values.yaml --wait --timeout 10m`,
    `helm upgrade --install prometheus-adapter prometheus-adapter --repo https://prometheus-community.github.io/helm-charts --version 5.1.0 --namespace monitoring --create-namespace -f ${dir}/prometheus-adapter-values.yaml -f ${dir}/adapter-rules.yaml --wait --timeout 10m`,
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

providers('existing never creates or deletes a cluster, and says so', async () => {
  const { $, calls } = await fakes({ minikubeRunning: false, flux: false, clusterAnswers: true });
  const lines: string[] = [];
  const p = new ExistingProvider($, (l) => lines.push(l));
  assert.is((await p.create()).alreadyRunning, true);
  assert.is((await p.teardown()).wasRunning, true);
  assert.not.ok((await calls()).some((c) => /minikube|delete/.test(c)));
  assert.match(lines.join('\n'), 'never deletes a cluster it did not create');
});

providers('existing refuses with one sentence when the context does not answer', async () => {
  const { $ } = await fakes({ minikubeRunning: false, flux: false, clusterAnswers: false });
  await rejects(new ExistingProvider($, quiet).create(), (e) => e instanceof UserError && /^the current kube context does not answer \(The connection to the server was refused\)/.test(e.message));
});

providers('reads chart references from the HelmRelease objects Flux would use', async () => {
  const releases = await chartReleases(sh);
  assert.equal(releases.map((r) => `${r.release}@${r.version}`), ['kube-prometheus-stack@81.6.2', 'prometheus-adapter@5.1.0']);
});

providers.run();
