import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ComputePool } from './compute-pool.ts';
import { cpuBound, runsAtOnce, type ServiceConfig } from './config.ts';
import { CpuCostEstimate, processCpuSeconds } from './cpu-cost.ts';
import type { Logger } from './log.ts';
import { createMetrics, type InferenceMetrics } from './metrics.ts';
import { forward } from './model.ts';
import { HttpError, parsePredict, readBody, requireJson } from './request.ts';
import { QueueFullError, SlotPool } from './slots.ts';
import { chunkEvent, completionBody, COMPLETIONS_PATH, DONE_EVENT, parseCompletion } from './completions.ts';
import { simulatedEngine, type CompletionEngine, type FinishReason } from './engine.ts';
import { randomUUID } from 'node:crypto';

export const PREDICT_PATH = '/v1/predict';

export interface InferenceService {
  /** Binds both ports; resolves with the ports actually bound (0 in config picks a free one). */
  listen(): Promise<{ port: number; metricsPort: number }>;
  /** Readiness off, drain delay, stop accepting, let in-flight requests finish, close. */
  shutdown(): Promise<{ forced: boolean }>;
  readonly metrics: InferenceMetrics;
  readonly slots: SlotPool;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function createInferenceService(
  config: ServiceConfig,
  log: Logger,
  random: () => number = Math.random,
  engine?: CompletionEngine,
): InferenceService {
  const metrics = createMetrics(config.slots, config.serviceTimeMs, undefined, config.modelName, runsAtOnce(config));
  const slots = new SlotPool(config.slots, config.queueLimit, metrics.onSlotsChanged);
  const pool = config.computeMode === 'compute' ? new ComputePool(config.slots) : undefined;
  // Where the CPU binds, a request's demand is what it costs the pod's CPU, measured here
  // each second; until enough requests were served, what the engine declares (if it can).
  const cpuCost = cpuBound(config) ? new CpuCostEstimate() : undefined;
  let served = 0;
  const sampler = cpuCost ? setInterval(() => cpuCost.sample({ cpuSeconds: processCpuSeconds(), served }), 1000).unref() : undefined;
  const arrival = (declared: number | undefined): void => {
    const seconds = cpuCost?.perRequest() ?? declared;
    if (seconds !== undefined) metrics.observeArrival(seconds);
  };
  let ready = false;
  let draining = false;
  let active = 0;
  let idle: (() => void) | undefined;

  // How long until a queue slot is likely free: one wave of service per full set of slots.
  const retryAfterSeconds = String(
    Math.max(1, Math.ceil(((config.queueLimit / config.slots + 1) * config.serviceTimeMs) / 1000)),
  );

  const serviceTimeMs = (): number =>
    config.serviceTimeMs + (random() * 2 - 1) * config.serviceJitterMs;

  /** A slot, at once or after waiting in the queue; 429 when the queue is full, 499 when the client goes away. */
  async function acquireSlot(res: ServerResponse): Promise<() => void> {
    // The common case takes a free slot at once; only a queued request watches for its
    // client going away.
    const free = slots.tryAcquire();
    if (free) return free;
    const abandoned = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abandoned.abort();
    });
    try {
      return await slots.acquire(abandoned.signal);
    } catch (error) {
      if (error instanceof QueueFullError) {
        throw new HttpError(429, 'all slots are busy and the queue is full', { 'retry-after': retryAfterSeconds });
      }
      throw new HttpError(499, 'client went away while queued');
    }
  }

  async function predict(req: IncomingMessage, res: ServerResponse): Promise<number> {
    if (req.method !== 'POST') throw new HttpError(405, 'use POST', { allow: 'POST' });
    requireJson(req);
    const request = parsePredict(await readBody(req, config.maxBodyBytes), config.maxInputs);
    arrival(config.serviceTimeMs / 1000);
    const queuedAt = performance.now();
    const release = await acquireSlot(res);
    const startedAt = performance.now();
    try {
      const busy = serviceTimeMs();
      let outputs: number[];
      if (pool) {
        outputs = await pool.run(request.inputs, busy);
      } else {
        await sleep(busy);
        outputs = forward(request.inputs);
      }
      const body = {
        id: request.id,
        outputs,
        queuedMs: Math.round(startedAt - queuedAt),
        serviceMs: Math.round(performance.now() - startedAt),
      };
      send(res, 200, body, draining ? { connection: 'close' } : {});
      return 200;
    } finally {
      release();
    }
  }

  /** A slot's busy time: asleep, as on a GPU, or on a worker's CPU in compute mode. */
  const work = (ms: number): Promise<unknown> => (ms <= 0 ? Promise.resolve() : pool ? pool.run([0], ms) : sleep(ms));
  const generator = engine ?? simulatedEngine(config, work, !pool);

  async function complete(req: IncomingMessage, res: ServerResponse): Promise<number> {
    if (req.method !== 'POST') throw new HttpError(405, 'use POST', { allow: 'POST' });
    requireJson(req);
    const c = parseCompletion(await readBody(req, config.maxBodyBytes), { ...config, countTokens: generator.countTokens });
    arrival(generator.nominalSeconds?.(c));
    const arrived = performance.now();
    const release = await acquireSlot(res);
    const ids = { id: `cmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000) };
    const gone = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    const close: Record<string, string> = draining ? { connection: 'close' } : {};
    let generated = 0;
    let ttft = Number.NaN;
    let finished: FinishReason = 'abort';
    try {
      const parts: string[] = [];
      if (c.stream) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...close });
      const sink = {
        token: () => {
          if (Number.isNaN(ttft)) ttft = (performance.now() - arrived) / 1000;
        },
        text: (text: string) => {
          if (!c.stream) parts.push(text);
          else if (text !== '' && !res.destroyed) res.write(chunkEvent(c, ids, text, null));
        },
      };
      ({ tokens: generated, finishReason: finished } = await generator.generate(c, sink, gone.signal));
      if (finished === 'abort' || res.destroyed) return 499;
      if (!c.stream) {
        send(res, 200, completionBody(c, ids, parts.join(''), generated, finished), close);
        return 200;
      }
      res.write(chunkEvent(c, ids, '', finished));
      res.end(DONE_EVENT);
      return 200;
    } finally {
      release();
      metrics.observeCompletion({ promptTokens: c.promptTokens, generationTokens: generated, ttftSeconds: ttft, e2eSeconds: (performance.now() - arrived) / 1000, finishedReason: finished });
    }
  }

  /** The Prometheus exposition: on the metrics port, and on the API port as vLLM serves it (the server presets scrape either). */
  function exposition(res: ServerResponse): void {
    metrics.registry.metrics().then(
      (text) => send(res, 200, text, { 'content-type': metrics.registry.contentType }),
      (error: Error) => send(res, 500, { error: error.message }),
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return send(res, 200, 'ok\n');
    if (path === '/metrics' && req.method === 'GET') return exposition(res);
    // vLLM's health route answers as readiness does: 200 only while requests are taken.
    if (path === '/readyz' || path === '/health') return ready && !draining ? send(res, 200, 'ready\n') : send(res, 503, 'not ready\n');
    const route = path === PREDICT_PATH ? predict : path === COMPLETIONS_PATH ? complete : undefined;
    if (!route) return send(res, 404, { error: `no route ${path}` });

    const started = performance.now();
    active += 1;
    let status = 500;
    try {
      status = await route(req, res);
    } catch (error) {
      if (error instanceof HttpError) {
        status = error.status;
        // A 413 keeps the connection until the rest of the body is read and dropped (see
        // discardRest): closing now would reset a client still writing it.
        const close: Record<string, string> = draining ? { connection: 'close' } : {};
        if (!res.headersSent && !res.destroyed) send(res, status, { error: error.message }, { ...error.headers, ...close });
      } else {
        log('error', `${path} failed`, { error: (error as Error).message });
        if (!res.headersSent && !res.destroyed) send(res, 500, { error: 'internal error' });
      }
    } finally {
      metrics.observeRequest(status, (performance.now() - started) / 1000);
      if (status === 200) served += 1;
      active -= 1;
      if (active === 0) idle?.();
    }
  }

  const serverOptions = {
    requestTimeout: config.requestTimeoutMs,
    headersTimeout: config.headersTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    maxHeaderSize: config.maxHeaderBytes,
    connectionsCheckingInterval: config.connectionsCheckingIntervalMs,
  };
  const api: Server = createServer(serverOptions, (req, res) => void handle(req, res));
  const metricsServer: Server = createServer(serverOptions, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') return send(res, 404, { error: `no route ${path}` });
    exposition(res);
  });

  const bind = (server: Server, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, config.host, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });

  const closeServer = (server: Server): Promise<void> =>
    new Promise((resolve) => server.close(() => resolve()));

  return {
    metrics,
    slots,
    async listen() {
      const port = await bind(api, config.port);
      const metricsPort = await bind(metricsServer, config.metricsPort);
      ready = true;
      log('info', 'listening', { port, metricsPort, slots: config.slots, queueLimit: config.queueLimit, engine: generator.kind, mode: config.computeMode });
      return { port, metricsPort };
    },
    async shutdown() {
      draining = true;
      log('info', 'draining', { inFlight: slots.inFlight, drainDelayMs: config.drainDelayMs });
      await sleep(config.drainDelayMs);
      const closed = closeServer(api);
      api.closeIdleConnections();
      const finished = active === 0 ? Promise.resolve(true) : new Promise<boolean>((resolve) => (idle = () => resolve(true)));
      const forced = !(await Promise.race([finished, sleep(config.shutdownTimeoutMs, false)]));
      api.closeAllConnections();
      await closed;
      metricsServer.closeAllConnections();
      await closeServer(metricsServer);
      clearInterval(sampler);
      await pool?.close();
      await engine?.close();
      log(forced ? 'warn' : 'info', 'stopped', { forced });
      return { forced };
    },
  };
}
