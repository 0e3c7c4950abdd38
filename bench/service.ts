// npm run bench:service: the inference service's own overhead against a bare node:http
// server doing the same work, then the service at twice its capacity with /metrics and
// /healthz probed meanwhile. Prints figures; asserts nothing (targets are in docs/benchmarks.md).
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { BUNDLE_DIR, bundleInference } from '../scripts/lib/inference-bundle.ts';
import { percentile } from '../scripts/lib/stats.ts';
import { startServer } from './server-process.ts';

const BODY = JSON.stringify({ inputs: Array.from({ length: 16 }, (_, i) => i / 16) });

function post(agent: Agent, port: number, path: string): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
      },
    );
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
    req.end(BODY);
  });
}

function get(agent: Agent, port: number, path: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - t0));
    });
    req.on('error', () => resolve(Number.NaN));
    req.end();
  });
}

/** Closed loop: `concurrency` clients, each sending the next request when the last returns. */
async function closedLoop(port: number, path: string, concurrency: number, seconds: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const { status, ms } = await post(agent, port, path);
        if (status === 200) latencies.push(ms);
      }
    }),
  );
  agent.destroy();
  return { rps: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

const BASELINE = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const { inputs } = JSON.parse(Buffer.concat(chunks).toString());
    setTimeout(() => {
      const body = JSON.stringify({ outputs: inputs.slice(0, 4) });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }, Number(process.env.SERVICE_MS));
  });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ msg: 'listening', port: server.address().port, metricsPort: 0 })));
`;

const fmt = (n: number, digits = 1) => n.toFixed(digits).padStart(8);

await bundleInference();
const main = `${BUNDLE_DIR}/main.js`;
const base = { INFERENCE_HOST: '127.0.0.1', INFERENCE_PORT: '0', INFERENCE_METRICS_PORT: '0', INFERENCE_DRAIN_DELAY_MS: '0' };

// 1. Overhead: the same 5 ms of work, enough slots that nothing queues.
const serviceMs = 5;
const concurrency = 32;
const seconds = 5;
const baseline = await startServer(['-e', BASELINE], { SERVICE_MS: String(serviceMs) });
await closedLoop(baseline.port, '/', concurrency, 1);
const bare = await closedLoop(baseline.port, '/', concurrency, seconds);
baseline.child.kill();
const ours = await startServer([main], { ...base, INFERENCE_SLOTS: '1024', INFERENCE_QUEUE_LIMIT: '0', INFERENCE_SERVICE_TIME_MS: String(serviceMs), INFERENCE_SERVICE_JITTER_MS: '0' });
await closedLoop(ours.port, '/v1/predict', concurrency, 1);
const svc = await closedLoop(ours.port, '/v1/predict', concurrency, seconds);
ours.child.kill();

console.log(`overhead: ${concurrency} closed-loop clients, ${serviceMs} ms of work per request, ${seconds} s each`);
console.log(`                      req/s   p50 ms   p99 ms`);
console.log(`  bare node:http  ${fmt(bare.rps)} ${fmt(bare.p50)} ${fmt(bare.p99)}`);
console.log(`  inference       ${fmt(svc.rps)} ${fmt(svc.p50)} ${fmt(svc.p99)}`);
console.log(`  ratio (ours/bare, latency; bare/ours, throughput): p50 ${(svc.p50 / bare.p50).toFixed(3)}, p99 ${(svc.p99 / bare.p99).toFixed(3)}, throughput ${(bare.rps / svc.rps).toFixed(3)}  (target <= 1.3)`);

// 2. Saturation: open-loop arrivals at twice the capacity, probes on the side.
const slots = 4;
const sat = { ms: 50, seconds: 20 };
const capacity = (slots * 1000) / sat.ms;
const rate = 2 * capacity;
const server = await startServer([main], { ...base, INFERENCE_SLOTS: String(slots), INFERENCE_QUEUE_LIMIT: '16', INFERENCE_SERVICE_TIME_MS: String(sat.ms), INFERENCE_SERVICE_JITTER_MS: '10' });
const loadAgent = new Agent({ keepAlive: false });
const probeAgent = new Agent({ keepAlive: true, maxSockets: 2 });
const statuses = new Map<number, number>();
const served: number[] = [];
const inflight: Promise<void>[] = [];
const t0 = performance.now();
let stop = false;
const probes = { metrics: [] as number[], healthz: [] as number[] };
const prober = (async () => {
  while (!stop) {
    probes.metrics.push(await get(probeAgent, server.metricsPort, '/metrics'));
    probes.healthz.push(await get(probeAgent, server.port, '/healthz'));
    await sleep(50);
  }
})();
for (let i = 0; performance.now() - t0 < sat.seconds * 1000; i++) {
  const due = t0 + (i * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 1) await sleep(wait);
  inflight.push(
    post(loadAgent, server.port, '/v1/predict').then(({ status, ms }) => {
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === 200) served.push(ms);
    }),
  );
}
await Promise.all(inflight);
stop = true;
await prober;
const elapsed = (performance.now() - t0) / 1000;
server.child.kill('SIGTERM');
loadAgent.destroy();
probeAgent.destroy();
const rss = process.memoryUsage().rss;

console.log(`\nsaturation: ${slots} slots x ${sat.ms} ms = ${capacity} req/s capacity, offered ${rate} req/s open-loop for ${sat.seconds} s`);
console.log(`  served ${(served.length / elapsed).toFixed(1)} req/s (${((100 * served.length) / (elapsed * capacity)).toFixed(1)} % of capacity), statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
console.log(`  served latency p50 ${percentile(served, 50).toFixed(1)} ms, p99 ${percentile(served, 99).toFixed(1)} ms (bounded by the queue)`);
console.log(`  /metrics p50 ${percentile(probes.metrics, 50).toFixed(2)} ms, p99 ${percentile(probes.metrics, 99).toFixed(2)} ms  (target p99 < 50 ms)`);
console.log(`  /healthz p50 ${percentile(probes.healthz, 50).toFixed(2)} ms, p99 ${percentile(probes.healthz, 99).toFixed(2)} ms`);
console.log(`  load generator rss ${(rss / 2 ** 20).toFixed(0)} MiB`);
