import type { KubeConfig } from '@kubernetes/client-node';
import { progress, UserError } from '../cli.ts';
import type { ClusterProvider, ServedRepository } from '../cluster/provider.ts';
import { serverSideApply } from '../kube/apply.ts';
import { kubeGet } from '../kube/raw.ts';
import type { KObject } from '../manifests/objects.ts';
import { renderOverlay } from '../manifests/render.ts';
import { requireHealthy } from '../reconcile/command.ts';
import type { Sh } from '../shell.ts';
import { argocdDrivers } from './argocd.ts';
import { waitApplied, type DriverFactory, type GitOpsDriver } from './driver.ts';
import { fluxDrivers } from './flux.ts';
import { commitServedSource, renderWithSource } from './source.ts';
import type { GitOpsTool } from '../cluster/gitops-tools.ts';

// Deploying an overlay through a GitOps controller instead of reconcile.ts: its objects from
// gitops/ applied, then the controller applies the overlay from Git.

const TOOLS: Record<GitOpsTool, { label: string; drivers: () => DriverFactory; probe: string; install: string; cloud: string }> = {
  flux: {
    label: 'Flux',
    drivers: () => fluxDrivers,
    probe: '/apis/kustomize.toolkit.fluxcd.io/v1',
    install: 'install Flux (`flux install`, see https://fluxcd.io/flux/installation/) and run again',
    cloud: 'point gitops/source/source.yaml at your fork, then kubectl apply -k gitops/flux/cloud',
  },
  argocd: {
    label: 'Argo CD',
    drivers: argocdDrivers,
    probe: '/apis/argoproj.io/v1alpha1',
    install: 'install Argo CD (https://argo-cd.readthedocs.io/en/stable/getting_started/) and run again',
    cloud: 'point gitops/source/source.yaml at your fork, then kubectl apply -k gitops/argocd/cloud',
  },
};

export interface GitOpsDeployment {
  tool: GitOpsTool;
  driver: GitOpsDriver;
  /** Where commits go, when inferscale serves the repository (the embedded cluster). */
  served?: ServedRepository;
  objects: KObject[];
}

export async function deployWithGitOps(o: { tool: GitOpsTool; provider: ClusterProvider; $: Sh; kc: KubeConfig; overlay: string; objects: KObject[]; timeoutMs: number; log: (line: string) => void }): Promise<GitOpsDeployment> {
  const { provider } = o;
  const tool = TOOLS[o.tool];
  const entry = provider.gitopsEntryPoints?.[o.tool];
  if (!provider.startGitOps) {
    if ((await kubeGet(o.kc, tool.probe)).status !== 200) {
      throw new UserError(`${tool.label} is not installed in this cluster: ${tool.install}; inferscale builds and runs it itself only on the embedded cluster (--provider local).`);
    }
    if (!entry) throw new UserError(`${tool.label} is installed: ${tool.cloud}.`);
  }
  if (!entry) throw new UserError(`the ${provider.name} provider has no entry point for ${tool.label} in gitops/.`);
  let served: ServedRepository | undefined;
  if (provider.startGitOps) {
    served = await provider.startGitOps(o.tool);
    if (served.dirty) o.log(`the working tree has uncommitted changes: ${tool.label} is served ${served.commit.slice(0, 7)} (HEAD) without them`);
    // The fork's edit, made here: the source pointed at the served repository, committed to it.
    served = { ...served, commit: await commitServedSource(o.$, served) };
  }
  const source = served && { url: served.url, revision: served.branch };
  const render = async (dir: string) => (source ? await renderWithSource(o.$, dir, source) : await renderOverlay(o.$, dir)).objects;
  const objects = await render(entry);
  const drivers = tool.drivers();
  // An app of apps: the overlay's Application is among those a root Application syncs from a
  // folder of gitops/, rendered here as the controller will render it from Git.
  const folders = objects.flatMap((obj) => {
    const folder = drivers.childFolder?.(obj);
    return folder ? [{ root: obj, folder }] : [];
  });
  const roots = folders.map((f) => f.root);
  const children = (await Promise.all(folders.map((f) => render(f.folder)))).flat();
  const app = drivers.appFor([...objects, ...children], o.overlay);
  if (!app) throw new UserError(`${entry} deploys no ${o.overlay}; add an object for it there, or deploy ${o.overlay} with reconcile.ts.`);
  for (const obj of objects) await serverSideApply(o.kc, obj);
  const driver = drivers.driver(o.kc, app);
  const step = progress(`${tool.label} applying ${o.overlay} (${driver.object})${served ? ` at ${served.commit.slice(0, 7)}` : ''}`, o.log);
  try {
    o.log((await waitApplied(driver, served?.commit ?? '', o.timeoutMs)).words);
    // The root is Healthy only once what it synced is (Argo CD's health check for Applications).
    for (const root of roots) o.log((await waitApplied(drivers.driver(o.kc, root), served?.commit ?? '', o.timeoutMs)).words);
  } catch (error) {
    step.fail();
    throw error;
  }
  step.done();
  // The controller's own wait covers rollout; the metric pipeline's gates are ours, as after reconcile.ts.
  await requireHealthy(o.kc, o.objects, o.timeoutMs, o.overlay, o.log);
  return { tool: o.tool, driver, served, objects };
}
