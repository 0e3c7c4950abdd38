import type { KubeConfig } from '@kubernetes/client-node';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { UserError } from '../cli.ts';

// Before a script applies, deletes or loads anything it asks the API server for /version,
// the one path every Kubernetes API server serves, and turns whatever goes wrong into one
// sentence that names the server, the cause and what to check.

export const REACH_TIMEOUT_MS = 10_000;

export interface ServerVersion {
  gitVersion: string;
  major: string;
  minor: string;
}

// OpenSSL's verification failures as Node reports them (error.code).
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface Answer {
  status: number;
  body: string;
}

class Unreachable extends Error {}

function get(url: URL, options: RequestOptions, timeoutMs: number): Promise<Answer> {
  const request = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { ...options, method: 'GET', headers: { ...options.headers, accept: 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        // /version is a few hundred bytes; a server that sends megabytes is not one.
        if (body.length < 65_536) body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Unreachable('timeout')), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end();
  });
}

/** Why a request to the server failed, as the middle of a sentence. */
export function unreachableReason(error: unknown, timeoutMs: number): string {
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message ?? String(error);
  if (error instanceof Unreachable) return `it did not answer within ${timeoutMs / 1000} s; check the address, and that no firewall or VPN drops the traffic`;
  if (code === 'ECONNREFUSED') return 'the connection was refused; check that the cluster is running and that the kubeconfig names the right address';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'its host name does not resolve; check the address in the kubeconfig';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'there is no route to it; check the address and the network';
  if (code === 'ECONNRESET') return 'it closed the connection; check that the address is an API server';
  if (UNTRUSTED.has(code)) return `its TLS certificate is not trusted (${code}); check certificate-authority-data in the kubeconfig`;
  if (code.startsWith('ERR_SSL') || code === 'EPROTO') return 'it does not speak TLS as an API server does; check the address and its scheme';
  return `${message}; check the kubeconfig`;
}

/** A sentence for an answer that is not a Kubernetes /version, or undefined when it is one. */
export function answerProblem(answer: Answer): string | undefined {
  if (answer.status === 401) return 'it refused our credentials (401 Unauthorized); check the user of the current context (token, client certificate)';
  if (answer.status === 403) return 'it denied the user of the current context (403 Forbidden); check its RBAC bindings';
  if (answer.status !== 200) return `it answered /version with HTTP ${answer.status}, so it is not a Kubernetes API; check the address in the kubeconfig`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    return 'it answered /version with something other than JSON, so it is not a Kubernetes API; check the address in the kubeconfig';
  }
  const v = parsed as Partial<ServerVersion> | null;
  if (!v || typeof v.gitVersion !== 'string' || typeof v.major !== 'string') {
    return 'its /version has no Kubernetes version in it, so it is not a Kubernetes API; check the address in the kubeconfig';
  }
  return undefined;
}

/** The API server's version, or a UserError naming the server, the cause and what to check. */
export async function reachApiServer(kc: KubeConfig, timeoutMs = REACH_TIMEOUT_MS): Promise<ServerVersion> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new UserError(`the kubeconfig has no current cluster (context "${kc.getCurrentContext()}"); check its current-context.`);
  let url: URL;
  try {
    url = new URL('/version', server);
  } catch {
    throw new UserError(`the kubeconfig's server "${server}" is not a URL; check the cluster entry of its current context.`);
  }
  const options: RequestOptions = {};
  let answer: Answer;
  try {
    await kc.applyToHTTPSOptions(options);
    answer = await get(url, options, timeoutMs);
  } catch (error) {
    throw new UserError(`cannot reach the Kubernetes API server at ${server}: ${unreachableReason(error, timeoutMs)}.`);
  }
  const problem = answerProblem(answer);
  if (problem) throw new UserError(`the server at ${server} is not usable: ${problem}.`);
  return JSON.parse(answer.body) as ServerVersion;
}
