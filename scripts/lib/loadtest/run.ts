import { AppsV1Api, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { labelSelector, type KObject } from '../manifests/objects.ts';
import { UserError } from '../cli.ts';
import { errorSentence, waitFor } from '../wait.ts';
import { averagesGauges, loadAdapterRules, rateWindowSeconds, ruleFor } from '../monitoring/adapter-rules.ts';
import { ADAPTER_RULES_FILE, repoPath } from '../paths.ts';
import type { ClusterProvider } from '../cluster/provider.ts';
import type { Sh } from '../shell.ts';
import { checkRun, measuredProfiles, predictionAssertion, ruleReading, type AssertionResult } from './assertions.ts';
import { HPA_SYNC_SECONDS, hpaOf, hpaSettings, leastPeak, planRun, predictAtSyncPhase, runEvents, runSyncPhase, sizedLine, sizedProfile } from '../plan/bounds.ts';
import { computeFigures, figureLines, type Figures } from '../plan/figures.ts';
import { LoadResults, runDriver } from './driver.ts';
import { findLoadDriver } from './driver-binary.ts';
import { maxInFlightFor, offeredAt, type Profile } from '../plan/profiles.ts';
import { serverFigures, serverLines } from './server-figures.ts';
import { CAPACITY_ANNOTATION, capacityOf } from '../manifests/capacity.ts';
import { withLoadRequest } from '../manifests/load-request.ts';
import { loadRequestOf, requestUrl, type LoadRequest } from './request.ts';
import { ClusterRecorder, podStartSeconds } from './recorder.ts';
import { writeReport, type RunReport } from './report.ts';
import { reconstructDecisions } from '../plan/explain.ts';
import { simulatedRecord } from '../plan/record.ts';
import { targetUrl } from './target.ts';
import { kubeGet } from '../kube/raw.ts';
import type { RunRecord, Sample } from '../plan/timeline.ts';

export interface LoadTestOptions {
  $: Sh;
  kc: KubeConfig;
  /** The cluster's provider: where its NodePorts answer, its adapter's relist. */
  provider: Pick<ClusterProvider, 'nodeAddress' | 'relistSeconds' | 'prometheusUrl'>;
  /** The rendered overlay: the HPA, Deployment and ServiceMonitor the bounds come from. */
  objects: KObject[];
  overlay: string;
  profile: Profile;
  reportDir: string;
  /** Where the load goes (scheme://host:port); default: the Service's NodePort on the provider's node. */
  targetUrl?: string;
  /** What each arrival sends; default: the overlay Deployment's inferscale.dev/load-request. */
  request?: LoadRequest;
  /** The adapter's relist; default: the provider's. */
  relistSeconds?: number;
  log: (line: string) => void;
  signal?: AbortSignal;
  /**
   * Checks made while the load runs (the Flux e2e forces reconciles at the peak); their
   * results join the run's assertions.
   */
  during?: (run: DuringLoad) => Promise<AssertionResult[]>;
  /**
   * Run the profile as given, not held at its last rate until the latest bound: the policy
   * comparison gives every policy the same schedule.
   */
  fixedSchedule?: boolean;
  /** Hold the run to the prediction even for a schedule whose prediction error was never measured. */
  gatePrediction?: boolean;
  /** The profile's rates are the defaults: scale them to the overlay's calibrated capacity, if it has one. */
  scaleToCapacity?: boolean;
}

/** What a check made during the load knows of it. */
/** A rate as the progress shows it: whole above 10 req/s, to the hundredth below (a real model's 0.35). */
const rateText = (rate: number): string => rate.toFixed(rate >= 10 || rate === 0 ? 0 : 2);

export interface DuringLoad {
  namespace: string;
  deployment: string;
  /** The fewest replicas at the peak the run is held to (assertion 3's bound: plan/bounds.ts's leastPeak). */
  leastPeak: number;
  /** The latest replica count the recorder saw. */
  replicas: () => number | undefined;
  /** When the load ends, ms since the epoch. */
  endsAt: number;
  signal?: AbortSignal;
}

export interface LoadTestResult {
  report: RunReport;
  files: { json: string; md: string; svg: string };
}

interface Resolved extends LoadTestOptions {
  driver: string;
  request: LoadRequest;
  targetUrl: string;
  relistSeconds: number;
}

/** The rendered objects with the HPA replaced by the cluster's own (for a ScaledObject, the one KEDA made of it, added). */
export async function withLiveHpa(kc: KubeConfig, objects: KObject[]): Promise<KObject[]> {
  const rendered = hpaOf(objects);
  if (!rendered) return objects;
  const ns = rendered.metadata.namespace ?? 'default';
  const res = await kubeGet(kc, `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers/${rendered.metadata.name}`);
  if (res.status !== 200) throw new UserError(`HorizontalPodAutoscaler ${ns}/${rendered.metadata.name} is not in the cluster (HTTP ${res.status}); deploy the overlay first.`);
  const live = JSON.parse(res.body) as KObject;
  return objects.includes(rendered) ? objects.map((x) => (x === rendered ? live : x)) : [...objects, live];
}

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number : Number.NaN);

/** The one load-test entry point (scripts/loadtest.ts and the e2e): the load, timeline, assertions, report. */
export async function runLoadTest(options: LoadTestOptions): Promise<LoadTestResult> {
  const request = options.request ?? loadRequestOf(options.objects);
  const o: Resolved = {
    ...options,
    // The bounds come from the HPA as it is in the cluster, not from a file: a GitOps commit
    // may have changed it since the overlay was rendered. The Deployment declares the request
    // the driver sends (a user's file in place of its own), which the plan costs.
    objects: withLoadRequest(await withLiveHpa(options.kc, options.objects), request),
    driver: await findLoadDriver(options.$, options.log),
    request,
    targetUrl: await targetUrl(options.provider, options.objects, options.targetUrl),
    relistSeconds: options.relistSeconds ?? (await options.provider.relistSeconds()),
  };
  const hpa = hpaSettings(o.objects);
  const rule = ruleFor(await loadAdapterRules(repoPath(ADAPTER_RULES_FILE)), hpa.metric);
  if (!rule) throw new UserError(`no rule in ${ADAPTER_RULES_FILE} serves ${hpa.metric}, the metric the HPA scales on.`);
  const hpaObj = hpaOf(o.objects) as KObject;
  const deployment = o.objects.find((x) => x.kind === 'Deployment') as (V1Deployment & KObject) | undefined;
  const namespace = hpaObj.metadata.namespace ?? 'default';
  const podSelector = labelSelector(deployment?.spec?.selector.matchLabels);

  // A run starts from minReplicas: after an earlier load, the HPA first brings them down.
  const rateWindow = rateWindowSeconds(rule);
  const settleMs = (hpa.scaleDown.stabilizationWindowSeconds + rateWindow + (hpa.maxReplicas - hpa.minReplicas + 2) * HPA_SYNC_SECONDS) * 1000;
  await waitFor(`${deployment?.metadata.name} to be back at ${hpa.minReplicas} replicas before the load`, settleMs, async () => {
    const d = await o.kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: deployment?.metadata.name ?? '', namespace });
    return d.spec?.replicas === hpa.minReplicas && d.status?.readyReplicas === hpa.minReplicas ? true : undefined;
  });

  // The bounds before the run say how long it must be observed: the profile is held at its
  // last rate until then. The pod start is the current pods' own, until the run measures it.
  const podStartBefore = await podStartSeconds(o.kc, namespace, podSelector);
  const measuredBefore = { rateWindowSeconds: rateWindow, averagesGauges: averagesGauges(rule), relistSeconds: o.relistSeconds, podStartSeconds: podStartBefore };
  const { profile: asked, scale } = sizedProfile(o.objects, options.profile, measuredBefore, o.scaleToCapacity);
  if (scale !== undefined) o.log(sizedLine(asked, scale));
  // Planned once, before the load: the bounds it is judged by and the prediction, from one sweep.
  const { pipe, stepAt, dropAt, bounds, profile, central } = planRun(o.objects, hpa, asked, measuredBefore, { fixedSchedule: o.fixedSchedule });
  if (profile.endAt > asked.endAt) o.log(`the ${profile.name} load is held at its last rate until ${profile.endAt} s, when the latest bound and the stable period have passed`);

  const recorder = new ClusterRecorder({ kc: o.kc, namespace, deployment: deployment?.metadata.name ?? '', hpa: hpaObj.metadata.name, metric: hpa.metric, podSelector });
  await mkdir(o.reportDir, { recursive: true });
  // kube-proxy programs a new Service's rules shortly after its endpoints turn ready.
  const probeUrl = requestUrl(o.request, o.targetUrl);
  await waitFor(`${probeUrl} to answer`, 60_000, async () => {
    const res = await fetch(probeUrl, { method: o.request.method, headers: o.request.headers, body: o.request.bodies[0] }).catch(() => undefined);
    return res && res.status >= 200 && res.status < 300 ? true : undefined;
  });
  await recorder.start();
  const during = o.during?.({
    namespace,
    deployment: deployment?.metadata.name ?? '',
    leastPeak: leastPeak(bounds),
    replicas: () => recorder.samples.at(-1)?.replicas,
    endsAt: Date.now() + profile.endAt * 1000,
    signal: o.signal,
  }).catch((error: unknown): AssertionResult[] => [{ name: 'the checks made during the load', ok: false, bound: 'they run to the end', observed: errorSentence(error) }]);
  const load = new LoadResults({ shedStatuses: o.request.shedStatuses, sloMs: pipe.latencySloSeconds * 1000, timeoutSeconds: o.request.timeoutSeconds });
  // The schedule's time zero: the driver says when it began (until then, now).
  let beganMs = Date.now();
  const ticker = setInterval(() => {
    const s = recorder.samples.at(-1);
    const t = ((Date.now() - beganMs) / 1000).toFixed(0);
    o.log(`… ${profile.name} load ${t}/${profile.endAt} s: offered ${rateText(offeredAt(profile, Number(t)))} req/s, replicas ${s?.replicas}, desired ${s?.desired}, ready ${s?.ready}, ${hpa.metric} ${s?.metric.toFixed(2)}`);
  }, 15_000);
  try {
    const run = await runDriver({
      binary: o.driver,
      profile,
      request: o.request,
      baseUrl: o.targetUrl,
      maxInFlight: maxInFlightFor(profile, pipe.longestRequestSeconds),
      dir: o.reportDir,
      onResult: (r) => load.add(r),
      onBegan: (ms) => {
        beganMs = ms;
      },
      signal: o.signal,
    });
    beganMs = run.beganMs;
    // The driver ends with the last arrival's answer; a schedule that ends idle (the spike's
    // tail) is recorded to its end all the same.
    await sleep(Math.max(0, beganMs + profile.endAt * 1000 - Date.now()) + 2000, undefined, { signal: o.signal }).catch(() => {});
  } finally {
    clearInterval(ticker);
    recorder.stop();
  }
  load.finish();
  const duringResults = (await during) ?? [];
  if (recorder.podStarts.length > 0) o.log(`pods started in ${median(recorder.podStarts).toFixed(1)} s (median of ${recorder.podStarts.length}) during the load; the plan took the current pods' ${podStartBefore.toFixed(1)} s`);
  const prometheus = o.provider.prometheusUrl?.();
  const server = prometheus ? await serverFigures(prometheus, namespace, beganMs, Date.now()) : undefined;

  const toT = (ms: number) => (ms - beganMs) / 1000;
  const lastSecond = Math.floor(toT(recorder.samples.at(-1)?.at ?? beganMs));
  const samples: Sample[] = [];
  for (let t = 0; t <= lastSecond; t++) {
    const cluster = [...recorder.samples].reverse().find((s) => toT(s.at) < t + 1);
    if (!cluster) continue;
    const second = load.second(t);
    samples.push({
      t,
      replicas: cluster.replicas,
      desired: cluster.desired,
      ready: cluster.ready,
      metric: cluster.metric,
      offered: offeredAt(profile, t),
      achieved: second.responses,
      errors: second.errors,
      shed: second.shed,
      p50: second.p50,
      p95: second.p95,
      p99: second.p99,
    });
  }
  const minReplicas = hpa.minReplicas;
  const firstNewReady = recorder.readyEvents.find((e) => toT(e.at) >= stepAt && e.ready > minReplicas);
  const record: RunRecord = {
    profile: profile.name,
    schedule: { startRate: profile.startRate, stages: profile.stages },
    stepAt,
    dropAt,
    endAt: profile.endAt,
    samples,
    changes: recorder.changesFrom(beganMs),
    firstNewReadyAt: firstNewReady ? toT(firstNewReady.at) : undefined,
    requests: { total: load.total, failed: load.failed, shed: load.shed, notSent: load.notSent, underSlo: load.underSlo },
    podStarts: recorder.podStarts,
    hpaStatus: recorder.statusFrom(beganMs),
    ...(server ? { server } : {}),
  };
  // The prediction the run is held to is made again at the run's own sync phase (its recorded
  // statuses place it), at the scrape phase nearest what it did (one the record cannot
  // measure): which sync a decision falls on is the phases', not the model's.
  const syncPhase = runSyncPhase(record, pipe.syncSeconds);
  const { sim: atPhase, prediction } = predictAtSyncPhase(hpa, { pipe, profile, central }, syncPhase, runEvents(record.changes, hpa.minReplicas));
  const predicted = simulatedRecord(atPhase, { profile: profile.name, stepAt, dropAt, endAt: profile.endAt, pipe });
  const decisions = reconstructDecisions(record, hpa, pipe);
  // A calibrated server's prediction rests on its measured capacity, whose prediction error no
  // recorded run has measured yet: a figure, unless --gate-prediction.
  const calibrated = capacityOf(deployment) !== undefined;
  const gatePrediction = o.gatePrediction ?? (calibrated ? false : undefined);
  const results: AssertionResult[] = [...checkRun(record, hpa, bounds, pipe, prediction, { decisions, gatePrediction, syncPhase }), ...duringResults];
  const figures: Figures = computeFigures(record, hpa, pipe, bounds);
  const report: RunReport = {
    record,
    hpa,
    pipeline: pipe,
    bounds,
    results,
    figures,
    overlay: o.overlay,
    prediction: { record: predicted, figures: computeFigures(predicted, hpa, pipe, bounds) },
    decisions,
  };
  const files = await writeReport(o.reportDir, report);
  for (const a of results) {
    o.log(`${a.ok ? '✓' : '✗'} ${a.name}: ${a.observed} (bound: ${a.bound})${a.judges ? ` [judges: ${a.judges}]` : ''}`);
    if (!a.ok && a.context) o.log(a.context);
  }
  if (!results.some((a) => a.judges === 'prediction')) {
    const seen = predictionAssertion(record, hpa, pipe, prediction, syncPhase);
    const measured = measuredProfiles(ruleReading(pipe));
    const reading = ruleReading(pipe) === 'gauges' ? ' on a rule of sampled gauges' : '';
    const why = calibrated
      ? `a calibrated server (${CAPACITY_ANNOTATION}), whose prediction error is not measured yet`
      : `this schedule${reading} (its error is measured for ${measured.length ? measured.join(', ') : 'no profile yet'})`;
    o.log(`· the prediction, a figure for ${why}; --gate-prediction holds a run to it: ${seen.observed} against ${seen.bound}`);
  }
  for (const line of [...figureLines(figures, pipe, hpa.minReplicas), ...(server ? serverLines(server) : [])]) o.log(line);
  return { report, files };
}
