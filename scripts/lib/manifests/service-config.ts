import type { V1Deployment } from '@kubernetes/client-node';
import { loadConfig, longestRequestMs, type ServiceConfig } from '../../../inference/src/config.ts';
import { capacityOf } from './capacity.ts';
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
 * The longest a request to a Deployment's pods can take, ms: a full queue ahead of it, then
 * its own service. A calibrated server (inferscale.dev/capacity) drains its slots and queue
 * at its measured throughput; the simulated engine's from its settings.
 */
export function longestRequestMsOf(d: V1Deployment | undefined, config: ServiceConfig): number {
  const capacity = capacityOf(d);
  if (capacity) return ((config.queueLimit + config.slots) / capacity.requestsPerSecond) * 1000;
  return longestRequestMs(config, containerCpuOf(d).limitCores);
}
