import { UsageError } from '../cli.ts';
import type { Sh } from '../shell.ts';
import { chooseKubeConfig, type KubeconfigRequest } from './choice.ts';
import { ExistingProvider } from './existing.ts';
import { LocalProvider } from './local.ts';
import { MinikubeProvider } from './minikube.ts';
import { clusterPaths } from './embedded/paths.ts';
import type { ClusterProvider, ProviderName } from './provider.ts';
import type { ChartOptions } from '../monitoring/helm.ts';

export const PROVIDERS: ProviderName[] = ['local', 'minikube', 'existing'];

/** The kubeconfig each provider writes itself; the others use the current context. */
const OWN_KUBECONFIG: Record<ProviderName, ((env: NodeJS.ProcessEnv) => string) | undefined> = {
  local: (env) => clusterPaths(env).kubeconfig,
  minikube: undefined,
  existing: undefined,
};

/** The kubeconfigs a script may talk to for a named provider, or for none (choice.ts's order). */
export function kubeconfigRequest(name: ProviderName | undefined, env: NodeJS.ProcessEnv = process.env): KubeconfigRequest {
  if (name !== undefined) return { named: true, own: OWN_KUBECONFIG[name]?.(env) };
  return { named: false, own: OWN_KUBECONFIG.local?.(env) };
}

export function parseProvider(value: string | undefined): ProviderName | undefined {
  if (value === undefined) return undefined;
  if (!(PROVIDERS as string[]).includes(value)) throw new UsageError(`unknown provider "${value}"; use one of ${PROVIDERS.join(', ')}. Run with --help for usage.`);
  return value as ProviderName;
}

/**
 * The provider when none is named: existing when KUBECONFIG is set (the user chose it;
 * create() then says if it does not answer) or ~/.kube/config's current context answers,
 * else minikube if it is installed, else the embedded cluster.
 */
export async function defaultProvider($: Sh, env: NodeJS.ProcessEnv = process.env): Promise<ProviderName> {
  if (env.KUBECONFIG) return 'existing';
  const answers = await chooseKubeConfig(kubeconfigRequest('existing', env), env).then(() => true, () => false);
  if (answers) return 'existing';
  const minikube = await $({ nothrow: true })`command -v minikube`;
  if (minikube.exitCode === 0) return 'minikube';
  return 'local';
}

/** `charts`: how an existing cluster's monitoring charts are installed (--adopt, --dry-run). */
export function makeProvider(name: ProviderName, $: Sh, log: (line: string) => void, charts: ChartOptions = {}): ClusterProvider {
  switch (name) {
    case 'local':
      return new LocalProvider({ $, paths: clusterPaths(), log });
    case 'minikube':
      return new MinikubeProvider($, log);
    case 'existing':
      return new ExistingProvider($, log, process.env, charts);
  }
}
