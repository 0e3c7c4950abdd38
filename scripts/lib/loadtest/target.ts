import type { V1Service } from '@kubernetes/client-node';
import { UserError } from '../cli.ts';
import type { ProviderName } from '../cluster/provider.ts';
import type { KObject } from '../manifests/objects.ts';
import type { Sh } from '../shell.ts';

/** Where k6 sends the load: the overlay Service's http NodePort, on loopback or the minikube IP. */
export async function targetUrl($: Sh, provider: ProviderName, objects: KObject[], explicit?: string): Promise<string> {
  if (explicit) return explicit;
  const svc = objects.find((o) => o.kind === 'Service') as (V1Service & KObject) | undefined;
  const nodePort = svc?.spec?.ports?.find((p) => p.name === 'http')?.nodePort;
  if (!nodePort) throw new UserError('the overlay\'s Service has no fixed http nodePort; pass --target-url.');
  if (provider === 'local') return `http://127.0.0.1:${nodePort}/v1/predict`;
  if (provider === 'minikube') return `http://${(await $`minikube ip`).stdout.trim()}:${nodePort}/v1/predict`;
  throw new UserError('on an existing cluster, pass --target-url (for example a LoadBalancer or Ingress in front of the inference Service).');
}
