import { UserError } from '../cli.ts';
import type { KObject } from '../manifests/objects.ts';
import { installCharts } from '../monitoring/helm.ts';
import { chartRelistSeconds } from '../monitoring/relist.ts';
import { repoPath } from '../paths.ts';
import { tail, type Sh } from '../shell.ts';
import type { ClusterInfo, ClusterProvider } from './provider.ts';
import { INFERENCE_IMAGE, LLAMA_IMAGE } from '../manifests/image.ts';

// minikube, as in the original walkthrough: two nodes, 4400 MB, the metrics-server addon,
// the image built with docker and loaded into the nodes, monitoring from the pinned charts.

export const MINIKUBE_START = ['start', '-n', '2', '--memory', '4400'];

async function run($: Sh, what: string, cmd: Promise<{ exitCode: number | null; stderr: string }>): Promise<void> {
  const out = await cmd;
  if (out.exitCode !== 0) throw new UserError(`${what} failed:\n${tail(out.stderr)}`);
}

export class MinikubeProvider implements ClusterProvider {
  readonly name = 'minikube' as const;
  readonly defaultOverlay = 'overlays/minikube';
  /** kubectl apply -k gitops/flux/minikube (or gitops/argocd/minikube), once the controller is installed. */
  readonly gitopsEntryPoints = { flux: 'gitops/flux/minikube', argocd: 'gitops/argocd/minikube' };

  private readonly $: Sh;
  private readonly log: (line: string) => void;

  constructor($: Sh, log: (line: string) => void) {
    this.$ = $;
    this.log = log;
  }

  async create(): Promise<ClusterInfo> {
    const $ = this.$({ nothrow: true });
    if ((await $`command -v minikube`).exitCode !== 0) throw new UserError('minikube is not installed; see https://minikube.sigs.k8s.io, or use --provider local.');
    const status = await $`minikube status --format {{.APIServer}}`;
    const running = status.exitCode === 0 && status.stdout.includes('Running');
    if (running) {
      this.log('minikube is already running');
    } else {
      this.log(`minikube ${MINIKUBE_START.join(' ')}`);
      await run(this.$, 'minikube start', $`minikube ${MINIKUBE_START}`);
    }
    await run(this.$, 'enabling the metrics-server addon', $`minikube addons enable metrics-server`);
    return { kubeconfig: process.env.KUBECONFIG ?? `${process.env.HOME}/.kube/config`, alreadyRunning: running };
  }

  async nodeAddress(): Promise<string | undefined> {
    const ip = await this.$({ nothrow: true })`minikube ip`;
    if (ip.exitCode !== 0) throw new UserError(`minikube ip failed; is minikube running?\n${tail(ip.stderr)}`);
    return ip.stdout.trim();
  }

  relistSeconds(): Promise<number> {
    return chartRelistSeconds();
  }

  async loadImage(images: string[] = [INFERENCE_IMAGE]): Promise<void> {
    const $ = this.$({ nothrow: true, cwd: repoPath() });
    // Ours, each from its Containerfile; an overlay's other images come from their registries.
    for (const [image, file] of [[INFERENCE_IMAGE, 'inference/Dockerfile'], [LLAMA_IMAGE, 'inference/llama.Dockerfile']] as const) {
      if (!images.includes(image)) continue;
      await run(this.$, 'docker build', $`docker build -f ${file} -t ${image} .`);
      await run(this.$, 'minikube image load', $`minikube image load ${image}`);
    }
  }

  async installMonitoring(_objects: KObject[]): Promise<void> {
    await installCharts(this.$, this.log);
  }

  async teardown(): Promise<{ wasRunning: boolean }> {
    const status = await this.$({ nothrow: true })`minikube status --format {{.Host}}`;
    if (status.exitCode !== 0 && !status.stdout.includes('Running')) {
      this.log('minikube was not running; nothing to tear down');
      return { wasRunning: false };
    }
    await run(this.$, 'minikube delete', this.$({ nothrow: true })`minikube delete`);
    return { wasRunning: true };
  }
}
