import { access } from 'node:fs/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { UserError } from '../cli.ts';
import { loadKubeConfig } from '../kube/client.ts';
import type { Sh } from '../shell.ts';
import { clusterPaths } from './paths.ts';
import type { ClusterProvider, ProviderName } from './provider.ts';
import { makeProvider } from './select.ts';

/**
 * The cluster a script should talk to: the named provider's, else the embedded cluster when
 * it runs, else the current kube context.
 */
export async function connect($: Sh, name: ProviderName | undefined, log: (line: string) => void): Promise<{ kc: KubeConfig; provider?: ClusterProvider }> {
  const local = clusterPaths().kubeconfig;
  const localRuns = await access(local).then(() => true, () => false);
  if (name === 'local' || (name === undefined && localRuns)) {
    if (!localRuns) throw new UserError('the embedded cluster is not running; start it with `npx zx scripts/bootstrap.ts --provider local`.');
    return { kc: loadKubeConfig(local), provider: makeProvider('local', $, log) };
  }
  try {
    const kc = loadKubeConfig();
    if (!kc.getCurrentCluster()) throw new Error('no current context');
    return { kc, provider: name ? makeProvider(name, $, log) : undefined };
  } catch (error) {
    throw new UserError(`no cluster to talk to: ${(error as Error).message}. Run scripts/bootstrap.ts first or set KUBECONFIG.`);
  }
}
