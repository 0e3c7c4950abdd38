import type { V1Deployment } from '@kubernetes/client-node';
import { UserError } from '../cli.ts';
import type { KObject } from './objects.ts';
import { requestCostOf, serviceConfigOf } from './service-config.ts';

// What the tools know of a model server's pod: the requests it runs at once, how many wait
// before it refuses more, and what one request costs alone. This project's inference service
// states them as its own settings (INFERENCE_*); any other server states them as annotations
// on its Deployment, which each preset's server component sets to that server's defaults
// (components/servers/<name>/server). Nothing falls back to the inference service's defaults.

/** Which server a preset runs (components/servers/<name> sets it). */
export const SERVER_ANNOTATION = 'inferscale.dev/server';
/** Why a preset's published image runs as root: the security check warns instead of failing. */
export const NEEDS_ROOT_ANNOTATION = 'inferscale.dev/needs-root';

/** What each server's series names start with (its documented metrics), ours included. */
export const SERVER_SERIES: Record<string, string[]> = {
  inferscale: ['inference_'],
  vllm: ['vllm:'],
  tgi: ['tgi_'],
  sglang: ['sglang:'],
  llamacpp: ['llamacpp:'],
  triton: ['nv_inference_'],
};

export const FACT_ANNOTATIONS = {
  slots: 'inferscale.dev/max-sequences',
  queueLimit: 'inferscale.dev/max-queue',
  requestMs: 'inferscale.dev/request-ms',
} as const;

const MEANING: Record<keyof typeof FACT_ANNOTATIONS, string> = {
  slots: 'the requests one pod runs at once',
  queueLimit: 'the requests one pod keeps waiting before it refuses more',
  requestMs: "one request's latency alone on an idle pod, ms",
};

export interface ServerFacts {
  slots: number;
  queueLimit: number;
  requestMs: number;
  /** Where they come from: the inference service's settings, or the Deployment's annotations. */
  source: 'service' | 'annotations';
}

const nameOf = (d: Pick<V1Deployment, 'metadata'>): string => `Deployment/${d.metadata?.name ?? '?'}`;

/** The facts of a Deployment's server; one sentence naming what is missing or wrong. */
export function serverFactsOf(d: V1Deployment): ServerFacts {
  const config = serviceConfigOf(d);
  if (typeof config === 'string') throw new UserError(`${nameOf(d)}'s inference service would not start: ${config}`);
  if (config) return { slots: config.slots, queueLimit: config.queueLimit, requestMs: requestCostOf(d, config).ms, source: 'service' };
  const annotations = d.metadata?.annotations ?? {};
  const fact = (key: keyof typeof FACT_ANNOTATIONS, min: number): number => {
    const annotation = FACT_ANNOTATIONS[key];
    const raw = annotations[annotation];
    const server = annotations[SERVER_ANNOTATION];
    if (raw === undefined) {
      throw new UserError(
        `${nameOf(d)} runs no inferscale service (no INFERENCE_* variables) and has no annotation ${annotation} (${MEANING[key]}): ${server ? `components/servers/${server}/server sets it to the server's default; ` : ''}set it on the Deployment to what its server is configured with.`,
      );
    }
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new UserError(`${nameOf(d)}'s annotation ${annotation} must be a whole number of at least ${min} (${MEANING[key]}), got "${raw}".`);
    return value;
  };
  return { slots: fact('slots', 1), queueLimit: fact('queueLimit', 0), requestMs: fact('requestMs', 1), source: 'annotations' };
}

/** For our own service: annotations that contradict its settings (a preset's defaults left on it). */
export function contradictedFacts(d: V1Deployment): string[] {
  const config = serviceConfigOf(d);
  if (!config || typeof config === 'string') return [];
  const annotations = d.metadata?.annotations ?? {};
  const own = { slots: ['INFERENCE_SLOTS', config.slots], queueLimit: ['INFERENCE_QUEUE_LIMIT', config.queueLimit], requestMs: ['INFERENCE_SERVICE_TIME_MS', config.serviceTimeMs] } as const;
  return (Object.keys(FACT_ANNOTATIONS) as (keyof typeof FACT_ANNOTATIONS)[]).flatMap((key) => {
    const raw = annotations[FACT_ANNOTATIONS[key]];
    const [env, value] = own[key];
    return raw !== undefined && Number(raw) !== value ? [`annotation ${FACT_ANNOTATIONS[key]} says ${raw} where the service's ${env} is ${value}`] : [];
  });
}

/** The Deployment the overlay's HPA (or ScaledObject) scales: the first Deployment. */
export function scaledDeploymentOf(objects: KObject[]): (V1Deployment & KObject) | undefined {
  return objects.find((o) => o.kind === 'Deployment') as (V1Deployment & KObject) | undefined;
}
