import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../../scripts/lib/cli.ts';
import { readSource, setSourceImage, SOURCE_FILE, writeSource, type Source } from '../../../scripts/lib/gitops/source.ts';
import type { KObject } from '../../../scripts/lib/manifests/objects.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';
import { sh } from '../../../scripts/lib/shell.ts';

const test = suite("a fork's source, in one file");

const FORK: Source = { url: 'https://github.com/my-team/inferscale.git', revision: 'production', image: 'ghcr.io/my-team/inference:0.2.0' };
/** Every folder a user applies or a controller renders from Git, whose objects name the source. */
const ENTRY_POINTS = ['gitops/flux/minikube', 'gitops/flux/cloud', 'gitops/argocd/minikube', 'gitops/argocd/cloud', 'gitops/argocd/apps/minikube', 'gitops/argocd/apps/cloud', 'overlays/cloud'];

/** A copy of what the entry points render from, so the real kustomize renders the fork's edit. */
async function forkCopy(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'fork-'));
  for (const dir of ['gitops', 'base', 'components', 'overlays/cloud']) await cp(repoPath(dir), join(root, dir), { recursive: true });
  return root;
}

interface Named {
  url?: string;
  ref?: { branch?: string };
  source?: { repoURL: string; targetRevision: string };
  sources?: { repoURL: string; targetRevision: string; ref?: string; chart?: string }[];
  template?: { spec: { containers: { name: string; image: string }[] } };
}
const specOf = (o: KObject) => (o as unknown as { spec: Named }).spec;

/** Each place an object names a repository, a revision or an image, as [where, what it names]. */
function namedSources(objects: KObject[]): { where: string; url?: string; revision?: string; image?: string }[] {
  const out: { where: string; url?: string; revision?: string; image?: string }[] = [];
  for (const o of objects) {
    const s = specOf(o);
    const where = `${o.kind}/${o.metadata.name}`;
    if (o.kind === 'GitRepository') out.push({ where, url: s.url, revision: s.ref?.branch });
    if (o.kind === 'Application' && s.source) out.push({ where, url: s.source.repoURL, revision: s.source.targetRevision });
    for (const src of (o.kind === 'Application' ? s.sources : undefined) ?? []) {
      // A chart's own repository and version are pinned, not the fork's.
      if (!src.chart) out.push({ where: `${where} (${src.ref ?? 'source'})`, url: src.repoURL, revision: src.targetRevision });
    }
    for (const c of (o.kind === 'Deployment' ? s.template?.spec.containers : undefined) ?? []) out.push({ where: `${where} ${c.name}`, image: c.image });
  }
  return out;
}

test('the committed source names this repository, its main branch and the image the release publishes', async () => {
  const source = await readSource();
  assert.equal(source, { url: 'https://github.com/inferscale/inferscale.git', revision: 'main', image: 'ghcr.io/inferscale/inference:0.1.0' });
});

test("every GitRepository, Application and the cloud's image follow the fork's URL, branch and image set in the one file", async () => {
  const root = await forkCopy();
  const changed = await writeSource(join(root, SOURCE_FILE), FORK);
  assert.equal(changed.map((c) => c.key), ['url', 'revision', 'image']);
  const kinds = new Set<string>();
  for (const entry of ENTRY_POINTS) {
    const objects = (await renderOverlay(sh, join(root, entry))).objects;
    const named = namedSources(objects);
    assert.ok(named.length > 0, `${entry} names a source`);
    for (const n of named) {
      kinds.add(n.where.split('/')[0] as string);
      if (n.image !== undefined) assert.is(n.image, FORK.image, n.where);
      else assert.equal([n.url, n.revision], [FORK.url, FORK.revision], `${entry}: ${n.where}`);
    }
    const text = JSON.stringify(objects);
    assert.not.match(text, /inferscale\/inferscale\.git|ghcr\.io\/inferscale\//, `${entry} names nothing of the upstream repository`);
    assert.not.ok(objects.some((o) => o.metadata.name === 'inferscale-source'), `${entry}: the source ConfigMap is not applied`);
  }
  assert.equal([...kinds].sort(), ['Application', 'Deployment', 'GitRepository']);
  assert.match(await readFile(join(root, SOURCE_FILE), 'utf8'), /# Where your fork lives/, 'comments kept');
});

test('the release writes the image tag (and name) into the source, which overlays/cloud then deploys', async () => {
  const root = await forkCopy();
  const file = join(root, SOURCE_FILE);
  assert.equal(await setSourceImage(file, '0.3.0'), { from: 'ghcr.io/inferscale/inference:0.1.0', to: 'ghcr.io/inferscale/inference:0.3.0' });
  assert.equal(await setSourceImage(file, '0.3.1', 'registry.example:5000/team/inference'), { from: 'ghcr.io/inferscale/inference:0.3.0', to: 'registry.example:5000/team/inference:0.3.1' });
  const deployment = namedSources((await renderOverlay(sh, join(root, 'overlays/cloud'))).objects).find((n) => n.image);
  assert.is(deployment?.image, 'registry.example:5000/team/inference:0.3.1');
});

test('a value that is not a Git URL, a branch or a tagged image is refused in one sentence, and nothing is written', async () => {
  const root = await forkCopy();
  const file = join(root, SOURCE_FILE);
  const before = await readFile(file, 'utf8');
  const cases: Partial<Source>[] = [
    { url: 'not a url' },
    { url: 'github.com/my-team/inferscale' },
    { revision: '-rf' },
    { revision: 'a..b' },
    { image: 'ghcr.io/my-team/inference' },
    { image: 'Bad Image:1' },
    { url: FORK.url, image: 'ghcr.io/my-team/inference:bad tag' },
  ];
  for (const c of cases) {
    const error = await writeSource(file, c).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof UserError && !error.message.includes('\n'), JSON.stringify(c));
  }
  assert.is(await readFile(file, 'utf8'), before);
  for (const url of ['git@github.com:my-team/inferscale.git', 'ssh://git@github.com/my-team/inferscale.git', 'http://127.0.0.1:9480/inferscale.git']) {
    await writeSource(file, { url });
    assert.is((await readSource(file)).url, url);
  }
});

test('a source file without a value or not a ConfigMap with data is named in one sentence', async () => {
  const root = await forkCopy();
  const file = join(root, SOURCE_FILE);
  await writeFile(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: inferscale-source}\ndata:\n  url: https://github.com/a/b.git\n  revision: main\n');
  const missing = await readSource(file).then(() => undefined, (e: unknown) => e);
  assert.ok(missing instanceof UserError && /has no data\.image/.test(missing.message));
  await writeFile(file, 'just: [a list\n');
  const broken = await readSource(file).then(() => undefined, (e: unknown) => e);
  assert.ok(broken instanceof UserError && /is not the source ConfigMap/.test(broken.message));
  const absent = await readSource(join(root, 'nope.yaml')).then(() => undefined, (e: unknown) => e);
  assert.ok(absent instanceof UserError && /cannot read/.test(absent.message));
});

test.run();
