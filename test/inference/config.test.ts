import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, loadConfig, longestRequestMs } from '../../inference/src/config.ts';

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

config.run();
