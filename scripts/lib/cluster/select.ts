import { UserError } from '../cli.ts';
import type { Sh } from '../shell.ts';
import { ExistingProvider } from './existing.ts';
import { LocalProvider } from './local.ts';
import { MinikubeProvider } from './minikube.ts';
import { clusterPaths } from './paths.ts';
import type { ClusterProvider, ProviderName } from './provider.ts';

export const PROVIDERS: ProviderName[] = ['local', 'minikube', 'existing'];

export function parseProvider(value: string | undefined): ProviderName | undefined {
  if (value === undefined) return undefined;
  if (!(PROVIDERS as string[]).includes(value)) throw new UserError(`unknown provider "${value}"; use one of ${PROVIDERS.join(', ')}.`);
  return value as ProviderName;
}

/**
 * The provider when none is named: the current kube context if it answers, else minikube
 * if it is installed, else the embedded cluster.
 */
export async function defaultProvider($: Sh): Promise<ProviderName> {
  const context = await $({ nothrow: true, timeout: '5s' })`kubectl version --request-timeout=3s -o json`;
  if (context.exitCode === 0 && context.stdout.includes('serverVersion')) return 'existing';
  const minikube = await $({ nothrow: true })`command -v minikube`;
  if (minikube.exitCode === 0) return 'minikube';
  return 'local';
}

export function makeProvider(name: ProviderName, $: Sh, log: (line: string) => void): ClusterProvider {
  switch (name) {
    case 'local':
      return new LocalProvider({ $, paths: clusterPaths(), log });
    case 'minikube':
      return new MinikubeProvider($, log);
    case 'existing':
      return new ExistingProvider($, log);
  }
}
