import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../../scripts/lib/cli.ts';
import { clusterPaths } from '../../../scripts/lib/cluster/embedded/paths.ts';
import { CGROUP_CONTROLLERS, missingCgroupControllers, requirePortsFree, requireRootOnLinux } from '../../../scripts/lib/cluster/embedded/preflight.ts';
import { buildComponent } from '../../../scripts/lib/cluster/embedded/toolchain.ts';
import { sh } from '../../../scripts/lib/shell.ts';
import { rejects } from '../../helpers/assert.ts';

const preflight = suite('the embedded cluster preflight');

const userError = (pattern: RegExp) => (e: unknown) => e instanceof UserError && pattern.test(e.message);

preflight('refuses to run anywhere but Linux, naming the alternatives', () => {
  assert.throws(() => requireRootOnLinux('darwin', 0), userError(/needs Linux; this is darwin\. Use --provider minikube or existing\./));
});

preflight('refuses to run without root, saying how to fix it', () => {
  assert.throws(() => requireRootOnLinux('linux', 1000), userError(/needs root .*run it with sudo or as root\./));
  assert.not.throws(() => requireRootOnLinux('linux', 0));
});

preflight('names every missing cgroup controller of a v1 hierarchy', async () => {
  const root = await mkdtemp(join(tmpdir(), 'cgroup-'));
  for (const c of CGROUP_CONTROLLERS.filter((c) => c !== 'pids' && c !== 'freezer')) await mkdir(join(root, c));
  assert.equal(await missingCgroupControllers(root), ['pids', 'freezer']);
});

preflight('reads a v2 hierarchy from cgroup.controllers', async () => {
  const root = await mkdtemp(join(tmpdir(), 'cgroup-'));
  await writeFile(join(root, 'cgroup.controllers'), 'cpuset cpu io pids\n');
  assert.equal(await missingCgroupControllers(root), ['memory']);
});

preflight('names a taken port, what needs it and who holds it', async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
  const port = (server.address() as { port: number }).port;
  try {
    await rejects(
      requirePortsFree(sh, { 'kube-apiserver': port }),
      userError(new RegExp(`^port ${port}, which kube-apiserver needs, is taken( by \\S+ \\(pid ${process.pid}\\))?; stop that process or run teardown first\\.$`)),
    );
  } finally {
    server.close();
  }
});

preflight('shows the end of the build log when a Go build fails', async () => {
  const cache = await mkdtemp(join(tmpdir(), 'toolchain-'));
  const paths = clusterPaths({ INFERSCALE_CACHE: cache });
  const broken = {
    name: 'broken',
    version: 'v0.0.1',
    binaries: ['broken'],
    goMod: 'module inferscale.local/broken-build\n\ngo 1.26\n',
    steps: [['build', '-o', '{OUT}/broken', './does-not-exist']],
  };
  await rejects(buildComponent(sh, paths, broken, () => {}), userError(/^building broken v0\.0\.1 failed \(go build\); the end of .*build\.log:\n.*does-not-exist/s));
});

preflight.run();
