import type { KubeConfig } from '@kubernetes/client-node';
import type { Sh } from '../shell.ts';
import { chooseKubeConfig, type Candidate } from './choice.ts';
import type { ClusterProvider, ProviderName } from './provider.ts';
import { kubeconfigRequest, makeProvider } from './select.ts';

/**
 * The cluster a script talks to (the order of choice.ts) and the provider whose facts apply
 * to it: the named one, else local for the embedded cluster, else existing.
 */
export async function connect($: Sh, name: ProviderName | undefined, log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<{ kc: KubeConfig; provider: ClusterProvider; source: Candidate['source'] }> {
  const { kc, source } = await chooseKubeConfig(kubeconfigRequest(name, env), env);
  const providerName = name ?? (source === 'the embedded cluster' ? 'local' : 'existing');
  return { kc, provider: makeProvider(providerName, $, log), source };
}
