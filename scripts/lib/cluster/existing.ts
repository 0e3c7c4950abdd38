import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KObject } from '../manifests/objects.ts';
import { installCharts } from '../monitoring/helm.ts';
import type { Sh } from '../shell.ts';
import { chooseKubeConfig } from './choice.ts';
import type { ClusterInfo, ClusterProvider } from './provider.ts';
import { INFERENCE_IMAGE } from './versions.ts';

// The current kube context, usually a cloud cluster. It never creates or deletes a
// cluster; the image comes from the registry the overlay names.

export class ExistingProvider implements ClusterProvider {
  readonly name = 'existing' as const;

  private readonly $: Sh;
  private readonly log: (line: string) => void;

  constructor($: Sh, log: (line: string) => void) {
    this.$ = $;
    this.log = log;
  }

  async create(): Promise<ClusterInfo> {
    const { kc, source } = await chooseKubeConfig('existing');
    this.log(`using the existing cluster of context ${kc.getCurrentContext()} (${kc.getCurrentCluster()?.server})`);
    return { kubeconfig: source === 'KUBECONFIG' ? (process.env.KUBECONFIG ?? '') : join(homedir(), '.kube', 'config'), alreadyRunning: true };
  }

  async loadImage(): Promise<void> {
    this.log(`an existing cluster pulls the image from its registry: push ${INFERENCE_IMAGE} where the overlay's images: entry points`);
  }

  async installMonitoring(_objects: KObject[]): Promise<void> {
    await installCharts(this.$, this.log);
  }

  async teardown(): Promise<{ wasRunning: boolean }> {
    this.log('the existing cluster is left as it is: inferscale never deletes a cluster it did not create');
    return { wasRunning: true };
  }
}
