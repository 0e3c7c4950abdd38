import { ApiregistrationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { waitFor } from '../wait.ts';
import { kubeGet } from './raw.ts';
import { parseQuantity } from '../manifests/objects.ts';

// Reading the custom metrics API the way the HPA does.

export const CUSTOM_METRICS_PATH = '/apis/custom.metrics.k8s.io/v1beta2';
export const CUSTOM_METRICS_VERSIONS = ['v1beta1', 'v1beta2'];

export async function waitApiServicesAvailable(kc: KubeConfig, timeoutMs: number): Promise<void> {
  const api = kc.makeApiClient(ApiregistrationV1Api);
  for (const version of CUSTOM_METRICS_VERSIONS) {
    await waitFor(`APIService ${version}.custom.metrics.k8s.io to be Available`, timeoutMs, async () => {
      const svc = await api.readAPIService({ name: `${version}.custom.metrics.k8s.io` });
      return svc.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ? true : undefined;
    });
  }
}

/** Is `pods/<metric>` listed by the custom metrics API's discovery? */
export async function metricListed(kc: KubeConfig, metric: string): Promise<boolean> {
  const res = await kubeGet(kc, CUSTOM_METRICS_PATH);
  if (res.status !== 200) return false;
  const list = JSON.parse(res.body) as { resources?: { name: string }[] };
  return (list.resources ?? []).some((r) => r.name === `pods/${metric}`);
}

export interface PodMetricValues {
  /** HTTP status of the metric read: 200 when served. */
  status: number;
  /** The apiserver's or adapter's sentence when not served. */
  message?: string;
  values: Map<string, number>;
}

/** The metric's value for every pod in the namespace, as the HPA reads it. */
export async function podMetricValues(kc: KubeConfig, namespace: string, metric: string, labelSelector?: string): Promise<PodMetricValues> {
  const query = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
  const res = await kubeGet(kc, `${CUSTOM_METRICS_PATH}/namespaces/${namespace}/pods/*/${metric}${query}`);
  if (res.status !== 200) {
    let message = res.body.trim();
    try {
      message = (JSON.parse(res.body) as { message?: string }).message ?? message;
    } catch {
      // not a Status object
    }
    return { status: res.status, message, values: new Map() };
  }
  const list = JSON.parse(res.body) as { items?: { describedObject: { name: string }; value: string }[] };
  return { status: 200, values: new Map((list.items ?? []).map((i) => [i.describedObject.name, parseQuantity(i.value)])) };
}
