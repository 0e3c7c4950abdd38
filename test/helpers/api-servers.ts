import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { sh } from '../../scripts/lib/shell.ts';

// Real listeners on 127.0.0.1 that are not a usable Kubernetes API, and kubeconfigs that
// point at them: what a script sees when the cluster is not there.

export type Case = 'refused' | 'timeout' | 'untrusted' | 'unauthorized' | 'forbidden' | 'not-found' | 'not-json' | 'missing-kubeconfig';
/** `kubernetes`: a trusted server that answers /version as an API server does, and nothing else. */
export type Listen = Case | 'kubernetes';

export interface Listener {
  server: string;
  /** Every request line the listener received, to prove nothing but /version was asked. */
  requests: string[];
  close(): Promise<void>;
}

export interface Pki {
  cert: string;
  key: string;
}

/** A self-signed certificate for 127.0.0.1, made with openssl: the kubeconfig trusts it or not. */
export async function selfSignedPki(): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), 'api-pki-'));
  const cert = join(dir, 'server.crt');
  const key = join(dir, 'server.key');
  await sh`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout ${key} -out ${cert}`;
  return { cert: await readFile(cert, 'utf8'), key: await readFile(key, 'utf8') };
}

const listen = (server: Server): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

const closer = (server: Server, sockets: Set<Socket>) => (): Promise<void> =>
  new Promise((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });

function tracked(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

const version = (res: ServerResponse): void => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"major":"1","minor":"37","gitVersion":"v1.37.2"}');

const ANSWERS: Partial<Record<Listen, (res: ServerResponse) => void>> = {
  unauthorized: (res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"kind":"Status","code":401,"message":"Unauthorized"}'),
  forbidden: (res) => res.writeHead(403, { 'content-type': 'application/json' }).end('{"kind":"Status","code":403,"message":"forbidden"}'),
  'not-found': (res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body><h1>404 Not Found</h1></body></html>'),
  'not-json': (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>It works!</body></html>'),
  untrusted: version,
  kubernetes: version,
};

/** A listener that behaves as the case says, over TLS where a TLS server would answer. */
export async function listenerFor(c: Listen, pki: Pki): Promise<Listener> {
  const requests: string[] = [];
  if (c === 'refused' || c === 'missing-kubeconfig') {
    // A port that was just free and is closed again: nothing listens there.
    const probe = createTcpServer();
    const port = await listen(probe);
    await new Promise<void>((r) => probe.close(() => r()));
    return { server: `https://127.0.0.1:${port}`, requests, close: async () => {} };
  }
  if (c === 'timeout') {
    // Accepts the connection and never says a word, as a black-holed load balancer does.
    const server = createTcpServer(() => {});
    const sockets = tracked(server);
    const port = await listen(server);
    return { server: `https://127.0.0.1:${port}`, requests, close: closer(server, sockets) };
  }
  const answer = ANSWERS[c];
  if (!answer) throw new Error(`no listener for ${c}`);
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    requests.push(`${req.method} ${req.url}`);
    answer(res);
  };
  const server = createHttpsServer({ cert: pki.cert, key: pki.key }, handler);
  const sockets = tracked(server);
  const port = await listen(server);
  return { server: `https://127.0.0.1:${port}`, requests, close: closer(server, sockets) };
}

/** A kubeconfig for the listener: it trusts the certificate except in the untrusted case. */
export async function kubeconfigFor(c: Listen, listener: Listener, pki: Pki): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kubeconfig-'));
  const file = join(dir, 'config');
  if (c === 'missing-kubeconfig') return file;
  const cluster: Record<string, string> = { server: listener.server };
  if (c !== 'untrusted') cluster['certificate-authority-data'] = Buffer.from(pki.cert).toString('base64');
  await writeFile(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'target', cluster }],
      users: [{ name: 'someone', user: { token: 'not-a-real-token' } }],
      contexts: [{ name: 'target', context: { cluster: 'target', user: 'someone' } }],
      'current-context': 'target',
    }),
  );
  return file;
}
