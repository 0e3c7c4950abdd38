import { loadConfig, type ServiceConfig } from '../../inference/src/config.ts';
import { silentLogger } from '../../inference/src/log.ts';
import { createInferenceService, type InferenceService } from '../../inference/src/server.ts';

/** Settings small enough that timeouts and queues show up in a test's time. */
export const TEST_SETTINGS: Record<string, string> = {
  INFERENCE_HOST: '127.0.0.1',
  INFERENCE_PORT: '0',
  INFERENCE_METRICS_PORT: '0',
  INFERENCE_SLOTS: '2',
  INFERENCE_QUEUE_LIMIT: '2',
  INFERENCE_SERVICE_TIME_MS: '400',
  INFERENCE_SERVICE_JITTER_MS: '0',
  INFERENCE_MAX_BODY_BYTES: '1024',
  INFERENCE_MAX_INPUTS: '16',
  INFERENCE_HEADERS_TIMEOUT_MS: '600',
  INFERENCE_REQUEST_TIMEOUT_MS: '1200',
  INFERENCE_CONNECTIONS_CHECK_MS: '100',
  INFERENCE_KEEPALIVE_TIMEOUT_MS: '1000',
  INFERENCE_DRAIN_DELAY_MS: '300',
  INFERENCE_SHUTDOWN_TIMEOUT_MS: '5000',
};

export interface Running {
  service: InferenceService;
  config: ServiceConfig;
  port: number;
  metricsPort: number;
}

export async function startService(overrides: Record<string, string> = {}): Promise<Running> {
  const config = loadConfig({ ...TEST_SETTINGS, ...overrides });
  const service = createInferenceService(config, silentLogger);
  const { port, metricsPort } = await service.listen();
  return { service, config, port, metricsPort };
}
