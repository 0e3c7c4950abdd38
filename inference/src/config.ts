// Configuration comes from INFERENCE_* environment variables and is validated once, at
// start: a bad value stops the service with one sentence that names the variable.

export type ComputeMode = 'sleep' | 'compute';
export type EngineKind = 'simulated' | 'llama';

export interface ServiceConfig {
  host: string;
  port: number;
  metricsPort: number;
  slots: number;
  queueLimit: number;
  serviceTimeMs: number;
  serviceJitterMs: number;
  computeMode: ComputeMode;
  maxBodyBytes: number;
  maxInputs: number;
  maxHeaderBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  connectionsCheckingIntervalMs: number;
  drainDelayMs: number;
  shutdownTimeoutMs: number;
  /** The completions API's cost model, as a GPU server's: prefill per prompt token, decode per generated token. */
  modelName: string;
  prefillUsPerToken: number;
  decodeMsPerToken: number;
  /** Prompt plus generated tokens one sequence may hold (vLLM's --max-model-len). */
  maxModelLen: number;
  /** What generates completions: the cost model above, or a real model through llama.cpp. */
  engine: EngineKind;
  /** The llama engine's GGUF file. */
  modelPath: string;
  /** Threads the llama engine evaluates with (at most the pod's CPU limit, rounded up). */
  llamaThreads: number;
  /** The container's CPU limit in millicores (the downward API's limits.cpu), 0 when unknown. */
  cpuLimitMillicores: number;
}

export class ConfigError extends Error {}

interface IntSpec {
  env: string;
  key: keyof ServiceConfig;
  fallback: number;
  min: number;
  max: number;
}

const INT_SETTINGS: IntSpec[] = [
  { env: 'INFERENCE_PORT', key: 'port', fallback: 8080, min: 0, max: 65535 },
  { env: 'INFERENCE_METRICS_PORT', key: 'metricsPort', fallback: 9090, min: 0, max: 65535 },
  { env: 'INFERENCE_SLOTS', key: 'slots', fallback: 4, min: 1, max: 1024 },
  { env: 'INFERENCE_QUEUE_LIMIT', key: 'queueLimit', fallback: 16, min: 0, max: 100_000 },
  { env: 'INFERENCE_SERVICE_TIME_MS', key: 'serviceTimeMs', fallback: 200, min: 1, max: 600_000 },
  { env: 'INFERENCE_SERVICE_JITTER_MS', key: 'serviceJitterMs', fallback: 40, min: 0, max: 600_000 },
  { env: 'INFERENCE_MAX_BODY_BYTES', key: 'maxBodyBytes', fallback: 64 * 1024, min: 64, max: 64 * 1024 * 1024 },
  { env: 'INFERENCE_MAX_INPUTS', key: 'maxInputs', fallback: 256, min: 1, max: 1_000_000 },
  { env: 'INFERENCE_MAX_HEADER_BYTES', key: 'maxHeaderBytes', fallback: 8 * 1024, min: 1024, max: 1024 * 1024 },
  { env: 'INFERENCE_HEADERS_TIMEOUT_MS', key: 'headersTimeoutMs', fallback: 5_000, min: 100, max: 600_000 },
  { env: 'INFERENCE_REQUEST_TIMEOUT_MS', key: 'requestTimeoutMs', fallback: 30_000, min: 100, max: 3_600_000 },
  { env: 'INFERENCE_KEEPALIVE_TIMEOUT_MS', key: 'keepAliveTimeoutMs', fallback: 5_000, min: 0, max: 600_000 },
  { env: 'INFERENCE_CONNECTIONS_CHECK_MS', key: 'connectionsCheckingIntervalMs', fallback: 500, min: 10, max: 60_000 },
  { env: 'INFERENCE_DRAIN_DELAY_MS', key: 'drainDelayMs', fallback: 5_000, min: 0, max: 600_000 },
  { env: 'INFERENCE_SHUTDOWN_TIMEOUT_MS', key: 'shutdownTimeoutMs', fallback: 20_000, min: 100, max: 3_600_000 },
  { env: 'INFERENCE_PREFILL_US_PER_TOKEN', key: 'prefillUsPerToken', fallback: 200, min: 0, max: 1_000_000 },
  { env: 'INFERENCE_DECODE_MS_PER_TOKEN', key: 'decodeMsPerToken', fallback: 20, min: 0, max: 60_000 },
  { env: 'INFERENCE_MAX_MODEL_LEN', key: 'maxModelLen', fallback: 4096, min: 16, max: 1_048_576 },
  { env: 'INFERENCE_LLAMA_THREADS', key: 'llamaThreads', fallback: 1, min: 1, max: 256 },
  { env: 'INFERENCE_CPU_LIMIT_MILLICORES', key: 'cpuLimitMillicores', fallback: 0, min: 0, max: 10_000_000 },
];

function parseInt10(name: string, raw: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(raw.trim())) {
    throw new ConfigError(`${name} must be a whole number, got "${raw}".`);
  }
  const value = Number(raw.trim());
  if (value < min || value > max) {
    throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}.`);
  }
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const config: Record<string, unknown> = {
    host: env.INFERENCE_HOST?.trim() || '0.0.0.0',
  };
  for (const spec of INT_SETTINGS) {
    const raw = env[spec.env];
    config[spec.key] = raw === undefined || raw === '' ? spec.fallback : parseInt10(spec.env, raw, spec.min, spec.max);
  }
  const mode = (env.INFERENCE_COMPUTE_MODE ?? 'sleep').trim();
  if (mode !== 'sleep' && mode !== 'compute') {
    throw new ConfigError(`INFERENCE_COMPUTE_MODE must be "sleep" or "compute", got "${mode}".`);
  }
  config.computeMode = mode;
  const model = (env.INFERENCE_MODEL_NAME ?? 'inferscale/sim').trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,255}$/.test(model)) {
    throw new ConfigError(`INFERENCE_MODEL_NAME must be a model name (letters, digits, . _ : / -; at most 256), got "${model}".`);
  }
  config.modelName = model;
  const engine = (env.INFERENCE_ENGINE ?? 'simulated').trim();
  if (engine !== 'simulated' && engine !== 'llama') {
    throw new ConfigError(`INFERENCE_ENGINE must be "simulated" or "llama", got "${engine}".`);
  }
  config.engine = engine;
  config.modelPath = (env.INFERENCE_MODEL_PATH ?? '').trim();
  if (engine === 'llama' && config.modelPath === '') {
    throw new ConfigError('INFERENCE_MODEL_PATH must name the GGUF file the llama engine serves.');
  }
  const result = config as unknown as ServiceConfig;
  if (result.serviceJitterMs >= result.serviceTimeMs) {
    throw new ConfigError(
      `INFERENCE_SERVICE_JITTER_MS (${result.serviceJitterMs}) must be below INFERENCE_SERVICE_TIME_MS (${result.serviceTimeMs}).`,
    );
  }
  if (result.port !== 0 && result.port === result.metricsPort) {
    throw new ConfigError(`INFERENCE_PORT and INFERENCE_METRICS_PORT must differ, both are ${result.port}.`);
  }
  return result;
}

/** Whether the pod's requests are bound by its CPU (compute mode, or a real model on CPU) rather than by its slots. */
export const cpuBound = (config: Pick<ServiceConfig, 'computeMode' | 'engine'>): boolean => config.computeMode === 'compute' || config.engine === 'llama';

/** Requests the pod runs at once: its slots, or where its CPU binds no more than the cores its CPU limit gives them. */
export const runsAtOnce = (config: Pick<ServiceConfig, 'slots' | 'computeMode' | 'engine' | 'cpuLimitMillicores'>): number =>
  cpuBound(config) && config.cpuLimitMillicores > 0 ? Math.min(config.slots, config.cpuLimitMillicores / 1000) : config.slots;

/** What one request costs a slot alone, ms, uniform within ± jitterMs. */
export interface RequestCost {
  ms: number;
  jitterMs: number;
}

/** A /v1/predict request's cost: INFERENCE_SERVICE_TIME_MS ± INFERENCE_SERVICE_JITTER_MS. */
export const predictCost = (config: ServiceConfig): RequestCost => ({ ms: config.serviceTimeMs, jitterMs: config.serviceJitterMs });

/**
 * The longest a request can take end to end: a full queue ahead of it, then its own service.
 * In compute mode the running requests share the pod's CPU limit (`limitCores`), so with
 * more slots than cores each one's service stretches by slots / limitCores. `cost` is the
 * request's own (a completion's, from its tokens), the predict route's by default.
 */
export function longestRequestMs(config: ServiceConfig, limitCores = Number.POSITIVE_INFINITY, cost: RequestCost = predictCost(config)): number {
  const stretch = config.computeMode === 'compute' ? Math.max(1, config.slots / limitCores) : 1;
  const worst = (cost.ms + cost.jitterMs) * stretch;
  const waves = Math.ceil(config.queueLimit / config.slots) + 1;
  return waves * worst;
}
