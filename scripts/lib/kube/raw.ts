import type { KubeConfig } from '@kubernetes/client-node';
import { request } from 'node:https';
import { UserError } from '../cli.ts';

export interface RawResponse {
  status: number;
  body: string;
}

/** GET an apiserver path the typed clients do not cover (the custom metrics API). */
export function kubeGet(kc: KubeConfig, path: string, timeoutMs = 10_000): Promise<RawResponse> {
  return kubeRequest(kc, 'GET', path, { timeoutMs });
}

/** One request to the apiserver, the body sent as it is (no typed serializer in between). */
export async function kubeRequest(kc: KubeConfig, method: string, path: string, o: { body?: string; contentType?: string; timeoutMs?: number } = {}): Promise<RawResponse> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new UserError('the kubeconfig has no current cluster; check its current-context.');
  const url = new URL(path, server);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (o.contentType) headers['content-type'] = o.contentType;
  const options: Parameters<typeof request>[1] = { method, headers, timeout: timeoutMs };
  await kc.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = request(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(o.body);
  });
}
