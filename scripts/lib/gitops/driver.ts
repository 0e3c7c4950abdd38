import type { KubeConfig } from '@kubernetes/client-node';
import { UserError } from '../cli.ts';
import type { KObject } from '../manifests/objects.ts';
import { waitFor } from '../wait.ts';

// What inferscale needs of a GitOps controller, whichever it is: the state of the object
// that deploys the overlay (Flux's Kustomization, Argo CD's Application) in words, the
// intervals its bounds come from, and a forced reconcile.

export interface AppState {
  /** The last revision applied, healthy or not. */
  applied?: string;
  /** The last revision tried. */
  attempted?: string;
  /** Applied and healthy. */
  ok: boolean;
  /** The last attempt failed. */
  failed: boolean;
  /** The state in one sentence. */
  words: string;
}

export interface GitOpsIntervals {
  /** How often the controller looks for a new commit. */
  sourceSeconds: number;
  /** How often it compares what runs with Git and heals drift. */
  reconcileSeconds: number;
  /** How long one apply and its health checks may take. */
  timeoutSeconds: number;
}

export interface GitOpsDriver {
  /** Flux or Argo CD: how checks and logs name it. */
  readonly label: string;
  /** What deploys the overlay, e.g. "Kustomization flux-system/inferscale-local". */
  readonly object: string;
  read(): Promise<AppState | undefined>;
  intervals(): Promise<GitOpsIntervals>;
  /** One apply now, as `flux reconcile` or `argocd app sync` would ask; resolves when it ran. */
  forceReconcile(timeoutMs: number): Promise<string>;
}

export interface DriverFactory {
  /** The object of the rendered entry point that deploys `overlay`, if any. */
  appFor(objects: KObject[], overlay: string): KObject | undefined;
  /** The folder of gitops/ a root object syncs its objects from (an app of apps), if it is one. */
  childFolder?(obj: KObject): string | undefined;
  driver(kc: KubeConfig, app: KObject): GitOpsDriver;
}

/** `./overlays/local`, `overlays/local/` → `overlays/local`. */
export const overlayPath = (p: string | undefined): string => (p ?? '').replace(/^\.\//, '').replace(/\/$/, '');

/** A commit reaches the cluster within one look at Git plus one reconcile. */
export const commitBoundSeconds = (i: GitOpsIntervals): number => i.sourceSeconds + i.reconcileSeconds;
/** A hand edit is healed by the next reconcile; one may be under way as it lands. */
export const healBoundSeconds = (i: GitOpsIntervals): number => 2 * i.reconcileSeconds;

/** Waits until `commit` is applied and healthy; fails with the controller's reason. */
export async function waitApplied(d: GitOpsDriver, commit: string, timeoutMs: number): Promise<AppState> {
  let last: AppState | undefined;
  try {
    return await waitFor(`${d.label} to apply ${commit.slice(0, 7) || 'the overlay'} (${d.object})`, timeoutMs, async () => {
      last = await d.read();
      return last?.ok && last.applied?.endsWith(commit) ? last : undefined;
    });
  } catch (error) {
    if (last) throw new UserError(`${(error as Error).message.replace(/\.$/, '')}; ${last.words}`);
    throw error;
  }
}

/** Waits until the controller has tried `commit` and failed. */
export function waitFailed(d: GitOpsDriver, commit: string, timeoutMs: number): Promise<AppState> {
  return waitFor(`${d.label} to refuse ${commit.slice(0, 7)} (${d.object})`, timeoutMs, async () => {
    const s = await d.read();
    return s?.failed && s.attempted?.endsWith(commit) ? s : undefined;
  });
}
