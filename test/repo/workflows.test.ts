import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { clusterPaths } from '../../scripts/lib/cluster/embedded/paths.ts';
import { actionlintComponent, buildComponent, componentDir } from '../../scripts/lib/cluster/embedded/toolchain.ts';
import { REPO_ROOT } from '../../scripts/lib/paths.ts';
import { sh } from '../../scripts/lib/shell.ts';

// The GitHub workflows, linted by actionlint (built from the Go module proxy, cached).

const component = actionlintComponent();
await buildComponent(sh, clusterPaths(), component, () => {});
const actionlint = join(componentDir(clusterPaths(), component), 'actionlint');
const lint = (cwd: string) =>
  promisify(execFile)(actionlint, ['-no-color', '-shellcheck=', '-pyflakes='], { cwd }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

const test = suite('the GitHub workflows');

test('lint clean with actionlint', async () => {
  const { code, out } = await lint(REPO_ROOT);
  assert.is(code, 0, out);
});

test('and actionlint fails a workflow that is wrong', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'workflows-'));
  await mkdir(join(dir, '.github/workflows'), { recursive: true });
  await promisify(execFile)('git', ['init', '-q'], { cwd: dir });
  await writeFile(join(dir, '.github/workflows/bad.yml'), 'on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.nope }}\n');
  const { code, out } = await lint(dir);
  assert.is(code, 1, out);
  assert.match(out, /property "nope" is not defined/);
});

test.run();
