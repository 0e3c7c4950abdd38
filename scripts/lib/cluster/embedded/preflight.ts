import { access, readFile, readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { UserError } from '../../cli.ts';
import type { Sh } from '../../shell.ts';

// What the embedded cluster needs from the machine, each checked with a sentence that
// names what is missing and what to do.

export const CGROUP_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'devices', 'freezer'];

export function requireRootOnLinux(platform = process.platform, uid = process.getuid?.()): void {
  if (platform !== 'linux') throw new UserError(`the local provider runs Kubernetes on this machine and needs Linux; this is ${platform}. Use --provider minikube or existing.`);
  if (uid !== 0) throw new UserError('the local provider needs root (it runs containerd, the kubelet and iptables); run it with sudo or as root.');
}

export async function missingCgroupControllers(root = '/sys/fs/cgroup'): Promise<string[]> {
  const v2 = await readFile(`${root}/cgroup.controllers`, 'utf8').catch(() => undefined);
  if (v2 !== undefined) {
    const have = new Set(v2.trim().split(/\s+/));
    return ['cpu', 'cpuset', 'memory', 'pids'].filter((c) => !have.has(c));
  }
  const entries = new Set(await readdir(root).catch(() => [] as string[]));
  return CGROUP_CONTROLLERS.filter((c) => !entries.has(c));
}

export async function checkKernel($: Sh): Promise<void> {
  const missing = await missingCgroupControllers();
  if (missing.length > 0) throw new UserError(`the kernel lacks the cgroup controller(s) ${missing.join(', ')} that the kubelet needs; enable them at boot (cgroup_enable=...).`);
  const filesystems = await readFile('/proc/filesystems', 'utf8');
  if (!/\boverlay\b/.test(filesystems)) {
    await $({ nothrow: true })`modprobe overlay`;
    if (!/\boverlay\b/.test(await readFile('/proc/filesystems', 'utf8'))) throw new UserError('the kernel has no overlay filesystem, which containerd needs for images; load it with `modprobe overlay`.');
  }
  if (!(await access('/proc/sys/net/bridge/bridge-nf-call-iptables').then(() => true, () => false))) {
    await $({ nothrow: true })`modprobe br_netfilter`;
    if (!(await access('/proc/sys/net/bridge/bridge-nf-call-iptables').then(() => true, () => false))) {
      throw new UserError('the kernel has no br_netfilter, which Service traffic between pods needs; load it with `modprobe br_netfilter`.');
    }
  }
  const nat = await $({ nothrow: true })`iptables -t nat -S`;
  if (nat.exitCode !== 0) throw new UserError(`iptables cannot read the nat table (${nat.stderr.trim()}); kube-proxy needs it.`);
}

export function portFree(port: number, host = '0.0.0.0'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** Fails with the first taken port and, when ss can tell, the process holding it. */
export async function requirePortsFree($: Sh, ports: Record<string, number>): Promise<void> {
  for (const [what, port] of Object.entries(ports)) {
    if (await portFree(port)) continue;
    const holder = (await $({ nothrow: true })`ss -Hltnp ${`sport = :${port}`}`).stdout.match(/users:\(\("([^"]+)",pid=(\d+)/);
    const by = holder ? ` by ${holder[1]} (pid ${holder[2]})` : '';
    throw new UserError(`port ${port}, which ${what} needs, is taken${by}; stop that process or run teardown first.`);
  }
}
