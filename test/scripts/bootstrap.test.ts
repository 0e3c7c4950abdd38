import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bootstrapCluster } from '../../scripts/lib/bootstrap.ts';
import type { ClusterProvider } from '../../scripts/lib/cluster/provider.ts';
import { imagesOf, type KObject } from '../../scripts/lib/manifests/objects.ts';
import { renderOverlay } from '../../scripts/lib/manifests/render.ts';
import { repoPath } from '../../scripts/lib/paths.ts';
import { sh } from '../../scripts/lib/shell.ts';
import { countingShell } from '../helpers/counting-shell.ts';

// bootstrapCluster's own steps on a provider that records what it is asked (the providers'
// real steps are the cluster tests'): which images and which objects reach it.

function recordingProvider(calls: string[]): ClusterProvider {
  const provider: Partial<ClusterProvider> = {
    create: async () => ({ kubeconfig: '/nonexistent', alreadyRunning: true }),
    loadImage: async (images: string[]) => void calls.push(`loadImage ${images.join(' ')}`),
    installMonitoring: async (objects: KObject[]) => void calls.push(`installMonitoring ${objects.length}`),
    teardown: async () => {
      calls.push('teardown');
      return { wasRunning: true };
    },
  };
  return provider as ClusterProvider;
}

const test = suite('bootstrapCluster');

test('renders the overlay itself, or takes the objects its caller rendered without rendering again', async () => {
  const overlay = repoPath('overlays/local');
  const { objects } = await renderOverlay(sh, overlay);
  const expected = [`loadImage ${imagesOf(objects).join(' ')}`, `installMonitoring ${objects.length}`];
  for (const given of [undefined, objects]) {
    const commands: string[] = [];
    const calls: string[] = [];
    await bootstrapCluster(recordingProvider(calls), countingShell(commands), overlay, () => {}, given ? { objects: given } : {});
    assert.equal(calls, expected);
    assert.is(commands.filter((c) => c.startsWith('kubectl kustomize')).length, given ? 0 : 1);
  }
});

test.run();
