import { KubernetesObjectApi, type KubeConfig } from '@kubernetes/client-node';
import { UserError } from '../cli.ts';
import { apiErrorCode } from './client.ts';
import { errorSentence } from '../wait.ts';

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
    } catch (error) {
      // Only "this group/version is not served" means no; a broken connection is not an answer.
      if (apiErrorCode(error) === 404) return false;
      throw new UserError(`cannot ask the API server whether it serves ${apiVersion} ${kind}: ${errorSentence(error)}.`);
    }
  }
}

export function objectApi(kc: KubeConfig): ObjectApi {
  const api = kc.makeApiClient(ObjectApi);
  api.useContextNamespace(kc);
  return api;
}
