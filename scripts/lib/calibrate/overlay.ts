import { UserError } from '../cli.ts';
import { hpaOf, hpaSettings } from '../plan/bounds.ts';
import { loadRequestOf, type LoadRequest } from '../loadtest/request.ts';
import type { KObject } from '../manifests/objects.ts';
import type { CalibrationContext } from './patch.ts';
import { sloMsOf } from '../manifests/slo.ts';

// What calibration reads of a rendered overlay: the request it sends, the SLO it holds
// latency to, and the names the patch it writes refers to.

export interface CalibrationTarget {
  request: LoadRequest;
  sloMs: number;
  namespace: string;
  context: Omit<CalibrationContext, 'overlay' | 'secondsPerLevel' | 'date'>;
}

export function calibrationTarget(objects: KObject[]): CalibrationTarget {
  const deployment = objects.find((o) => o.kind === 'Deployment');
  const hpa = hpaOf(objects);
  if (!deployment || !hpa) throw new UserError('the overlay needs the inference Deployment and its HPA: calibration writes the capacity of one and the target of the other.');
  const sloMs = sloMsOf(deployment, 'calibration keeps p95 latency under it');
  const limit = (deployment as { spec?: { template?: { spec?: { containers?: { resources?: { limits?: { cpu?: string } } }[] } } } }).spec?.template?.spec?.containers?.[0]?.resources?.limits?.cpu;
  return {
    request: loadRequestOf(objects),
    sloMs,
    namespace: hpa.metadata.namespace ?? 'default',
    context: { deployment: deployment.metadata.name, hpa: hpa.metadata.name, metric: hpaSettings(objects).metric, cpuLimit: limit === undefined ? 'none' : String(limit) },
  };
}
