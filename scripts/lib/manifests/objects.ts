// The few shapes of rendered Kubernetes objects that inferscale's code reads.

import { UserError } from '../cli.ts';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  [key: string]: unknown;
}

export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** The fields of a prometheus-operator ServiceMonitor that inferscale reads. */
export interface ServiceMonitor extends KObject {
  spec: {
    selector?: { matchLabels?: Record<string, string> };
    endpoints?: { port?: string; path?: string; interval?: string; scrapeTimeout?: string }[];
  };
}

export function isKObject(value: unknown): value is KObject {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const meta = v.metadata as Record<string, unknown> | undefined;
  return typeof v.apiVersion === 'string' && typeof v.kind === 'string' && typeof meta?.name === 'string';
}

export function describe(obj: KObject): string {
  return `${obj.kind}/${obj.metadata.name}`;
}

export function findObject<T = KObject>(objects: KObject[], kind: string, name?: string): T | undefined {
  return objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name)) as T | undefined;
}

export function selectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** matchLabels as a label selector string ("a=b,c=d"). */
export function labelSelector(matchLabels: Record<string, string> | undefined): string {
  return Object.entries(matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
}

/** The pod selector of the workload an HPA scales, from the rendered objects. */
export function scaleTargetSelector(objects: KObject[], hpa: { spec?: { scaleTargetRef: { kind: string; name: string } } }): string {
  const ref = hpa.spec?.scaleTargetRef;
  const target = objects.find((o) => o.kind === ref?.kind && o.metadata.name === ref?.name) as { spec?: { selector?: { matchLabels?: Record<string, string> } } } | undefined;
  return labelSelector(target?.spec?.selector?.matchLabels);
}

/** Go-style duration ("5s", "1m30s", "250ms") in seconds. */
export function durationSeconds(text: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    const unit = { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    total += Number(m[1]) * unit;
    consumed += m[0].length;
  }
  if (consumed !== text.length || consumed === 0) throw new UserError(`"${text}" is not a duration (such as 5s, 1m30s or 500ms).`);
  return total;
}

/** Parses a Kubernetes quantity ("2500m", "3", "1.5k") into a number. */
export function parseQuantity(q: string): number {
  const m = /^([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(m|k|M|G|Ki|Mi|Gi)?$/.exec(q.trim());
  if (!m) return Number.NaN;
  const scale: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };
  return Number(m[1]) * (m[2] ? (scale[m[2]] as number) : 1);
}

/** The fixed nodePort of the overlay Service's port with this name, if it has one. */
export function nodePortOf(objects: KObject[], portName: string): number | undefined {
  const svc = objects.find((o) => o.kind === 'Service') as { spec?: { ports?: { name?: string; nodePort?: number }[] } } | undefined;
  return svc?.spec?.ports?.find((p) => p.name === portName)?.nodePort;
}

/** The images the containers of an overlay's workloads run, each once, in order. */
export function imagesOf(objects: KObject[]): string[] {
  const images = new Set<string>();
  for (const obj of objects) {
    const spec = (obj as { spec?: { template?: { spec?: { containers?: { image?: string }[]; initContainers?: { image?: string }[] } } } }).spec?.template?.spec;
    for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) if (c.image) images.add(c.image);
  }
  return [...images];
}
