import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { waitFor } from '../wait.ts';

/** A KubeConfig from an explicit file, or the default chain (KUBECONFIG, ~/.kube/config). */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

export async function waitNodeReady(kc: KubeConfig, name: string, timeoutMs: number): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await waitFor(`node ${name} to be Ready`, timeoutMs, async () => {
    const node = await core.readNode({ name });
    return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
  });
}

export function apiErrorCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}
