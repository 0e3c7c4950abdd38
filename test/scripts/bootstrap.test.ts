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
// real steps are the cluster tests'): the cluster first, then the overlay rendered once and
// handed to the image and monitoring steps and back to the caller.

function recordingProvider(calls: string[]): ClusterProvider {
  const provider: Partial<ClusterProvider> = {
    create: async () => {
      calls.push('create');
      return { kubeconfig: '/nonexistent', alreadyRunning: true };
    },
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

test('creates the cluster first, then renders the overlay once and hands those objects to every step and back', async () => {
  const overlay = repoPath('overlays/local');
  const { objects } = await renderOverlay(sh, overlay);
  const commands: string[] = [];
  const calls: string[] = [];
  const info = await bootstrapCluster(recordingProvider(calls), countingShell(commands), overlay, () => {});
  assert.equal(calls, ['create', `loadImage ${imagesOf(objects).join(' ')}`, `installMonitoring ${objects.length}`]);
  assert.is(commands.filter((c) => c.startsWith('kubectl kustomize')).length, 1);
  assert.equal(info.rendered.objects, objects);
});

test.run();
