import type { KObject } from './objects.ts';

// Which server answers the HPA's External metrics for an overlay: prometheus-adapter (its
// rules.external) or KEDA (an overlay with a ScaledObject). They cannot both serve
// external.metrics.k8s.io, so the embedded cluster starts and registers only the overlay's.

export type MetricPlane = 'prometheus-adapter' | 'keda';

export const metricPlane = (objects: readonly KObject[] = []): MetricPlane => (objects.some((o) => o.kind === 'ScaledObject') ? 'keda' : 'prometheus-adapter');
