import type { KubeConfig } from '@kubernetes/client-node';
import { ApiregistrationV1Api } from '@kubernetes/client-node';
import { serverSideApply } from '../../kube/apply.ts';
import { apiErrorCode } from '../../kube/client.ts';
import type { KObject } from '../../manifests/objects.ts';
import { waitFor } from '../../wait.ts';

// An aggregated API served by a host process (prometheus-adapter, metrics-server): an
// ExternalName Service to localhost and one APIService per group version, as kwokctl
// registers host-process metrics servers.

export const HOST_API_NAMESPACE = 'monitoring';

export interface HostApi {
  /** The Service's name, after the server. */
  service: string;
  port: number;
  /** Group → its versions, lowest priority first. */
  groups: Record<string, string[]>;
}

export const apiServiceNames = (api: HostApi): string[] => Object.entries(api.groups).flatMap(([group, versions]) => versions.map((v) => `${v}.${group}`));

export function hostApiObjects(api: HostApi): KObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: HOST_API_NAMESPACE, labels: { 'app.kubernetes.io/part-of': 'inferscale' } } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: api.service, namespace: HOST_API_NAMESPACE },
      spec: { type: 'ExternalName', externalName: 'localhost', ports: [{ name: 'https', port: api.port }] },
    },
    ...Object.entries(api.groups).flatMap(([group, versions]) =>
      versions.map((version, i) => ({
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name: `${version}.${group}` },
        spec: {
          group,
          version,
          service: { name: api.service, namespace: HOST_API_NAMESPACE, port: api.port },
          // The server serves a self-signed certificate on the host.
          insecureSkipTLSVerify: true,
          groupPriorityMinimum: 100,
          versionPriority: 100 + 100 * i,
        },
      })),
    ),
  ];
}

/** Registers the API and waits until the apiserver reports every version Available. */
export async function registerHostApi(kc: KubeConfig, api: HostApi, timeoutMs = 60_000): Promise<void> {
  for (const obj of hostApiObjects(api)) await serverSideApply(kc, obj);
  const client = kc.makeApiClient(ApiregistrationV1Api);
  for (const name of apiServiceNames(api)) {
    await waitFor(`APIService ${name} to be Available`, timeoutMs, async () => {
      const svc = await client.readAPIService({ name });
      return svc.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ? true : undefined;
    });
  }
}

/**
 * Removes the API's APIServices that point at its server (with them pointing at a stopped
 * server, namespace deletion hangs); one another server has since claimed stays.
 */
export async function unregisterHostApi(kc: KubeConfig, api: HostApi): Promise<void> {
  const client = kc.makeApiClient(ApiregistrationV1Api);
  for (const name of apiServiceNames(api)) {
    const current = await client.readAPIService({ name }).catch((e: unknown) => {
      if (apiErrorCode(e) === 404) return undefined;
      throw e;
    });
    if (current?.spec?.service?.name !== api.service) continue;
    await client.deleteAPIService({ name }).catch((e: unknown) => {
      if (apiErrorCode(e) !== 404) throw e;
    });
  }
}
