import { UserError } from '../cli.ts';
import type { ClusterProvider } from '../cluster/provider.ts';
import { nodePortOf, type KObject } from '../manifests/objects.ts';

/** Where the load goes (scheme://host:port; the request adds its path): the overlay Service's http NodePort on the provider's node address. */
export async function targetUrl(provider: Pick<ClusterProvider, 'nodeAddress'>, objects: KObject[], explicit?: string): Promise<string> {
  if (explicit) return explicit;
  const nodePort = nodePortOf(objects, 'http');
  if (!nodePort) throw new UserError("the overlay's Service has no fixed http nodePort; pass --target-url.");
  const address = await provider.nodeAddress();
  if (!address) throw new UserError('on an existing cluster, pass --target-url http://<host>:<port> (for example a LoadBalancer or Ingress in front of the inference Service).');
  return `http://${address}:${nodePort}`;
}
