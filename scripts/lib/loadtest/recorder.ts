import { CoreV1Api, Watch, type KubeConfig, type V1Deployment, type V1Pod, type V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { UserError } from '../cli.ts';
import { podMetricValues } from '../kube/custom-metrics.ts';
import { parseQuantity } from '../manifests/objects.ts';
import { waitOrUndefined } from '../wait.ts';
import type { HpaStatusSample, ReplicaChange } from '../plan/timeline.ts';

// Watches the Deployment, the HPA and the pods (client-node watches, so every change is
// seen when it happens) and samples the custom metric once a second.

export interface ClusterSample {
  /** Epoch ms. */
  at: number;
  replicas: number;
  desired: number;
  ready: number;
  metric: number;
}

export interface RecorderOptions {
  kc: KubeConfig;
  namespace: string;
  deployment: string;
  hpa: string;
  metric: string;
  podSelector: string;
}

/**
 * What the HPA's status says it read of each spec.metrics entry, in order: a Pods metric's
 * average per pod, CPU's utilization %, an External metric's value (or its average per pod).
 */
export function currentMetricValues(h: V2HorizontalPodAutoscaler): number[] {
  const current = h.status?.currentMetrics ?? [];
  return (h.spec?.metrics ?? []).map((m) => {
    const seen = current.find((c) => c.type === m.type && (c.pods?.metric.name ?? c.external?.metric.name ?? c.resource?.name) === (m.pods?.metric.name ?? m.external?.metric.name ?? m.resource?.name));
    const raw = seen?.pods?.current.averageValue ?? seen?.resource?.current.averageUtilization ?? seen?.external?.current.value ?? seen?.external?.current.averageValue;
    return raw === undefined ? Number.NaN : parseQuantity(String(raw));
  });
}

export class ClusterRecorder {
  readonly samples: ClusterSample[] = [];
  /** Replica changes of the Deployment's spec.replicas, epoch ms. */
  readonly changes: { at: number; from: number; to: number }[] = [];
  /** Per pod: creation (epoch ms, from the apiserver) and first Ready seen (epoch ms). */
  readonly pods = new Map<string, { created: number; readyAt?: number }>();
  /** Every change of the number of Ready pods, epoch ms. */
  readonly readyEvents: { at: number; ready: number }[] = [];
  /** Seconds from creation to Ready of pods created while recording. */
  readonly podStarts: number[] = [];
  /** Every status the HPA wrote while recording, epoch ms: what it read of each metric and the count it wanted. */
  readonly hpaStatus: { at: number; desired: number; metrics: number[] }[] = [];
  private startedAt = Date.now();
  private replicas = Number.NaN;
  private desired = Number.NaN;
  private metric = Number.NaN;
  private readonly aborts: AbortController[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  private readonly o: RecorderOptions;

  constructor(o: RecorderOptions) {
    this.o = o;
  }

  get readyPods(): number {
    return [...this.pods.values()].filter((p) => p.readyAt !== undefined).length;
  }

  async start(): Promise<void> {
    this.startedAt = Date.now();
    const watch = new Watch(this.o.kc);
    const base = `/apis/apps/v1/namespaces/${this.o.namespace}/deployments`;
    // client-node ends a watch after 30 s without an event, and a connection can drop: each
    // watch resumes from the last resourceVersion it saw, as an informer does, so no event
    // between the two is lost. Bookmarks keep that version fresh on a quiet object.
    const watchOne = async <T extends { metadata?: { resourceVersion?: string } }>(path: string, query: Record<string, string>, onEvent: (type: string, obj: T) => void) => {
      let resourceVersion: string | undefined;
      const open = async (): Promise<void> => {
        if (this.stopped) return;
        const params = { ...query, allowWatchBookmarks: 'true', ...(resourceVersion ? { resourceVersion } : {}) };
        const req = await watch.watch(
          path,
          params,
          (type: string, obj: T & { code?: number }) => {
            if (type === 'ERROR') {
              // 410 Gone: the version left the watch cache; start over from the current state.
              if (obj.code === 410) resourceVersion = undefined;
              return;
            }
            resourceVersion = obj.metadata?.resourceVersion ?? resourceVersion;
            if (type !== 'BOOKMARK') onEvent(type, obj);
          },
          (error: unknown) => {
            if (this.stopped) return;
            setTimeout(() => void open(), error ? 500 : 0).unref();
          },
        );
        this.aborts.push(req);
      };
      await open();
    };
    await watchOne<V1Deployment>(base, { fieldSelector: `metadata.name=${this.o.deployment}` }, (_t, d) => {
      const next = d.spec?.replicas ?? Number.NaN;
      if (Number.isFinite(this.replicas) && next !== this.replicas) this.changes.push({ at: Date.now(), from: this.replicas, to: next });
      this.replicas = next;
    });
    await watchOne<V2HorizontalPodAutoscaler>(`/apis/autoscaling/v2/namespaces/${this.o.namespace}/horizontalpodautoscalers`, { fieldSelector: `metadata.name=${this.o.hpa}` }, (type, h) => {
      this.desired = h.status?.desiredReplicas ?? Number.NaN;
      const metrics = currentMetricValues(h);
      const last = this.hpaStatus.at(-1);
      // A status written while recording (not the one listed at the start): a sync just happened.
      if (type === 'MODIFIED' && h.status && (last?.desired !== this.desired || JSON.stringify(last.metrics) !== JSON.stringify(metrics))) this.hpaStatus.push({ at: Date.now(), desired: this.desired, metrics });
    });
    await watchOne<V1Pod>(`/api/v1/namespaces/${this.o.namespace}/pods`, { labelSelector: this.o.podSelector }, (type, pod) => {
      const name = pod.metadata?.name ?? '';
      if (type === 'DELETED') {
        const before = this.readyPods;
        this.pods.delete(name);
        if (this.readyPods !== before) this.readyEvents.push({ at: Date.now(), ready: this.readyPods });
        return;
      }
      const entry = this.pods.get(name) ?? { created: new Date(pod.metadata?.creationTimestamp ?? Date.now()).getTime() };
      const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && !pod.metadata?.deletionTimestamp;
      const before = this.readyPods;
      if (ready && entry.readyAt === undefined) {
        entry.readyAt = Date.now();
        if (entry.created >= this.startedAt - 1000) this.podStarts.push((entry.readyAt - entry.created) / 1000);
      }
      if (!ready) entry.readyAt = undefined;
      this.pods.set(name, entry);
      if (this.readyPods !== before) this.readyEvents.push({ at: Date.now(), ready: this.readyPods });
    });
    // Wait until the first events have given us the current state.
    await waitOrUndefined('the first watch events', 10_000, () => (Number.isFinite(this.replicas) ? true : undefined));
    this.timer = setInterval(() => void this.sample(), 1000);
    await this.sample();
  }

  private async sample(): Promise<void> {
    const at = Date.now();
    const { values } = await podMetricValues(this.o.kc, this.o.namespace, this.o.metric, this.o.podSelector).catch(() => ({ values: new Map<string, number>() }));
    const numbers = [...values.values()].filter(Number.isFinite);
    this.metric = numbers.length ? numbers.reduce((a, b) => a + b, 0) / numbers.length : Number.NaN;
    this.samples.push({ at, replicas: this.replicas, desired: this.desired, ready: this.readyPods, metric: this.metric });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const a of this.aborts) a.abort();
  }

  /** The HPA's statuses in seconds from `startMs`. */
  statusFrom(startMs: number): HpaStatusSample[] {
    return this.hpaStatus.map((s) => ({ t: (s.at - startMs) / 1000, desired: s.desired, metrics: s.metrics }));
  }

  /** Replica changes in seconds from `startMs`. */
  changesFrom(startMs: number): ReplicaChange[] {
    return this.changes.map((c) => ({ t: (c.at - startMs) / 1000, from: c.from, to: c.to }));
  }
}

/** Creation to Ready of the pods that run now, median: the pod start before a run measures its own. */
export async function podStartSeconds(kc: KubeConfig, namespace: string, labelSelector: string): Promise<number> {
  const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector });
  const starts = pods.items.flatMap((p) => {
    const ready = p.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime;
    const created = p.metadata?.creationTimestamp;
    return ready && created ? [(new Date(ready).getTime() - new Date(created).getTime()) / 1000] : [];
  });
  if (starts.length === 0) throw new UserError(`no Ready pod matches ${labelSelector} in namespace ${namespace}; reconcile the overlay first.`);
  return [...starts].sort((a, b) => a - b)[Math.floor(starts.length / 2)] as number;
}
