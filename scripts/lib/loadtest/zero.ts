import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../cli.ts';
import type { ClusterProvider } from '../cluster/provider.ts';
import { KEDA_DEFAULTS, scaledObjectOf } from '../manifests/keda.ts';
import { durationSeconds, labelSelector, type KObject, type ServiceMonitor } from '../manifests/objects.ts';
import { waitFor } from '../wait.ts';
import type { AssertionResult } from './assertions.ts';
import { runBatch, serveBacklog, type BatchResult } from './batch.ts';
import { checkTable } from './report.ts';
import { HPA_SYNC_SECONDS, OBSERVATION_LATENCY_SECONDS } from '../plan/bounds.ts';
import { targetUrl } from './target.ts';
import { loadRequestOf } from './request.ts';

// The zero profile, for an overlay scaled to zero (components/scale-to-zero): idle until KEDA
// has taken the last pod away, then a burst from the batch client, which sends refused
// requests again; three rounds. Every bound is computed from the ScaledObject (cooldown,
// polling interval), the scrape interval, the query's rate window and the pod start this
// run measures.

export interface ZeroOptions {
  kc: KubeConfig;
  provider: ClusterProvider;
  objects: KObject[];
  reportDir: string;
  rounds?: number;
  /** Requests per burst, and at once. */
  requests?: number;
  concurrency?: number;
  retryMs?: number;
  log: (line: string) => void;
  signal?: AbortSignal;
}

export interface ZeroRound {
  /** Seconds from the last work to zero replicas. */
  toZeroSeconds: number;
  /** Seconds from the first request at zero to the first 200. */
  firstOkSeconds: number;
  /** Creation to Ready of the pod the activation started. */
  podStartSeconds: number;
  batch: BatchResult;
}

export interface ZeroResult {
  rounds: ZeroRound[];
  /** Seconds from the last round's last 200 to zero. */
  finalToZeroSeconds: number;
  results: AssertionResult[];
  bounds: { zeroEarliest: number; zeroLatest: number; firstOkLatest: number };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** The bounds: work stops counting once the query's window has passed it; then the cooldown, then KEDA's next poll. */
export function zeroBounds(o: { cooldownSeconds: number; pollingSeconds: number; scrapeSeconds: number; rateWindowSeconds: number; retrySeconds: number; podStartSeconds: number }) {
  return {
    zeroEarliest: o.cooldownSeconds,
    zeroLatest: o.rateWindowSeconds + o.scrapeSeconds + o.cooldownSeconds + o.pollingSeconds + OBSERVATION_LATENCY_SECONDS,
    // The backlog reaches Prometheus at its next scrape and KEDA at its next poll; then the
    // pod starts, kube-proxy adds its endpoint (within an observation) and the client retries.
    firstOkLatest: o.scrapeSeconds + o.pollingSeconds + o.podStartSeconds + o.retrySeconds + 2 * OBSERVATION_LATENCY_SECONDS,
  };
}

export async function runZeroProfile(o: ZeroOptions): Promise<ZeroResult> {
  const so = scaledObjectOf(o.objects);
  if (!so || so.spec.minReplicaCount !== 0) throw new UserError('the zero profile needs an overlay whose ScaledObject has minReplicaCount 0, such as overlays/local-zero.');
  const deployment = o.objects.find((x) => x.kind === 'Deployment') as (V1Deployment & KObject) | undefined;
  const sm = o.objects.find((x) => x.kind === 'ServiceMonitor') as ServiceMonitor | undefined;
  const ns = so.metadata.namespace ?? 'default';
  const name = deployment?.metadata.name ?? so.spec.scaleTargetRef.name;
  const selector = labelSelector(deployment?.spec?.selector.matchLabels);
  const query = so.spec.triggers[0]?.metadata.query ?? '';
  const settings = {
    cooldownSeconds: so.spec.cooldownPeriod ?? KEDA_DEFAULTS.cooldownPeriodSeconds,
    pollingSeconds: so.spec.pollingInterval ?? KEDA_DEFAULTS.pollingIntervalSeconds,
    scrapeSeconds: durationSeconds(sm?.spec.endpoints?.[0]?.interval ?? '30s'),
    rateWindowSeconds: Number(/\[(\d+)s\]/.exec(query)?.[1] ?? 0),
    retrySeconds: (o.retryMs ?? 500) / 1000,
  };
  const apps = o.kc.makeApiClient(AppsV1Api);
  const core = o.kc.makeApiClient(CoreV1Api);
  const baseUrl = await targetUrl(o.provider, o.objects);
  const request = loadRequestOf(o.objects);
  const atZero = async () => {
    const d = await apps.readNamespacedDeployment({ name, namespace: ns });
    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: selector });
    return d.spec?.replicas === 0 && pods.items.length === 0 ? Date.now() : undefined;
  };
  const untilZero = (what: string) => waitFor(what, (settings.rateWindowSeconds + settings.cooldownSeconds + settings.pollingSeconds + 6 * HPA_SYNC_SECONDS) * 1000, atZero);
  const exporter = await serveBacklog();
  const rounds: ZeroRound[] = [];
  let finalToZeroSeconds = Number.NaN;
  try {
    let lastWork = Date.now();
    for (let r = 1; r <= (o.rounds ?? 3); r++) {
      o.log(`zero round ${r}: waiting for zero replicas (cooldown ${settings.cooldownSeconds} s)`);
      const zeroAt = await untilZero('the Deployment to reach zero replicas');
      o.log(`zero round ${r}: at zero after ${((zeroAt - lastWork) / 1000).toFixed(1)} s; a burst of ${o.requests ?? 40} requests`);
      const batch = await runBatch({ baseUrl, request, requests: o.requests ?? 40, concurrency: o.concurrency ?? 8, retryMs: o.retryMs ?? 500, deadlineMs: 180_000, onBacklog: exporter.set, signal: o.signal });
      const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: selector });
      const starts = pods.items.flatMap((p) => {
        const ready = p.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime;
        const created = p.metadata?.creationTimestamp;
        return ready && created ? [(new Date(ready).getTime() - new Date(created).getTime()) / 1000] : [];
      });
      const firstOkSeconds = batch.firstOkAt === undefined ? Number.NaN : (batch.firstOkAt - batch.startedAt) / 1000;
      rounds.push({ toZeroSeconds: r === 1 ? Number.NaN : (zeroAt - lastWork) / 1000, firstOkSeconds, podStartSeconds: starts.length ? Math.min(...starts) : Number.NaN, batch });
      o.log(`zero round ${r}: first 200 after ${firstOkSeconds.toFixed(1)} s; ${batch.answered} of ${o.requests ?? 40} answered after ${batch.refused} refusals, ${batch.lost} lost`);
      lastWork = batch.lastOkAt ?? Date.now();
    }
    finalToZeroSeconds = ((await untilZero('the Deployment to return to zero replicas')) - lastWork) / 1000;
  } finally {
    await exporter.close();
  }
  const podStart = median(rounds.map((r) => r.podStartSeconds).filter(Number.isFinite));
  const bounds = zeroBounds({ ...settings, podStartSeconds: podStart });
  const toZero = [...rounds.slice(1).map((r) => r.toZeroSeconds), finalToZeroSeconds];
  const firstOks = rounds.map((r) => r.firstOkSeconds);
  const s = (x: number) => `${x.toFixed(1)} s`;
  const results: AssertionResult[] = [
    {
      name: 'Zero 1. reaches zero after the cooldown',
      ok: toZero.every((t) => t >= bounds.zeroEarliest && t <= bounds.zeroLatest),
      bound: `between ${s(bounds.zeroEarliest)} (the cooldown) and ${s(bounds.zeroLatest)} after the last work (rate window ${settings.rateWindowSeconds} s + scrape ${settings.scrapeSeconds} s + cooldown ${settings.cooldownSeconds} s + polling ${settings.pollingSeconds} s + ${OBSERVATION_LATENCY_SECONDS} s)`,
      observed: toZero.map(s).join(', '),
    },
    {
      name: 'Zero 2. the first request at zero is answered in time',
      ok: firstOks.every((t) => Number.isFinite(t) && t <= bounds.firstOkLatest),
      bound: `at most ${s(bounds.firstOkLatest)} (scrape ${settings.scrapeSeconds} s + polling ${settings.pollingSeconds} s + pod start ${podStart.toFixed(1)} s + retry ${settings.retrySeconds} s + 2 x ${OBSERVATION_LATENCY_SECONDS} s)`,
      observed: `${firstOks.map(s).join(', ')} (median ${s(median(firstOks))}, worst ${s(Math.max(...firstOks))})`,
    },
    {
      name: 'Zero 3. every request is answered, none lost',
      ok: rounds.every((r) => r.batch.lost === 0 && r.batch.answered === (o.requests ?? 40)),
      bound: `${o.requests ?? 40} of ${o.requests ?? 40} answered in each round, 0 lost`,
      observed: rounds.map((r) => `${r.batch.answered} answered, ${r.batch.lost} lost, ${r.batch.refused} refusals sent again`).join('; '),
    },
    {
      name: 'Zero 4. back at zero after the last burst',
      ok: finalToZeroSeconds >= bounds.zeroEarliest && finalToZeroSeconds <= bounds.zeroLatest,
      bound: `between ${s(bounds.zeroEarliest)} and ${s(bounds.zeroLatest)} after the last 200`,
      observed: s(finalToZeroSeconds),
    },
  ];
  const result = { rounds, finalToZeroSeconds, results, bounds };
  await mkdir(o.reportDir, { recursive: true });
  await writeFile(join(o.reportDir, 'summary.md'), ['# inferscale: the zero profile', '', ...zeroTables(result), ''].join('\n'));
  // The record (a value that was not measured, such as the first round's time to zero, is null).
  await writeFile(join(o.reportDir, ZERO_RECORD), `${JSON.stringify(result, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  return result;
}

/** The zero profile's record beside its summary.md. */
export const ZERO_RECORD = 'zero.json';

/** Its assertions with their bounds, and each round, as the summary and the docs show them. */
export function zeroTables(r: ZeroResult): string[] {
  const s = (x: number | null) => (x === null || !Number.isFinite(x) ? 'none' : `${x.toFixed(1)} s`);
  return [
    `${r.results.every((a) => a.ok) ? 'All assertions hold.' : `**${r.results.filter((a) => !a.ok).length} assertion(s) failed.**`}`,
    '',
    ...checkTable(r.results, 'assertion'),
    '',
    '| round | to zero | first request at zero to first 200 | pod start | answered | refusals sent again |',
    '| --- | --- | --- | --- | --- | --- |',
    ...r.rounds.map((x, i) => `| ${i + 1} | ${i === 0 ? 'from the start' : s(x.toZeroSeconds)} | ${s(x.firstOkSeconds)} | ${s(x.podStartSeconds)} | ${x.batch.answered} | ${x.batch.refused} |`),
  ];
}
