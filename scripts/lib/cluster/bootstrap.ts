import { renderOverlay } from '../manifests/render.ts';
import type { Sh } from '../shell.ts';
import type { ClusterInfo, ClusterProvider } from './provider.ts';

/**
 * Create the cluster, load the image, install monitoring. A failure or Ctrl-C in any step
 * stops what this run started, so nothing is left half-started and the next run starts
 * cleanly; a cluster that was already running is left as it was.
 */
export async function bootstrapCluster(provider: ClusterProvider, $: Sh, overlay: string, log: (line: string) => void): Promise<ClusterInfo> {
  let info: ClusterInfo | undefined;
  let interrupted = false;
  const onSigint = (): void => {
    interrupted = true;
    log('interrupted: stopping what this bootstrap started');
    void provider.teardown().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSigint);
  try {
    info = await provider.create();
    await provider.loadImage();
    const { objects } = await renderOverlay($, overlay);
    await provider.installMonitoring(objects);
    return info;
  } catch (error) {
    if (!interrupted && info && !info.alreadyRunning) {
      log('bootstrap failed; stopping what it started so the next run starts cleanly');
      await provider.teardown();
    }
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
