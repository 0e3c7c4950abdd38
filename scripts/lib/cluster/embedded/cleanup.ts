import { readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sh } from '../../shell.ts';
import { BRIDGE } from './network.ts';
import type { ClusterPaths } from './paths.ts';

// Removing what the embedded cluster leaves in the kernel: mounts, network interfaces,
// iptables chains and cgroups. Each step is safe to run when there is nothing to remove.

/** Mount points under our folders (and the pod network namespaces), deepest first. */
export async function ourMounts(paths: ClusterPaths): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const prefixes = [paths.state, paths.containerdState, join(paths.pids, '..'), '/run/netns/cni-', '/var/run/netns/cni-'];
  return info
    .split('\n')
    .map((line) => line.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((mp): mp is string => mp !== undefined && prefixes.some((p) => mp.startsWith(p)))
    .sort((a, b) => b.length - a.length);
}

export async function unmountAll($: Sh, paths: ClusterPaths): Promise<number> {
  let count = 0;
  for (let pass = 0; pass < 3; pass++) {
    const mounts = await ourMounts(paths);
    if (mounts.length === 0) break;
    for (const mp of mounts) {
      if ((await $({ nothrow: true })`umount ${mp}`).exitCode !== 0) await $({ nothrow: true })`umount -l ${mp}`;
      count += 1;
    }
  }
  for (const dir of ['/run/netns', '/var/run/netns']) {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (name.startsWith('cni-')) await rm(join(dir, name), { force: true });
    }
  }
  return count;
}

/** The bridge and every veth enslaved to it. */
export async function removeLinks($: Sh): Promise<string[]> {
  const removed: string[] = [];
  const slaves = await $({ nothrow: true })`ip -o link show master ${BRIDGE}`;
  for (const m of slaves.stdout.matchAll(/^\d+: ([^@:]+)/gm)) {
    if (m[1] && (await $({ nothrow: true })`ip link delete ${m[1]}`).exitCode === 0) removed.push(m[1]);
  }
  if ((await $({ nothrow: true })`ip link show ${BRIDGE}`).exitCode === 0) {
    await $({ nothrow: true })`ip link delete ${BRIDGE}`;
    removed.push(BRIDGE);
  }
  return removed;
}

const OUR_CHAIN = /^(KUBE-|CNI-)/;

/** iptables chains kube-proxy, the kubelet and the CNI plugins made, per table. */
export async function ourChains($: Sh): Promise<Record<string, string[]>> {
  const found: Record<string, string[]> = {};
  for (const table of ['nat', 'filter', 'mangle']) {
    const rules = await $({ nothrow: true })`iptables -t ${table} -S`;
    found[table] = [...rules.stdout.matchAll(/^-N (\S+)$/gm)].map((m) => m[1] as string).filter((c) => OUR_CHAIN.test(c));
  }
  return found;
}

export async function removeChains($: Sh): Promise<number> {
  let removed = 0;
  for (const table of ['nat', 'filter', 'mangle']) {
    const rules = (await $({ nothrow: true })`iptables -t ${table} -S`).stdout.split('\n');
    const chains = rules.map((r) => /^-N (\S+)$/.exec(r)?.[1]).filter((c): c is string => c !== undefined && OUR_CHAIN.test(c));
    // Rules elsewhere that jump into our chains go first, by position, last first.
    const others = new Set(rules.map((r) => /^-[PN] (\S+)/.exec(r)?.[1]).filter((c): c is string => c !== undefined && !OUR_CHAIN.test(c)));
    for (const chain of others) {
      const listed = (await $({ nothrow: true })`iptables -t ${table} -S ${chain}`).stdout.split('\n').filter((r) => r.startsWith('-A '));
      const positions = listed.flatMap((r, i) => (/ -j (KUBE-|CNI-)/.test(r) ? [i + 1] : [])).reverse();
      for (const n of positions) await $({ nothrow: true })`iptables -t ${table} -D ${chain} ${n}`;
    }
    for (const chain of chains) await $({ nothrow: true })`iptables -t ${table} -F ${chain}`;
    for (const chain of chains) if ((await $({ nothrow: true })`iptables -t ${table} -X ${chain}`).exitCode === 0) removed += 1;
  }
  return removed;
}

/** The kubelet's cgroup trees (kubepods), removed bottom-up once no process is left in them. */
export async function removeCgroups(root = '/sys/fs/cgroup'): Promise<number> {
  let removed = 0;
  async function prune(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory()) await prune(join(dir, e.name));
    if (await rmdir(dir).then(() => true, () => false)) removed += 1;
  }
  for (const controller of await readdir(root).catch(() => [] as string[])) {
    for (const top of ['kubepods', 'kubepods.slice']) await prune(join(root, controller, top));
  }
  return removed;
}
