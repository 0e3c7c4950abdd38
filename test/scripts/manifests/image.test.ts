import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../../scripts/lib/cli.ts';
import { setOverlayImage } from '../../../scripts/lib/manifests/image.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';
import { sh } from '../../../scripts/lib/shell.ts';

const test = suite('setting the image an overlay of its own deploys');

/** An overlay with its own images: entry (as overlays/local-llm has) on a copy of base/, so the real kustomize renders it. */
async function overlayCopy(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'image-'));
  await cp(repoPath('base'), join(root, 'base'), { recursive: true });
  await mkdir(join(root, 'overlays/mine'), { recursive: true });
  await writeFile(
    join(root, 'overlays/mine/kustomization.yaml'),
    '# A managed cloud cluster of our own\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../../base/app]\nimages:\n  - name: inferscale/inference\n    newName: ghcr.io/inferscale/inference\n    newTag: 0.1.0\n',
  );
  return join(root, 'overlays/mine');
}

const imageOf = async (overlay: string) => {
  const { objects } = await renderOverlay(sh, overlay);
  const d = objects.find((o) => o.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: { image: string }[] } } } };
  return d.spec.template.spec.containers[0]?.image;
};

test('writes the tag and name that kustomize then renders, keeping the comments', async () => {
  const overlay = await overlayCopy();
  const change = await setOverlayImage(join(overlay, 'kustomization.yaml'), '0.2.0', 'ghcr.io/my-fork/inference');
  assert.equal(change, { from: 'ghcr.io/inferscale/inference:0.1.0', to: 'ghcr.io/my-fork/inference:0.2.0' });
  assert.is(await imageOf(overlay), 'ghcr.io/my-fork/inference:0.2.0');
  assert.match(await readFile(join(overlay, 'kustomization.yaml'), 'utf8'), /# A managed cloud cluster of our own/);
});

test('refuses a tag or name that is not one, and a kustomization without the entry, in one sentence', async () => {
  const overlay = await overlayCopy();
  const file = join(overlay, 'kustomization.yaml');
  for (const [tag, name] of [['0.2.0 ; rm', undefined], ['-x', undefined], ['0.2.0', 'Not An Image']] as const) {
    const error = await setOverlayImage(file, tag, name).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof UserError, `${tag} ${name}`);
  }
  await writeFile(file, 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../../base/app]\n');
  const missing = await setOverlayImage(file, '0.2.0').then(() => undefined, (e: unknown) => e);
  assert.ok(missing instanceof UserError && /has no images: entry named inferscale\/inference/.test(missing.message));
  assert.is(await imageOf(overlay), 'inferscale/inference:0.1.0', 'nothing written on a refusal');
});

test.run();
