import type { KubeConfig } from '@kubernetes/client-node';
import { request } from 'node:https';
import { UserError } from '../cli.ts';

export interface RawResponse {
  status: number;
  body: string;
}

/** GET an apiserver path the typed clients do not cover (the custom metrics API). */
export async function kubeGet(kc: KubeConfig, path: string, timeoutMs = 10_000): Promise<RawResponse> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new UserError('the kubeconfig has no current cluster; check its current-context.');
  const url = new URL(path, server);
  const options: Parameters<typeof request>[1] = { method: 'GET', headers: { accept: 'application/json' }, timeout: timeoutMs };
  await kc.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = request(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
