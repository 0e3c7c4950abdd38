import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// A cgroup v2 of the bench's own, with a pod's CPU limit as cpu.max: a server started in it
// has the CPU a pod with that limit has. Root only; where none can be made, undefined.

const ROOT = '/sys/fs/cgroup';

export interface BenchCgroup {
  path: string;
  /** `sh -c` words that enter the cgroup, then exec the command. */
  wrap(command: string[]): string[];
  peakMemoryBytes(): Promise<number | undefined>;
  remove(): Promise<void>;
}

export async function cpuLimitedCgroup(name: string, limitCores: number): Promise<BenchCgroup | undefined> {
  const path = join(ROOT, name);
  try {
    const controllers = await readFile(join(ROOT, 'cgroup.subtree_control'), 'utf8');
    if (!/\bcpu\b/.test(controllers) || !/\bmemory\b/.test(controllers)) await writeFile(join(ROOT, 'cgroup.subtree_control'), '+cpu +memory');
    await mkdir(path, { recursive: true });
    const period = 100_000;
    await writeFile(join(path, 'cpu.max'), `${Math.round(limitCores * period)} ${period}`);
  } catch {
    return undefined;
  }
  return {
    path,
    wrap: (command) => ['/bin/sh', '-c', `echo $$ > ${join(path, 'cgroup.procs')} && exec "$@"`, 'sh', ...command],
    peakMemoryBytes: () => readFile(join(path, 'memory.peak'), 'utf8').then((t) => Number(t.trim()), () => undefined),
    remove: () => rmdir(path).catch(() => {}),
  };
}
