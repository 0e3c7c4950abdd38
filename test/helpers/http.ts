import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RequestOptions {
  method?: string;
  path: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
}

/** One request on its own connection to 127.0.0.1:port. */
export function request(port: number, options: RequestOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export function predict(port: number, payload: unknown = { inputs: [1, 2, 3] }): Promise<Reply> {
  return request(port, {
    method: 'POST',
    path: '/v1/predict',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
}

/** Reads one sample of a Prometheus text exposition (no labels, or an exact label set). */
export function sample(metricsText: string, name: string): number {
  const line = metricsText.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`metric ${name} not found`);
  return Number(line.slice(name.length + 1));
}

/** One sample of an exposition by its whole series, labels included, e.g. vllm:generation_tokens_total{model_name="m"}. */
export function series(metricsText: string, name: string): number {
  const line = metricsText.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in the exposition`);
  return Number(line.slice(name.length + 1));
}

export async function scrape(metricsPort: number): Promise<string> {
  const reply = await request(metricsPort, { path: '/metrics' });
  if (reply.status !== 200) throw new Error(`/metrics answered ${reply.status}`);
  return reply.body;
}

/** A raw TCP connection; resolves with the time it was closed by the server and what it read. */
export function rawSocket(port: number): { socket: Socket; closed: Promise<{ atMs: number; data: string }> } {
  const socket = connect(port, '127.0.0.1');
  let data = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (data += chunk));
  socket.on('error', () => {});
  const closed = new Promise<{ atMs: number; data: string }>((resolve) =>
    socket.on('close', () => resolve({ atMs: performance.now(), data })),
  );
  return { socket, closed };
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
