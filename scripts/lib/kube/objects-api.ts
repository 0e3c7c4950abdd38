import { KubernetesObjectApi, type KubeConfig } from '@kubernetes/client-node';

/** KubernetesObjectApi that also says whether a kind is namespaced (from its cached discovery). */
export class ObjectApi extends KubernetesObjectApi {
  useContextNamespace(kc: KubeConfig): void {
    this.setDefaultNamespace(kc);
  }

  async isNamespaced(apiVersion: string, kind: string): Promise<boolean | undefined> {
    return (await this.resource(apiVersion, kind))?.namespaced;
  }

  async serves(apiVersion: string, kind: string): Promise<boolean> {
    try {
      return (await this.resource(apiVersion, kind)) !== undefined;
    } catch {
      return false;
    }
  }
}

export function objectApi(kc: KubeConfig): ObjectApi {
  const api = kc.makeApiClient(ObjectApi);
  api.useContextNamespace(kc);
  return api;
}
