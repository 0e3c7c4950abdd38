import type { V1Deployment } from '@kubernetes/client-node';
import { UserError } from '../cli.ts';

// What one pod of a model server sustains, measured by scripts/calibrate.ts and kept on the
// Deployment as an annotation: the simulator takes its costs from it, and the e2e sizes its
// load by it. A server whose cost is not its own setting (a real model) has no other source.

export const CAPACITY_ANNOTATION = 'inferscale.dev/capacity';

export interface Capacity {
  /** Completions per second one pod sustains at its CPU limit (the knee's throughput). */
  requestsPerSecond: number;
  /** One request's latency alone on an idle pod, s. */
  requestSeconds: number;
  /** The most requests in flight per pod that keep p95 latency under the SLO: the HPA's target. */
  targetConcurrency: number;
}

const FIELDS = ['requestsPerSecond', 'requestSeconds', 'targetConcurrency'] as const;

/** The Deployment's calibrated capacity, undefined when it has none; one sentence when it is malformed. */
export function capacityOf(d: Pick<V1Deployment, 'metadata'> | undefined): Capacity | undefined {
  const raw = d?.metadata?.annotations?.[CAPACITY_ANNOTATION];
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new UserError(`the annotation ${CAPACITY_ANNOTATION} is not JSON: ${raw.slice(0, 80)}`);
  }
  const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  for (const field of FIELDS) {
    const value = record[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new UserError(`the annotation ${CAPACITY_ANNOTATION} needs "${field}" as a positive number (scripts/calibrate.ts writes it), got ${JSON.stringify(value)}.`);
    }
  }
  return { requestsPerSecond: record.requestsPerSecond as number, requestSeconds: record.requestSeconds as number, targetConcurrency: record.targetConcurrency as number };
}
