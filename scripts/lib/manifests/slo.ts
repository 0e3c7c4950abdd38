import type { V1Deployment } from '@kubernetes/client-node';
import { UserError } from '../cli.ts';

/** The latency objective every Deployment declares, ms: the bounds, the report and the calibration judge latency by it. */
export const SLO_ANNOTATION = 'inferscale.dev/latency-slo-ms';

/** What is wrong with a Deployment's latency objective, in words; undefined when it is a positive number of ms. */
export function sloProblem(d: Pick<V1Deployment, 'metadata'> | undefined): string | undefined {
  const slo = d?.metadata?.annotations?.[SLO_ANNOTATION];
  if (Number(slo) > 0) return undefined;
  return `annotation ${SLO_ANNOTATION} (the latency objective, ms) ${slo === undefined ? 'is missing' : `is not a positive number: "${slo}"`}`;
}

/** The Deployment's latency objective, ms; one sentence, ending with why it is needed, when it is missing or wrong. */
export function sloMsOf(d: Pick<V1Deployment, 'metadata'> | undefined, neededFor: string): number {
  const problem = sloProblem(d);
  if (problem) throw new UserError(`Deployment/${d?.metadata?.name ?? '?'}'s ${problem}; ${neededFor}.`);
  return Number(d?.metadata?.annotations?.[SLO_ANNOTATION]);
}
