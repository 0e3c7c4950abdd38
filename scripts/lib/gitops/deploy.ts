import type { KubeConfig } from '@kubernetes/client-node';
import { progress, UserError } from '../cli.ts';
import type { ClusterProvider, ServedRepository } from '../cluster/provider.ts';
import type { KObject } from '../manifests/objects.ts';
import { renderOverlay } from '../manifests/render.ts';
import { requireHealthy } from '../reconcile/command.ts';
import type { Sh } from '../shell.ts';
import { applyFluxObjects, kustomizationWords, listKustomizations, waitApplied, type KustomizationState } from './flux.ts';

// Deploying an overlay through Flux instead of reconcile.ts: Flux's objects from gitops/
// applied, then Flux applies the overlay from Git.

export const FLUX_INSTALL_HINT = 'install Flux (`flux install`, see https://fluxcd.io/flux/installation/) and run again';

export interface FluxDeployment {
  /** The app's Kustomization: the one whose path is the overlay. */
  namespace: string;
  name: string;
  state: KustomizationState;
  /** Where commits go, when inferscale serves the repository (the embedded cluster). */
  served?: ServedRepository;
  objects: KObject[];
}

/** The Kustomization of `objects` that applies `overlay`. */
export function appKustomization(objects: KObject[], overlay: string): KObject | undefined {
  const want = `./${overlay.replace(/^\.\//, '').replace(/\/$/, '')}`;
  return objects.find((o) => o.kind === 'Kustomization' && o.apiVersion.startsWith('kustomize.toolkit.fluxcd.io/') && (o as { spec?: { path?: string } }).spec?.path === want);
}

export async function deployWithFlux(o: { provider: ClusterProvider; $: Sh; kc: KubeConfig; overlay: string; timeoutMs: number; log: (line: string) => void }): Promise<FluxDeployment> {
  const { provider } = o;
  if (!provider.startFlux) {
    if ((await listKustomizations(o.kc)) === undefined) {
      throw new UserError(`Flux is not installed in this cluster: ${FLUX_INSTALL_HINT}; inferscale builds and runs Flux itself only on the embedded cluster (--provider local).`);
    }
    if (!provider.fluxEntryPoint) {
      throw new UserError('Flux is installed: apply gitops/flux/gitrepository.yaml (pointed at your fork), gitops/flux/monitoring.yaml and gitops/flux/inferscale-cloud.yaml.');
    }
  }
  const entry = provider.fluxEntryPoint as string;
  let served: ServedRepository | undefined;
  if (provider.startFlux) {
    served = await provider.startFlux();
    if (served.dirty) o.log(`the working tree has uncommitted changes: Flux is served ${served.commit.slice(0, 7)} (HEAD) without them`);
  }
  const objects = await applyFluxObjects(o.$, o.kc, entry);
  const app = appKustomization(objects, o.overlay);
  if (!app) throw new UserError(`${entry} has no Flux Kustomization with path ./${o.overlay}; add one, or deploy ${o.overlay} with reconcile.ts.`);
  const namespace = app.metadata.namespace ?? 'flux-system';
  const step = progress(`Flux applying ${o.overlay} (${namespace}/${app.metadata.name})${served ? ` at ${served.commit.slice(0, 7)}` : ''}`, o.log);
  let state: KustomizationState;
  try {
    state = await waitApplied(o.kc, namespace, app.metadata.name, served?.commit ?? '', o.timeoutMs);
  } catch (error) {
    step.fail();
    throw error;
  }
  step.done();
  o.log(kustomizationWords(state));
  // Flux's wait covers rollout; the metric pipeline's gates are ours, as after reconcile.ts.
  await requireHealthy(o.kc, (await renderOverlay(o.$, o.overlay)).objects, o.timeoutMs, o.overlay, o.log);
  return { namespace, name: app.metadata.name, state, served, objects };
}
