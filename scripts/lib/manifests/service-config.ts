import type { V1Deployment } from '@kubernetes/client-node';
import { COMPLETIONS_PATH, parseCompletion } from '../../../inference/src/completions.ts';
import { loadConfig, longestRequestMs, predictCost, type RequestCost, type ServiceConfig } from '../../../inference/src/config.ts';
import { approximateTokens, simulatedSeconds } from '../../../inference/src/engine.ts';
import { UserError } from '../cli.ts';
import { capacityOf } from './capacity.ts';
import { declaredRequest, LOAD_REQUEST_ANNOTATION } from './load-request.ts';
import { parseQuantity } from './objects.ts';

/**
 * The settings of a Deployment's inference container (the one with INFERENCE_* variables)
 * as the service itself reads them, defaults included; or the service's own sentence for
 * why it would not start; undefined when it has no such container.
 */
export function serviceConfigOf(d: V1Deployment): ServiceConfig | string | undefined {
  const container = d.spec?.template.spec?.containers.find((c) => c.env?.some((e) => e.name.startsWith('INFERENCE_')));
  if (!container) return undefined;
  const env = Object.fromEntries((container.env ?? []).flatMap((e) => (e.value !== undefined ? [[e.name, e.value]] : [])));
  try {
    return loadConfig(env);
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * The CPU request and limit of a Deployment's first container, in cores; undefined where
 * unset (the request defaults to the limit, as the API server defaults it).
 */
export function containerCpuOf(d: V1Deployment | undefined): { requestCores?: number; limitCores?: number } {
  const resources = d?.spec?.template.spec?.containers[0]?.resources;
  const limit = resources?.limits?.cpu;
  const request = resources?.requests?.cpu ?? limit;
  return { requestCores: request === undefined ? undefined : parseQuantity(String(request)), limitCores: limit === undefined ? undefined : parseQuantity(String(limit)) };
}

/**
 * What one request of the load the Deployment declares (inferscale.dev/load-request) costs
 * the simulated engine alone: a completion's prefill and decode from its prompt's tokens and
 * max_tokens, as the service counts them (the mean over its bodies, no jitter); a predict
 * request's INFERENCE_SERVICE_TIME_MS and jitter. A Deployment that declares no load costs
 * the predict route's. A body the service would refuse is one sentence.
 */
export function requestCostOf(d: Pick<V1Deployment, 'metadata'>, config: ServiceConfig): RequestCost {
  if (d.metadata?.annotations?.[LOAD_REQUEST_ANNOTATION] === undefined) return predictCost(config);
  const request = declaredRequest(d);
  if (request.path !== COMPLETIONS_PATH || config.engine !== 'simulated') return predictCost(config);
  const seconds = request.bodies.map((body, i) => {
    try {
      const c = parseCompletion(Buffer.from(body), { modelName: config.modelName, maxModelLen: config.maxModelLen, countTokens: approximateTokens });
      return simulatedSeconds(config, c.promptTokens, c.maxTokens);
    } catch (error) {
      throw new UserError(`the load's request body ${i + 1} would be refused by the service: ${(error as Error).message}.`);
    }
  });
  if (seconds.length === 0) throw new UserError(`the load's request to ${COMPLETIONS_PATH} has no body.`);
  // To the microsecond: the mean of a few token costs, without the float's last digits.
  return { ms: Math.round((seconds.reduce((a, b) => a + b, 0) / seconds.length) * 1e6) / 1e3, jitterMs: 0 };
}

/**
 * The longest a request to a Deployment's pods can take, ms: a full queue ahead of it, then
 * its own service. A calibrated server (inferscale.dev/capacity) drains its slots and queue
 * at its measured throughput; the simulated engine's from its settings and the load's request.
 */
export function longestRequestMsOf(d: V1Deployment | undefined, config: ServiceConfig): number {
  const capacity = capacityOf(d);
  if (capacity) return ((config.queueLimit + config.slots) / capacity.requestsPerSecond) * 1000;
  return longestRequestMs(config, containerCpuOf(d).limitCores, d ? requestCostOf(d, config) : predictCost(config));
}
