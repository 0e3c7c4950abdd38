import { InterruptedError } from './cli.ts';
import { renderOverlay, type Rendered } from './manifests/render.ts';
import { imagesOf } from './manifests/objects.ts';
import type { Sh } from './shell.ts';
import type { ClusterInfo, ClusterProvider } from './cluster/provider.ts';
import { deployWithGitOps, type GitOpsDeployment } from './gitops/deploy.ts';
import type { GitOpsTool } from './cluster/gitops-tools.ts';
import { loadKubeConfig } from './kube/client.ts';

/**
 * Create the cluster, load the image, install monitoring, and with `gitops`, deploy the
 * overlay through that controller; returns the overlay as rendered, once. A failure or Ctrl-C in any step
 * stops what this run started, so nothing is left half-started and the next run starts
 * cleanly; a cluster that was already running is left as it was.
 */
export async function bootstrapCluster(
  provider: ClusterProvider,
  $: Sh,
  overlay: string,
  log: (line: string) => void,
  options: { gitops?: GitOpsTool; gitopsTimeoutMs?: number } = {},
): Promise<ClusterInfo & { gitops?: GitOpsDeployment; rendered: Rendered }> {
  let info: ClusterInfo | undefined;
  let interrupted = false;
  const onSigint = (): void => {
    if (interrupted) return;
    interrupted = true;
    if (provider.interrupt) {
      // The step under way notices, fails, and the catch below cleans up once.
      provider.interrupt();
    } else {
      log('interrupted: stopping what this bootstrap started');
      void provider.teardown().finally(() => process.exit(130));
    }
  };
  process.on('SIGINT', onSigint);
  try {
    info = await provider.create();
    if (interrupted) throw new InterruptedError('interrupted');
    // Rendered once the cluster answers (a cluster that is not there is the first thing said),
    // and handed back: the caller reconciles and loads these same objects.
    const rendered = await renderOverlay($, overlay);
    const { objects } = rendered;
    await provider.loadImage(imagesOf(objects));
    if (interrupted) throw new InterruptedError('interrupted');
    await provider.installMonitoring(objects);
    if (options.gitops) {
      if (interrupted) throw new InterruptedError('interrupted');
      const gitops = await deployWithGitOps({ tool: options.gitops, provider, $, kc: loadKubeConfig(info.kubeconfig), overlay, objects, timeoutMs: options.gitopsTimeoutMs ?? 300_000, log });
      return { ...info, gitops, rendered };
    }
    return { ...info, rendered };
  } catch (error) {
    // create() cleans up after itself; later steps are cleaned up here.
    if (info && !info.alreadyRunning) {
      log(interrupted ? 'interrupted: stopping what this bootstrap started' : 'bootstrap failed; stopping what it started so the next run starts cleanly');
      await provider.teardown();
    }
    throw interrupted && !(error instanceof InterruptedError) ? new InterruptedError(`interrupted: ${(error as Error).message}`) : error;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
