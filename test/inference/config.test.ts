import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, loadConfig, longestRequestMs, runsAtOnce } from '../../inference/src/config.ts';
import { CAPACITY_METRIC, createMetrics } from '../../inference/src/metrics.ts';

const config = suite('service configuration');

config('has defaults that describe a 4-slot pod', () => {
  const c = loadConfig({});
  assert.is(c.slots, 4);
  assert.is(c.port, 8080);
  assert.is(c.metricsPort, 9090);
  assert.is(c.computeMode, 'sleep');
  assert.ok(c.connectionsCheckingIntervalMs < c.headersTimeoutMs, 'timeouts are checked more often than they last');
});

config('names the variable and the reason for every bad value', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ INFERENCE_SLOTS: '0' }, /^INFERENCE_SLOTS must be between 1 and/],
    [{ INFERENCE_SLOTS: '2.5' }, /^INFERENCE_SLOTS must be a whole number/],
    [{ INFERENCE_PORT: '70000' }, /^INFERENCE_PORT must be between 0 and 65535/],
    [{ INFERENCE_COMPUTE_MODE: 'gpu' }, /^INFERENCE_COMPUTE_MODE must be "sleep" or "compute"/],
    [{ INFERENCE_SERVICE_TIME_MS: '100', INFERENCE_SERVICE_JITTER_MS: '100' }, /^INFERENCE_SERVICE_JITTER_MS \(100\) must be below/],
    [{ INFERENCE_PORT: '9000', INFERENCE_METRICS_PORT: '9000' }, /must differ/],
  ];
  for (const [env, message] of cases) {
    assert.throws(() => loadConfig(env), (e: unknown) => e instanceof ConfigError && message.test(e.message));
  }
});

config('bounds the longest request by a full queue ahead of it', () => {
  const c = loadConfig({ INFERENCE_SLOTS: '4', INFERENCE_QUEUE_LIMIT: '8', INFERENCE_SERVICE_TIME_MS: '200', INFERENCE_SERVICE_JITTER_MS: '50' });
  assert.is(longestRequestMs(c), 3 * 250);
});

config('stretches the longest request by the slots sharing a CPU limit in compute mode, and only there', () => {
  const env = { INFERENCE_SLOTS: '4', INFERENCE_QUEUE_LIMIT: '16', INFERENCE_SERVICE_TIME_MS: '50', INFERENCE_SERVICE_JITTER_MS: '10' };
  // Four running requests share 200m: each gets 50m, so 60 ms of CPU takes 1.2 s; five waves.
  assert.is(Math.round(longestRequestMs(loadConfig({ ...env, INFERENCE_COMPUTE_MODE: 'compute' }), 0.2)), 5 * 1200);
  assert.is(longestRequestMs(loadConfig({ ...env, INFERENCE_COMPUTE_MODE: 'compute' }), 8), 5 * 60);
  assert.is(longestRequestMs(loadConfig({ ...env, INFERENCE_COMPUTE_MODE: 'sleep' }), 0.2), 5 * 60);
});

config("runs its slots at once, or where the CPU binds no more than the cores its CPU limit gives them, and exports it", async () => {
  assert.is(runsAtOnce(loadConfig({ INFERENCE_SLOTS: '4', INFERENCE_CPU_LIMIT_MILLICORES: '200' })), 4, 'asleep, as on an accelerator: the slots');
  assert.is(runsAtOnce(loadConfig({ INFERENCE_SLOTS: '4', INFERENCE_COMPUTE_MODE: 'compute', INFERENCE_CPU_LIMIT_MILLICORES: '200' })), 0.2);
  assert.is(runsAtOnce(loadConfig({ INFERENCE_SLOTS: '4', INFERENCE_COMPUTE_MODE: 'compute', INFERENCE_CPU_LIMIT_MILLICORES: '8000' })), 4, 'no more than its slots');
  assert.is(runsAtOnce(loadConfig({ INFERENCE_SLOTS: '4', INFERENCE_COMPUTE_MODE: 'compute' })), 4, 'no limit known: its slots');
  assert.is(runsAtOnce(loadConfig({ INFERENCE_SLOTS: '4', INFERENCE_ENGINE: 'llama', INFERENCE_MODEL_PATH: '/m.gguf', INFERENCE_CPU_LIMIT_MILLICORES: '1000' })), 1, 'a real model on CPU: its cores');
  assert.throws(() => loadConfig({ INFERENCE_CPU_LIMIT_MILLICORES: '-1' }), (e: unknown) => e instanceof ConfigError && /^INFERENCE_CPU_LIMIT_MILLICORES must be between 0/.test(e.message));
  const text = await createMetrics(4, 200, undefined, 'm', 0.2).registry.metrics();
  assert.match(text, new RegExp(`^${CAPACITY_METRIC} 0\\.2$`, 'm'));
});

config.run();
