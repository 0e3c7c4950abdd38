import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { UserError } from '../cli.ts';
import { renderOverlay } from '../manifests/render.ts';
import { repoPath } from '../paths.ts';
import { tail, type Sh } from '../shell.ts';

// The pinned chart references in base/monitoring, installed with the helm CLI when Flux is
// absent: the same chart, repository, version and values files Flux would use.

export const MONITORING_DIR = 'base/monitoring';

export interface ChartRelease {
  release: string;
  namespace: string;
  chart: string;
  version: string;
  repoUrl: string;
  /** Values files in the order the HelmRelease lists its valuesFrom. */
  valuesFiles: string[];
}

interface HelmReleaseObject {
  kind: 'HelmRelease';
  metadata: { name: string; namespace?: string };
  spec: {
    releaseName?: string;
    chart: { spec: { chart: string; version: string; sourceRef: { kind: string; name: string } } };
    valuesFrom?: { kind: string; name: string; valuesKey?: string }[];
  };
}

export async function chartReleases($: Sh, dir = repoPath(MONITORING_DIR)): Promise<ChartRelease[]> {
  const kustomization = parse(await readFile(join(dir, 'kustomization.yaml'), 'utf8')) as {
    configMapGenerator?: { name: string; files: string[] }[];
  };
  const sources = new Map<string, string>();
  for (const gen of kustomization.configMapGenerator ?? []) {
    for (const f of gen.files) {
      const [key, file] = f.includes('=') ? (f.split('=') as [string, string]) : [f, f];
      sources.set(`${gen.name}/${key}`, join(dir, file));
    }
  }
  const { objects } = await renderOverlay($, dir);
  const repos = new Map(objects.filter((o) => o.kind === 'HelmRepository').map((o) => [o.metadata.name, (o as unknown as { spec: { url: string } }).spec.url]));
  return (objects.filter((o) => o.kind === 'HelmRelease') as unknown as HelmReleaseObject[]).map((hr) => {
    const chart = hr.spec.chart.spec;
    const repoUrl = repos.get(chart.sourceRef.name);
    if (!repoUrl) throw new UserError(`HelmRelease ${hr.metadata.name} refers to HelmRepository ${chart.sourceRef.name}, which ${dir} does not define.`);
    const valuesFiles = (hr.spec.valuesFrom ?? []).map((v) => {
      const file = sources.get(`${v.name}/${v.valuesKey ?? 'values.yaml'}`);
      if (!file) throw new UserError(`HelmRelease ${hr.metadata.name} takes values from ${v.kind} ${v.name}, which ${dir}/kustomization.yaml does not generate.`);
      return file;
    });
    return {
      release: hr.spec.releaseName ?? hr.metadata.name,
      namespace: hr.metadata.namespace ?? 'default',
      chart: chart.chart,
      version: chart.version,
      repoUrl,
      valuesFiles,
    };
  });
}

/**
 * The label helm puts on the release records of what we install (`helm upgrade --labels`):
 * a release of the same name without it is someone else's, and is never upgraded over.
 */
export const OWNER_LABEL = { key: 'inferscale.dev/installed-by', value: 'inferscale' };

export interface ChartOptions {
  /** Take over a release of the same name that inferscale did not install. */
  adopt?: boolean;
  /** Say what would be installed; install nothing. */
  dryRun?: boolean;
}

/** The releases of the same name that exist in the cluster without our label (Helm keeps a release's record in Secrets labelled owner=helm,name=<release>). */
export async function foreignReleases($: Sh, releases: ChartRelease[]): Promise<ChartRelease[]> {
  const foreign: ChartRelease[] = [];
  for (const r of releases) {
    const records = async (selector: string) => {
      const out = await $({ nothrow: true })`kubectl get secrets --namespace ${r.namespace} -l ${selector} -o name`;
      if (out.exitCode !== 0) throw new UserError(`cannot list the Helm release records in namespace ${r.namespace}: ${tail(out.stderr, 3)}`);
      return out.stdout.trim();
    };
    if (!(await records(`owner=helm,name=${r.release}`))) continue;
    if (!(await records(`owner=helm,name=${r.release},${OWNER_LABEL.key}=${OWNER_LABEL.value}`))) foreign.push(r);
  }
  return foreign;
}

/** helm upgrade --install for each release, in order (the adapter after the stack it queries), labelled as ours. */
export async function helmInstall($: Sh, releases: ChartRelease[], log: (line: string) => void): Promise<void> {
  for (const r of releases) {
    log(`installing ${r.chart} ${r.version} as ${r.release} in ${r.namespace}`);
    const values = r.valuesFiles.flatMap((f) => ['-f', f]);
    const out = await $({ nothrow: true })`helm upgrade --install ${r.release} ${r.chart} --repo ${r.repoUrl} --version ${r.version} --namespace ${r.namespace} --create-namespace ${values} --labels ${`${OWNER_LABEL.key}=${OWNER_LABEL.value}`} --wait --timeout 10m`;
    if (out.exitCode !== 0) throw new UserError(`helm could not install ${r.chart} ${r.version}:\n${tail(out.stderr)}`);
  }
}

/** True when the cluster serves Flux's HelmRelease API (then Flux installs the charts). */
export async function fluxPresent($: Sh): Promise<boolean> {
  const out = await $({ nothrow: true })`kubectl get crd helmreleases.helm.toolkit.fluxcd.io -o name`;
  return out.exitCode === 0 && out.stdout.trim() !== '';
}

/** Apply base/monitoring for Flux and wait until every HelmRelease is Ready. */
export async function fluxInstall($: Sh, log: (line: string) => void): Promise<void> {
  log('Flux is installed: applying the HelmRelease objects of base/monitoring');
  const applied = await $({ nothrow: true })`kubectl apply --server-side --field-manager=inferscale -k ${repoPath(MONITORING_DIR)}`;
  if (applied.exitCode !== 0) throw new UserError(`applying ${MONITORING_DIR} failed:\n${tail(applied.stderr)}`);
  const waited = await $({ nothrow: true })`kubectl wait --for=condition=Ready helmrelease --all --namespace monitoring --timeout=15m`;
  if (waited.exitCode !== 0) throw new UserError(`the HelmReleases did not turn Ready:\n${tail(waited.stderr)}`);
}

export async function installCharts($: Sh, log: (line: string) => void, o: ChartOptions = {}): Promise<void> {
  if (await fluxPresent($)) {
    if (o.dryRun) return log(`--dry-run: Flux is installed; would apply the HelmRelease objects of ${MONITORING_DIR} and wait for them`);
    return fluxInstall($, log);
  }
  if ((await $({ nothrow: true })`command -v helm`).exitCode !== 0) {
    throw new UserError('installing monitoring needs helm (https://helm.sh) or Flux in the cluster; neither was found.');
  }
  const releases = await chartReleases($);
  const foreign = o.adopt ? [] : await foreignReleases($, releases);
  if (foreign.length > 0) {
    const names = foreign.map((r) => `${r.release} in namespace ${r.namespace}`).join(' and ');
    throw new UserError(`the Helm release ${names} exists and was not installed by inferscale (no ${OWNER_LABEL.key} label); nothing was changed: pass --adopt to upgrade it to the pinned chart, or remove it.`);
  }
  if (o.dryRun) {
    for (const r of releases) log(`--dry-run: would install ${r.chart} ${r.version} (${r.repoUrl}) as ${r.release} in ${r.namespace}, values ${r.valuesFiles.map((f) => f.replace(`${repoPath()}/`, '')).join(', ')}`);
    return;
  }
  await helmInstall($, releases, log);
}
