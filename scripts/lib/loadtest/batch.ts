import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Gauge, Registry } from 'prom-client';
import { BACKLOG_METRIC, BACKLOG_PORT } from '../monitoring/backlog.ts';
import { requestUrl, type LoadRequest } from './request.ts';

// A batch consumer's client, the kind of client a Deployment scaled to zero can serve: it
// has a batch of requests to get answered and sends each one again after a pause when it is
// refused (no pod behind the Service: the connection is refused or reset; or the pods shed
// it with 429, or answer 503 while they start or drain). What waits to be sent again is its
// backlog, which it exports for Prometheus: the signal KEDA activates the Deployment on,
// since a Deployment at zero exports nothing itself.

export interface BatchOptions {
  /** Where the requests go: scheme://host:port; the request adds its path. */
  baseUrl: string;
  /** What each request sends (the overlay's load request): its bodies in turn. */
  request: Pick<LoadRequest, 'method' | 'path' | 'headers' | 'bodies'>;
  requests: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** The pause before a refused request is sent again. */
  retryMs: number;
  /** A request not answered by then is lost. */
  deadlineMs: number;
  /** Each attempt's own limit. */
  attemptTimeoutMs?: number;
  /** Set the backlog gauge (the exporter's); called on every change. */
  onBacklog?: (waiting: number) => void;
  signal?: AbortSignal;
}

export interface BatchResult {
  /** Epoch ms: the first attempt, the first 200, the last 200. */
  startedAt: number;
  firstOkAt?: number;
  lastOkAt?: number;
  answered: number;
  attempts: number;
  /** Attempts refused or shed, each sent again. */
  refused: number;
  /** Requests never answered by the deadline. */
  lost: number;
}

const RETRIED_STATUSES = new Set([429, 502, 503, 504]);

export async function runBatch(o: BatchOptions): Promise<BatchResult> {
  const result: BatchResult = { startedAt: Date.now(), answered: 0, attempts: 0, refused: 0, lost: 0 };
  const deadline = result.startedAt + o.deadlineMs;
  let next = 0;
  let waiting = 0;
  const setWaiting = (delta: number) => {
    waiting += delta;
    o.onBacklog?.(waiting);
  };
  const one = async (id: number): Promise<void> => {
    for (;;) {
      if (o.signal?.aborted || Date.now() >= deadline) {
        result.lost++;
        return;
      }
      result.attempts++;
      const status = await fetch(requestUrl(o.request, o.baseUrl), {
        method: o.request.method,
        headers: o.request.headers,
        body: o.request.bodies.length > 0 ? o.request.bodies[id % o.request.bodies.length] : undefined,
        signal: AbortSignal.timeout(o.attemptTimeoutMs ?? 10_000),
      }).then(
        async (r) => {
          await r.arrayBuffer();
          return r.status;
        },
        () => 0,
      );
      if (status === 200) {
        const now = Date.now();
        result.firstOkAt ??= now;
        result.lastOkAt = now;
        result.answered++;
        return;
      }
      if (status !== 0 && !RETRIED_STATUSES.has(status)) {
        // Not a refusal: the request itself is wrong, and sending it again would not help.
        result.lost++;
        return;
      }
      result.refused++;
      setWaiting(+1);
      await sleep(o.retryMs);
      setWaiting(-1);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(o.concurrency, o.requests) }, async () => {
      while (next < o.requests) await one(next++);
    }),
  );
  return result;
}

/** The backlog as a Prometheus gauge on 127.0.0.1:port, for as long as the batch runs. */
export async function serveBacklog(port: number = BACKLOG_PORT): Promise<{ set: (n: number) => void; close: () => Promise<void>; port: number }> {
  const registry = new Registry();
  const gauge = new Gauge({ name: BACKLOG_METRIC, help: 'Requests of the batch waiting to be sent again after a refusal.', registers: [registry] });
  gauge.set(0);
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    void registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    set: (n) => gauge.set(n),
    close: () => new Promise((resolve) => server.close(() => resolve())),
    port: typeof address === 'object' && address ? address.port : port,
  };
}
