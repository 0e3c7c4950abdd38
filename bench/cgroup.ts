import { access, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// A cgroup of the bench's own with a pod's CPU limit, as the kubelet gives it: a CFS quota of
// limit x period. A server started in it has the CPU a pod with that limit has. cgroup v2
// (cpu.max) or v1 (the cpu and memory hierarchies); root only; where none can be made, undefined.

const ROOT = '/sys/fs/cgroup';
const PERIOD_US = 100_000;

export interface BenchCgroup {
  version: 1 | 2;
  /** `sh -c` words that enter the cgroup, then exec the command. */
  wrap(command: string[]): string[];
  peakMemoryBytes(): Promise<number | undefined>;
  remove(): Promise<void>;
}

const exists = (path: string) => access(path).then(() => true, () => false);
const quota = (limitCores: number) => Math.round(limitCores * PERIOD_US);
const enter = (procs: string[]) => `for p in ${procs.join(' ')}; do echo $$ > "$p" || exit 1; done; exec "$@"`;

async function v2(name: string, limitCores: number): Promise<BenchCgroup> {
  const path = join(ROOT, name);
  const controllers = await readFile(join(ROOT, 'cgroup.subtree_control'), 'utf8');
  if (!/\bcpu\b/.test(controllers) || !/\bmemory\b/.test(controllers)) await writeFile(join(ROOT, 'cgroup.subtree_control'), '+cpu +memory');
  await mkdir(path, { recursive: true });
  await writeFile(join(path, 'cpu.max'), `${quota(limitCores)} ${PERIOD_US}`);
  return {
    version: 2,
    wrap: (command) => ['/bin/sh', '-c', enter([join(path, 'cgroup.procs')]), 'sh', ...command],
    peakMemoryBytes: () => readFile(join(path, 'memory.peak'), 'utf8').then((t) => Number(t.trim()), () => undefined),
    remove: () => rmdir(path).catch(() => {}),
  };
}

async function v1(name: string, limitCores: number): Promise<BenchCgroup> {
  const cpu = join(ROOT, 'cpu', name);
  const memory = join(ROOT, 'memory', name);
  await mkdir(cpu, { recursive: true });
  await mkdir(memory, { recursive: true });
  await writeFile(join(cpu, 'cpu.cfs_period_us'), String(PERIOD_US));
  await writeFile(join(cpu, 'cpu.cfs_quota_us'), String(quota(limitCores)));
  return {
    version: 1,
    wrap: (command) => ['/bin/sh', '-c', enter([join(cpu, 'cgroup.procs'), join(memory, 'cgroup.procs')]), 'sh', ...command],
    peakMemoryBytes: () => readFile(join(memory, 'memory.max_usage_in_bytes'), 'utf8').then((t) => Number(t.trim()), () => undefined),
    remove: async () => {
      await rmdir(cpu).catch(() => {});
      await rmdir(memory).catch(() => {});
    },
  };
}

export async function cpuLimitedCgroup(name: string, limitCores: number): Promise<BenchCgroup | undefined> {
  try {
    if (await exists(join(ROOT, 'cgroup.controllers'))) return await v2(name, limitCores);
    if (await exists(join(ROOT, 'cpu', 'cpu.cfs_quota_us'))) return await v1(name, limitCores);
  } catch {
    // Not root, or a read-only cgroup filesystem: the caller says so.
  }
  return undefined;
}
