import { access, chmod, cp, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { progress, UserError } from '../../cli.ts';
import { tail, type Sh } from '../../shell.ts';
import type { ClusterPaths } from './paths.ts';
import { repoPath } from '../../paths.ts';
import {
  GO_127_TOOLCHAIN,
  ARGOCD_VERSION,
  DEBIAN_PACKAGES,
  KUSTOMIZE_VERSION,
  ETCD_VERSION,
  FLUX_KUSTOMIZE_CONTROLLER_VERSION,
  FLUX_SOURCE_CONTROLLER_VERSION,
  ACTIONLINT_VERSION,
  HELM_VERSION,
  KEDA_VERSION,
  KUBERNETES_COMPONENTS,
  KUBERNETES_FALLBACK_VERSION,
  KUBERNETES_STAGING,
  KUBERNETES_VERSION,
  METRICS_SERVER_VERSION,
  PROMETHEUS_ADAPTER_VERSION,
  PROMETHEUS_VERSION,
} from '../versions.ts';

// Builds the cluster's Go components from the Go module proxy into version-keyed folders.
// A folder with a matching stamp is never rebuilt; GOCACHE and GOMODCACHE stay warm too.

export interface GoComponent {
  name: string;
  version: string;
  binaries: string[];
  /** The wrapper module's go.mod: upstream modules with replace directives cannot be `go install`ed. */
  goMod: string;
  /** go subcommands run in the wrapper module, in order; OUT stands for the output folder. */
  steps: string[][];
  /** Folders copied from a module (as the wrapper resolved it) into the output folder: CRDs. */
  copies?: { module: string; from: string; to: string; executable?: boolean }[];
  /** Another name for a binary (a multi-call binary picks its part from argv[0]). */
  links?: Record<string, string>;
  /** A module whose own replace directives the wrapper takes over (a dependency's are ignored), but for local ones. */
  replacesOf?: string;
  /** GOTOOLCHAIN for a module that needs a newer Go than this machine's (fetched through the proxy). */
  toolchain?: string;
  /** A module of this repository, built where it is with its own pinned go.mod and go.sum (no wrapper). */
  moduleDir?: string;
}

const OUT = '{OUT}';

function wrapperGoMod(name: string, requires: string[] = [], replaces: string[] = [], go = '1.26'): string {
  const lines = [`module inferscale.local/${name}-build`, '', `go ${go}`, ''];
  for (const r of requires) lines.push(`require ${r}`);
  if (replaces.length > 0) lines.push('', ...replaces.map((r) => `replace ${r}`));
  return `${lines.join('\n')}\n`;
}

export function kubernetesLdflags(version: string): string {
  const [major, minor] = version.replace(/^v/, '').split('.');
  const stamps = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=${version}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
    `-X ${pkg}.buildDate=1970-01-01T00:00:00Z`,
  ]);
  return ['-s', '-w', ...stamps].join(' ');
}

export function kubernetesComponent(version: string): GoComponent {
  const staging = version.replace(/^v1\./, 'v0.');
  return {
    name: 'kubernetes',
    version,
    binaries: KUBERNETES_COMPONENTS,
    goMod: wrapperGoMod('kubernetes', [`k8s.io/kubernetes ${version}`], KUBERNETES_STAGING.map((m) => `k8s.io/${m} => k8s.io/${m} ${staging}`)),
    steps: [['build', '-trimpath', '-ldflags', kubernetesLdflags(version), '-o', `${OUT}/`, ...KUBERNETES_COMPONENTS.map((c) => `k8s.io/kubernetes/cmd/${c}`)]],
  };
}

function goGetAndBuild(name: string, module: string, version: string, pkg: string, binary: string, tags: string[] = []): GoComponent {
  const tagArgs = tags.length > 0 ? ['-tags', tags.join(',')] : [];
  return {
    name,
    version,
    binaries: [binary],
    goMod: wrapperGoMod(name),
    steps: [
      ['get', `${module}@${version}`],
      ['build', '-trimpath', ...tagArgs, '-ldflags', '-s -w', '-o', `${OUT}/${binary}`, pkg],
    ],
  };
}

export const etcdComponent = (): GoComponent =>
  goGetAndBuild('etcd', 'go.etcd.io/etcd/server/v3', ETCD_VERSION, 'go.etcd.io/etcd/server/v3', 'etcd');
export const adapterComponent = (): GoComponent =>
  goGetAndBuild('prometheus-adapter', 'sigs.k8s.io/prometheus-adapter', PROMETHEUS_ADAPTER_VERSION, 'sigs.k8s.io/prometheus-adapter/cmd/adapter', 'adapter');
export const metricsServerComponent = (): GoComponent =>
  goGetAndBuild('metrics-server', 'sigs.k8s.io/metrics-server', METRICS_SERVER_VERSION, 'sigs.k8s.io/metrics-server/cmd/metrics-server', 'metrics-server');
export const prometheusComponent = (): GoComponent =>
  // Only Kubernetes service discovery: the other discovery plugins pull in every cloud SDK.
  goGetAndBuild('prometheus', 'github.com/prometheus/prometheus', PROMETHEUS_VERSION, 'github.com/prometheus/prometheus/cmd/prometheus', 'prometheus', [
    'remove_all_sd',
    'enable_kubernetes_sd',
  ]);
export const helmComponent = (): GoComponent => goGetAndBuild('helm', 'helm.sh/helm/v4', HELM_VERSION, 'helm.sh/helm/v4/cmd/helm', 'helm');
export const actionlintComponent = (): GoComponent =>
  goGetAndBuild('actionlint', 'github.com/rhysd/actionlint', ACTIONLINT_VERSION, 'github.com/rhysd/actionlint/cmd/actionlint', 'actionlint');

/** The load driver's module, in this repository. */
export const LOAD_DRIVER_DIR = repoPath('loadtests');
export const LOAD_DRIVER_BINARY = 'inferscale-load';

/**
 * The load driver (loadtests/, on vegeta), keyed by a hash of its sources: editing it
 * rebuilds it, and nothing else does.
 */
export async function loadDriverComponent(dir = LOAD_DRIVER_DIR): Promise<GoComponent> {
  const hash = createHash('sha256');
  const walk = async (sub: string): Promise<void> => {
    for (const e of (await readdir(join(dir, sub), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = join(sub, e.name);
      if (e.isDirectory()) await walk(rel);
      else if (/\.go$|^go\.(mod|sum)$/.test(e.name) && !e.name.endsWith('_test.go')) hash.update(`${rel}\0`).update(await readFile(join(dir, rel))).update('\0');
    }
  };
  await walk('');
  return {
    name: 'load-driver',
    version: hash.digest('hex').slice(0, 12),
    binaries: [LOAD_DRIVER_BINARY],
    goMod: '',
    moduleDir: dir,
    steps: [['build', '-trimpath', '-ldflags', '-s -w', '-o', `${OUT}/${LOAD_DRIVER_BINARY}`, '.']],
  };
}

/**
 * Flux's two controllers from one wrapper module, with the controllers' own replace
 * directives copied in (a dependency's replaces are ignored), and their CRDs from the same
 * module versions.
 */
export function fluxComponent(): GoComponent {
  const source = `github.com/fluxcd/source-controller`;
  const kustomize = `github.com/fluxcd/kustomize-controller`;
  const replaces = [
    // Both controllers: go-digest with the blake3 algorithm registered.
    'github.com/opencontainers/go-digest => github.com/opencontainers/go-digest v1.0.1-0.20220411205349-bde1400a84be',
    // kustomize-controller's own.
    'sigs.k8s.io/kustomize/api => sigs.k8s.io/kustomize/api v0.21.1',
    'sigs.k8s.io/kustomize/kyaml => sigs.k8s.io/kustomize/kyaml v0.21.1',
    'gopkg.in/yaml.v3 => gopkg.in/yaml.v3 v3.0.1',
    // source-controller wants pkg/artifact v0.18.3, which the proxy refuses; v0.18.0 builds.
    'github.com/fluxcd/pkg/artifact => github.com/fluxcd/pkg/artifact v0.18.0',
  ];
  return {
    name: 'flux',
    version: `source-${FLUX_SOURCE_CONTROLLER_VERSION}-kustomize-${FLUX_KUSTOMIZE_CONTROLLER_VERSION}`,
    binaries: ['source-controller', 'kustomize-controller'],
    goMod: wrapperGoMod('flux', [], replaces),
    steps: [
      ['get', `${source}@${FLUX_SOURCE_CONTROLLER_VERSION}`, `${kustomize}@${FLUX_KUSTOMIZE_CONTROLLER_VERSION}`],
      ['build', '-trimpath', '-ldflags', '-s -w', '-o', `${OUT}/`, source, kustomize],
    ],
    copies: [
      { module: source, from: 'config/crd/bases', to: 'crds' },
      { module: kustomize, from: 'config/crd/bases', to: 'crds' },
    ],
  };
}

/** Argo CD's controller and repo-server: one binary, its 37 replace directives taken from its go.mod at build time. */
export function argocdComponent(): GoComponent {
  const module = 'github.com/argoproj/argo-cd/v3';
  return {
    name: 'argocd',
    version: ARGOCD_VERSION,
    binaries: ['argocd', 'argocd-application-controller', 'argocd-repo-server'],
    goMod: wrapperGoMod('argocd', [], [], '1.27.0'),
    replacesOf: `${module}@${ARGOCD_VERSION}`,
    toolchain: GO_127_TOOLCHAIN,
    steps: [
      ['get', `${module}@${ARGOCD_VERSION}`],
      ['build', '-trimpath', '-ldflags', '-s -w', '-o', `${OUT}/argocd`, `${module}/cmd`],
    ],
    copies: [
      { module, from: 'manifests/crds', to: 'crds' },
      // The repo-server runs these from PATH, as Argo CD's image has them.
      { module, from: 'hack/git-verify-wrapper.sh', to: 'git-verify-wrapper.sh', executable: true },
      { module, from: 'hack/gpg-wrapper.sh', to: 'gpg-wrapper.sh', executable: true },
    ],
    links: { 'argocd-application-controller': 'argocd', 'argocd-repo-server': 'argocd' },
  };
}

/**
 * KEDA's operator and its metrics API server (the adapter that serves external.metrics.k8s.io),
 * with KEDA's own replace directive taken from its go.mod, and its CRDs from the same version.
 * The operator compiles every scaler's SDK: about 9 minutes cold on 2 cores.
 */
export function kedaComponent(): GoComponent {
  const module = 'github.com/kedacore/keda/v2';
  return {
    name: 'keda',
    version: KEDA_VERSION,
    binaries: ['keda-operator', 'keda-adapter'],
    goMod: wrapperGoMod('keda', [], [], '1.27.0'),
    replacesOf: `${module}@${KEDA_VERSION}`,
    toolchain: GO_127_TOOLCHAIN,
    steps: [
      ['get', `${module}@${KEDA_VERSION}`],
      ['build', '-trimpath', '-ldflags', '-s -w', '-o', `${OUT}/keda-operator`, `${module}/cmd/operator`],
      ['build', '-trimpath', '-ldflags', '-s -w', '-o', `${OUT}/keda-adapter`, `${module}/cmd/adapter`],
    ],
    copies: [{ module, from: 'config/crd/bases', to: 'crds' }],
  };
}

export const kustomizeComponent = (): GoComponent => ({
  // kustomize v5.8 wants Go 1.27 too.
  ...goGetAndBuild('kustomize', 'sigs.k8s.io/kustomize/kustomize/v5', KUSTOMIZE_VERSION, 'sigs.k8s.io/kustomize/kustomize/v5', 'kustomize'),
  toolchain: GO_127_TOOLCHAIN,
});

/** The replace directives of a module's go.mod, but for those to a local path (`=> ./x`). */
export function replaceDirectives(goMod: string): string[] {
  const out: string[] = [];
  let block = false;
  for (const raw of goMod.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (/^replace\s*\($/.test(line)) block = true;
    else if (block && line === ')') block = false;
    else if (block || line.startsWith('replace ')) {
      const directive = line.replace(/^replace\s+/, '');
      if (directive.includes('=>') && !/=>\s*\.{1,2}\//.test(directive)) out.push(directive);
    }
  }
  return out;
}

export const componentDir = (paths: ClusterPaths, c: Pick<GoComponent, 'name' | 'version'>): string =>
  join(paths.bin, `${c.name}-${c.version}`);

// JSON.stringify leaves out what a component does not set: older stamps stay valid.
const stampOf = (c: GoComponent): string => JSON.stringify({ goMod: c.goMod, steps: c.steps, copies: c.copies, links: c.links, replacesOf: c.replacesOf, toolchain: c.toolchain });

async function isBuilt(paths: ClusterPaths, c: GoComponent): Promise<boolean> {
  const dir = componentDir(paths, c);
  try {
    if ((await readFile(join(dir, '.stamp'), 'utf8')) !== stampOf(c)) return false;
    await Promise.all(c.binaries.map((b) => access(join(dir, b), constants.X_OK)));
    return true;
  } catch {
    return false;
  }
}

// A module of ours builds from its own go.sum, read-only: what it pins is what it gets.
const goEnv = (c?: Pick<GoComponent, 'toolchain' | 'moduleDir'>): NodeJS.ProcessEnv => ({ ...process.env, CGO_ENABLED: '0', GOFLAGS: c?.moduleDir ? '-mod=readonly' : '-mod=mod', GOTOOLCHAIN: c?.toolchain ?? 'local' });

export interface BuildResult {
  component: string;
  version: string;
  seconds: number;
  cached: boolean;
}

export async function buildComponent($: Sh, paths: ClusterPaths, c: GoComponent, log: (line: string) => void): Promise<BuildResult> {
  const started = Date.now();
  if (await isBuilt(paths, c)) {
    // A cached build reports how long it took when it was made.
    const seconds = Number(await readFile(join(componentDir(paths, c), '.build-seconds'), 'utf8').catch(() => 'NaN'));
    return { component: c.name, version: c.version, seconds, cached: true };
  }
  const src = join(paths.src, `${c.name}-${c.version}`);
  const out = componentDir(paths, c);
  await mkdir(src, { recursive: true });
  await mkdir(out, { recursive: true });
  const logFile = join(src, 'build.log');
  await writeFile(logFile, '');
  const step = progress(`building ${c.name} ${c.version} (log: ${logFile})`, log);
  let goMod = c.goMod;
  if (c.replacesOf) {
    await writeFile(join(src, 'go.mod'), goMod);
    const info = await $({ cwd: src, env: goEnv(c), nothrow: true })`go mod download -json ${c.replacesOf}`;
    const file = info.exitCode === 0 ? (JSON.parse(info.stdout) as { GoMod?: string }).GoMod : undefined;
    if (!file) {
      step.fail();
      throw new UserError(`cannot download ${c.replacesOf}'s go.mod to copy its replace directives: ${tail(info.stdout + info.stderr, 3)}`);
    }
    goMod += `\n${replaceDirectives(await readFile(file, 'utf8')).map((r) => `replace ${r}`).join('\n')}\n`;
  }
  if (!c.moduleDir) await writeFile(join(src, 'go.mod'), goMod);
  for (const args of c.steps) {
    const argv = args.map((a) => a.replace(OUT, out));
    const result = await $({ cwd: c.moduleDir ?? src, env: goEnv(c), nothrow: true })`go ${argv}`;
    await writeFile(logFile, `$ go ${argv.join(' ')}\n${result.stdout}${result.stderr}`, { flag: 'a' });
    if (result.exitCode !== 0) {
      step.fail();
      throw new UserError(`building ${c.name} ${c.version} failed (go ${argv[0]}); the end of ${logFile}:\n${tail(result.stdout + result.stderr)}`);
    }
  }
  for (const copy of c.copies ?? []) {
    const dir = await $({ cwd: src, env: goEnv(c), nothrow: true })`go list -m -f {{.Dir}} ${copy.module}`;
    if (dir.exitCode !== 0) {
      step.fail();
      throw new UserError(`cannot find ${copy.module} in the module cache to copy its ${copy.from}: ${tail(dir.stderr, 3)}`);
    }
    await cp(join(dir.stdout.trim(), copy.from), join(out, copy.to), { recursive: true });
    if (copy.executable) await chmod(join(out, copy.to), 0o755);
  }
  for (const [link, target] of Object.entries(c.links ?? {})) {
    await rm(join(out, link), { force: true });
    await symlink(target, join(out, link));
  }
  const seconds = (Date.now() - started) / 1000;
  await writeFile(join(out, '.stamp'), stampOf(c));
  await writeFile(join(out, '.build-seconds'), `${seconds}\n`);
  step.done();
  return { component: c.name, version: c.version, seconds, cached: false };
}

/** The Kubernetes version to build: the pinned one, or the fallback when the proxy lacks it. */
export async function resolveKubernetesVersion($: Sh, paths: ClusterPaths, log: (line: string) => void): Promise<string> {
  for (const version of [KUBERNETES_VERSION, KUBERNETES_FALLBACK_VERSION]) {
    if (await isBuilt(paths, kubernetesComponent(version))) return version;
  }
  const probe = join(paths.src, 'probe');
  await mkdir(probe, { recursive: true });
  await writeFile(join(probe, 'go.mod'), wrapperGoMod('probe'));
  const listed = await $({ cwd: probe, env: goEnv(), nothrow: true })`go list -m -json ${`k8s.io/kubernetes@${KUBERNETES_VERSION}`}`;
  if (listed.exitCode === 0) return KUBERNETES_VERSION;
  log(`k8s.io/kubernetes ${KUBERNETES_VERSION} is not served by the Go module proxy; falling back to ${KUBERNETES_FALLBACK_VERSION}`);
  return KUBERNETES_FALLBACK_VERSION;
}

export interface Binaries {
  kubernetes: string;
  etcd: string;
  prometheus: string;
  adapter: string;
  metricsServer: string;
  loadDriver: string;
  /** Only when a layer that needs it is brought up (bootstrap --gitops flux|argocd). */
  flux?: string;
  argocd?: string;
  kustomize?: string;
  keda?: string;
  helm?: string;
}

/** What every bootstrap builds: the cluster, the metrics pipeline and the load driver. */
const ALWAYS = ['kubernetes', 'etcd', 'prometheus', 'adapter', 'metricsServer', 'loadDriver'] as const;
const OPTIONAL = { flux: fluxComponent, argocd: argocdComponent, kustomize: kustomizeComponent, keda: kedaComponent, helm: helmComponent } as const;
export type OptionalBuild = keyof typeof OPTIONAL;

/**
 * Builds every Go component the cluster needs, plus the optional ones asked for (nothing
 * when cached), and returns their folders.
 */
export async function buildAll($: Sh, paths: ClusterPaths, log: (line: string) => void, optional: OptionalBuild[] = []): Promise<{ bins: Binaries; builds: BuildResult[] }> {
  const k8s = kubernetesComponent(await resolveKubernetesVersion($, paths, log));
  const always: Record<(typeof ALWAYS)[number], GoComponent> = { kubernetes: k8s, etcd: etcdComponent(), prometheus: prometheusComponent(), adapter: adapterComponent(), metricsServer: metricsServerComponent(), loadDriver: await loadDriverComponent() };
  const components: [keyof Binaries, GoComponent][] = [...ALWAYS.map((k) => [k, always[k]] as [keyof Binaries, GoComponent]), ...optional.map((k) => [k, OPTIONAL[k]()] as [keyof Binaries, GoComponent])];
  const builds: BuildResult[] = [];
  for (const [, c] of components) builds.push(await buildComponent($, paths, c, log));
  const bins = Object.fromEntries(components.map(([k, c]) => [k, componentDir(paths, c)])) as unknown as Binaries;
  return { bins, builds };
}

/** Installs the Debian packages whose command is missing; refreshes the index only if needed. */
export async function installDebianPackages($: Sh, log: (line: string) => void, packages: Record<string, string> = DEBIAN_PACKAGES): Promise<string[]> {
  const missing: string[] = [];
  for (const [pkg, provides] of Object.entries(packages)) {
    const found = provides.startsWith('/')
      ? await access(provides).then(() => true, () => false)
      : (await $({ nothrow: true })`command -v ${provides}`).exitCode === 0;
    if (!found) missing.push(pkg);
  }
  if (missing.length === 0) return [];
  if ((await $({ nothrow: true })`command -v apt-get`).exitCode !== 0) {
    throw new UserError(`this machine lacks ${missing.join(', ')} and has no apt-get to install them; install them with its package manager, then run again.`);
  }
  const step = progress(`installing Debian packages: ${missing.join(' ')}`, log);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let result = await $({ env, nothrow: true })`apt-get install -y --no-install-recommends ${missing}`;
  if (result.exitCode !== 0) {
    await $({ env, nothrow: true })`apt-get update`;
    result = await $({ env, nothrow: true })`apt-get install -y --no-install-recommends ${missing}`;
  }
  if (result.exitCode !== 0) {
    step.fail();
    throw new UserError(`apt-get could not install ${missing.join(' ')}:\n${tail(result.stdout + result.stderr)}`);
  }
  step.done();
  return missing;
}
