import { delimiter } from 'node:path';
import type { KObject } from '../manifests/objects.ts';
import { installCharts, type ChartOptions } from '../monitoring/helm.ts';
import { chartRelistSeconds } from '../monitoring/relist.ts';
import type { Sh } from '../shell.ts';
import { chooseKubeConfig } from './choice.ts';
import type { ClusterInfo, ClusterProvider } from './provider.ts';
import { INFERENCE_IMAGE } from '../manifests/image.ts';

// The current kube context, usually a cloud cluster. It never creates or deletes a
// cluster; the image comes from the registry the overlay names.

export class ExistingProvider implements ClusterProvider {
  readonly name = 'existing' as const;
  readonly defaultOverlay = 'overlays/cloud';

  private readonly $: Sh;
  private readonly log: (line: string) => void;
  private readonly env: NodeJS.ProcessEnv;
  private readonly charts: ChartOptions;

  constructor($: Sh, log: (line: string) => void, env: NodeJS.ProcessEnv = process.env, charts: ChartOptions = {}) {
    this.$ = $;
    this.log = log;
    this.env = env;
    this.charts = charts;
  }

  async create(): Promise<ClusterInfo> {
    const { kc, files } = await chooseKubeConfig({ named: true }, this.env);
    this.log(`using the existing cluster of context ${kc.getCurrentContext()} (${kc.getCurrentCluster()?.server})`);
    return { kubeconfig: files.join(delimiter), alreadyRunning: true };
  }

  async nodeAddress(): Promise<string | undefined> {
    // A cloud cluster's nodes are not this machine's to reach: the user names an ingress.
    return undefined;
  }

  relistSeconds(): Promise<number> {
    return chartRelistSeconds();
  }

  async loadImage(images: string[]): Promise<void> {
    this.log(`an existing cluster pulls images from its registry: push ${images.length > 0 ? images.join(', ') : INFERENCE_IMAGE} there (overlays/cloud deploys the image gitops/source/source.yaml names)`);
  }

  async installMonitoring(_objects: KObject[]): Promise<void> {
    await installCharts(this.$, this.log, this.charts);
  }

  async teardown(): Promise<{ wasRunning: boolean }> {
    this.log('the existing cluster is left as it is: inferscale never deletes a cluster it did not create');
    return { wasRunning: true };
  }
}
