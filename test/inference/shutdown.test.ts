import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { predict, request, until } from '../helpers/http.ts';
import { loadConfig, longestRequestMs } from '../../inference/src/config.ts';
import { TEST_SETTINGS } from '../helpers/service.ts';

const main = fileURLToPath(new URL('../../inference/src/main.ts', import.meta.url));

function startProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, ...TEST_SETTINGS, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) lines.push(JSON.parse(part) as Record<string, unknown>);
  });
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  return { child, lines, exited };
}

const shutdown = suite('the inference service process');

shutdown('lets in-flight requests finish with 200 on SIGTERM, then exits 0 before the grace period', async () => {
  const proc = startProcess({});
  await until(() => proc.lines.some((l) => l.msg === 'listening'), 10_000, 'the service to listen');
  const { port } = proc.lines.find((l) => l.msg === 'listening') as { port: number };
  const slots = Number(TEST_SETTINGS.INFERENCE_SLOTS);
  const queue = Number(TEST_SETTINGS.INFERENCE_QUEUE_LIMIT);
  const held = Array.from({ length: slots + queue }, () => predict(port));
  await new Promise((r) => setTimeout(r, 50));
  const t0 = performance.now();
  proc.child.kill('SIGTERM');
  await until(async () => (await request(port, { path: '/readyz' })).status === 503, 1000, 'readiness to turn false');
  const duringDrain = await request(port, { path: '/healthz' });
  assert.is(duringDrain.status, 200, 'liveness never depends on draining');
  const replies = await Promise.all(held);
  assert.equal(replies.map((r) => r.status), Array(slots + queue).fill(200));
  const [code] = await proc.exited;
  const took = performance.now() - t0;
  assert.is(code, 0);
  // The drain delay, the longest request as the service computes it, and a second to exit.
  const config = loadConfig(TEST_SETTINGS);
  const grace = config.drainDelayMs + longestRequestMs(config) + 1000;
  assert.ok(took < grace, `exited after ${took.toFixed(0)} ms, grace ${grace} ms`);
  assert.ok(proc.lines.some((l) => l.msg === 'draining') && proc.lines.some((l) => l.msg === 'stopped' && l.forced === false));
});

shutdown('refuses a bad setting with one sentence naming it and a non-zero exit', async () => {
  const proc = startProcess({ INFERENCE_QUEUE_LIMIT: 'lots' });
  const [code] = await proc.exited;
  assert.is(code, 2);
  assert.is(proc.lines.length, 1);
  assert.match(String(proc.lines[0]?.msg), /^INFERENCE_QUEUE_LIMIT must be a whole number, got "lots"\.$/);
});

shutdown.run();
