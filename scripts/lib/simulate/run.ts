import { newMemory, sync, type ControllerSettings, type Decision, type MetricReading } from './controller.ts';

// A run of a load profile against the pods, the metric pipeline and the HPA controller, as
// plain arithmetic: a fluid model of each pod's slots and queue (Ready pods share the load
// evenly), Prometheus scraping the pods' counters, the adapter's rate() over its window,
// metrics-server's CPU window, and the controller's rules (controller.ts) at every sync. The
// phases nobody controls (where the first sync and the first scrape fall) are inputs, so a
// caller can run every one of them.

export interface PodSettings {
  slots: number;
  queueLimit: number;
  /** Mean service time of one request, seconds (INFERENCE_SERVICE_TIME_MS). */
  serviceSeconds: number;
  /** The service time is uniform within ± this (INFERENCE_SERVICE_JITTER_MS), seconds. */
  jitterSeconds: number;
  /** Pod creation to Ready, seconds. */
  startSeconds: number;
  /**
   * The pod's CPU (INFERENCE_COMPUTE_MODE): in `compute` a running request keeps a core busy
   * (capped by the pod's limit, which then stretches the service time); in `sleep` the work
   * is off the CPU, as on an accelerator, and the pod's CPU is 0.
   */
  cpu: { mode: 'sleep' | 'compute'; requestCores: number; limitCores: number };
}

export interface PipelineModel {
  scrapeSeconds: number;
  rateWindowSeconds: number;
  relistSeconds: number;
  syncSeconds: number;
  /** metrics-server's resolution: the CPU a pod reports is its mean over this window. */
  cpuWindowSeconds: number;
  /**
   * The rule averages a gauge of requests in flight sampled at each scrape (avg_over_time, as
   * the server presets' rules do), instead of the rate() of an in-flight-seconds counter:
   * what the metric reads is the concurrency at the scrapes in the window, not its integral.
   */
  averagesGauges?: boolean;
}

export interface Phases {
  /** When the first sync comes, seconds after the load starts, in [0, sync period). */
  sync: number;
  /** When the first scrape comes, in [0, scrape interval). */
  scrape: number;
  /**
   * How far apart consecutive pods' scrapes fall, in [0, scrape interval): Prometheus offsets
   * each target's scrapes within the interval (by a hash of the target), so the n-th pod is
   * scraped at scrape + n x stride, modulo the interval. 0 (the default): every pod at once.
   */
  stride?: number;
}

/** Requests that arrive in [t, t + dt): the rate times dt (even, as the load driver's pacer starts them), or a Poisson draw. */
export type Arrivals = (t: number, dt: number) => number;

export interface SimSecond {
  t: number;
  /** The Deployment's spec.replicas. */
  replicas: number;
  ready: number;
  offered: number;
  /** Requests per second the Ready pods serve when every slot is busy. */
  capacity: number;
  /** Requests refused (429) in this second. */
  shed: number;
  /** Requests in flight per Ready pod at the end of the second. */
  concurrency: number;
  /** A request's wait for a slot at the end of the second, seconds. */
  waitSeconds: number;
  /** How much the CPU limit stretches the service time (1 when it does not). */
  stretch: number;
  /** CPU per Ready pod, cores. */
  cpuCores: number;
}

export interface SimRun {
  /** The phases of sync and scrape it ran at. */
  phases: Phases;
  seconds: SimSecond[];
  changes: { t: number; from: number; to: number }[];
  /** Every sync of the controller and why it set the count it set. */
  decisions: Decision[];
  /** When the first pod beyond the starting replicas turned Ready. */
  firstNewReadyAt?: number;
  shedTotal: number;
}

interface Pod {
  readyAt: number;
  /** The fleet's per-pod counters when it turned Ready: its own counters count from there. */
  base?: number;
  demandBase?: number;
  /** When the adapter has listed its series (a relist after it appeared). */
  listedFrom: number;
  /** Its own scrapes of the per-pod in-flight-seconds counter (value), demand-seconds counter and in-flight gauge, at its own offset. */
  scrapes: { at: number; value: number; demand: number; gauge: number }[];
  nextScrape: number;
}

interface Scrape {
  at: number;
  /** The per-pod in-flight-seconds counter. */
  inflight: number;
  /** The fleet's request-duration sum and count. */
  durationSum: number;
  durationCount: number;
  /** A pod's CPU-seconds counter. */
  cpu: number;
}

/** A seeded generator (mulberry32): the same seed gives the same run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Arrivals as the load driver's pacer sends them: the rate, spread evenly. */
export const evenArrivals = (rate: (t: number) => number): Arrivals => (t, dt) => rate(t) * dt;

/** Arrivals of independent clients: a Poisson count of mean rate × dt per step (Knuth's method; the means here are small). */
export function poissonArrivals(rate: (t: number) => number, seed: number): Arrivals {
  const random = seededRandom(seed);
  return (t, dt) => {
    const limit = Math.exp(-rate(t) * dt);
    let k = 0;
    for (let p = random(); p > limit; p *= random()) k++;
    return k;
  };
}

/** The slope of a counter between the first and last sample of a window. */
function slope(samples: Scrape[], key: keyof Scrape): number | undefined {
  const first = samples[0];
  const last = samples.at(-1);
  if (!first || !last || last.at <= first.at) return undefined;
  return (last[key] - first[key]) / (last.at - first.at);
}

/**
 * PromQL rate() over (end − window, end] (promql/functions.go `extrapolatedRate`): the
 * increase between the first and last sample, extrapolated towards each edge of the window
 * by at most half the mean sample interval when the samples stop short of it by more than
 * 1.1 intervals (a series that starts inside the window, as a new pod's does, is not
 * extrapolated to its edge), and not below the counter's zero; divided by the window.
 */
export function promRate(samples: { at: number; value: number }[], end: number, window: number): number | undefined {
  const first = samples[0];
  const last = samples.at(-1);
  if (!first || !last || samples.length < 2 || last.at <= first.at) return undefined;
  const delta = last.value - first.value;
  const sampled = last.at - first.at;
  const mean = sampled / (samples.length - 1);
  const threshold = mean * 1.1;
  let toStart = first.at - (end - window);
  let toEnd = end - last.at;
  if (toStart >= threshold) toStart = mean / 2;
  if (delta > 0 && first.value >= 0) toStart = Math.min(toStart, (sampled * first.value) / delta);
  if (toEnd >= threshold) toEnd = mean / 2;
  return (delta * ((sampled + toStart + toEnd) / sampled)) / window;
}

/**
 * One Ready pod's share of the requests in flight: the busy slots, which in compute mode each
 * hold a core until the pod's CPU limit, past which they share it and every request runs
 * longer (the stretch); and a new request's wait for a slot (Little's law on the slots).
 * A request is never faster than one core, nor than the limit: under a limit below one core
 * even a request alone stretches (a fraction in flight is a request part of the time, not
 * a part of a request).
 */
export function podLoad(inFlight: number, ready: number, pods: PodSettings): { busy: number; cores: number; stretch: number; wait: number } {
  const perPod = inFlight / Math.max(1, ready);
  const busy = Math.min(perPod, pods.slots);
  const compute = pods.cpu.mode === 'compute';
  const stretch = compute ? Math.max(1, Math.max(1, busy) / pods.cpu.limitCores) : 1;
  const wait = ready > 0 ? (Math.max(0, perPod - pods.slots) * pods.serviceSeconds * stretch) / pods.slots : 0;
  return { busy, cores: compute ? Math.min(busy, pods.cpu.limitCores) : 0, stretch, wait };
}

/** Runs the arrivals for `seconds` with the given phases; `offered` is the rate the report shows; dt is the fluid model's step. */
export function simulate(
  offered: (t: number) => number,
  seconds: number,
  hpa: ControllerSettings,
  pods: PodSettings,
  pipe: PipelineModel,
  phases: Phases,
  o: { arrivals?: Arrivals; dt?: number } = {},
): SimRun {
  const dt = o.dt ?? 0.1;
  const arrivals = o.arrivals ?? evenArrivals(offered);
  const { scrapeSeconds: S, rateWindowSeconds: W, relistSeconds: R, syncSeconds: H } = pipe;
  // The n-th pod's scrapes: at its offset within the interval, from the first one after it is created.
  let created = 0;
  const newPod = (at: number, readyAt: number, listedFrom: number): Pod => {
    const offset = (phases.scrape + created++ * (phases.stride ?? 0)) % S;
    return { readyAt, listedFrom, scrapes: [], nextScrape: at === -Infinity ? offset : offset + Math.ceil((at - offset) / S - 1e-9) * S };
  };
  const fleet: Pod[] = Array.from({ length: hpa.minReplicas }, () => newPod(-Infinity, -Infinity, -Infinity));
  const memory = newMemory();
  // What one pod runs at once: its slots, or in compute mode the cores its CPU limit gives them.
  const runsAtOnce = pods.cpu.mode === 'compute' ? Math.min(pods.slots, pods.cpu.limitCores) : pods.slots;
  let inFlight = 0;
  // Counters, and their scrapes: the pods share the load evenly, so one pod's counters stand for each.
  let inflightSeconds = 0;
  // Each arrival's cost alone (the service time), counted when it arrives, shed or not.
  let demandSeconds = 0;
  let durationSum = 0;
  let durationCount = 0;
  let cpuSeconds = 0;
  const scrapes: Scrape[] = [];
  let nextScrape = phases.scrape;
  let nextSync = phases.sync;
  const result: SimRun = { phases, seconds: [], changes: [], decisions: [], shedTotal: 0 };
  let shedThisSecond = 0;
  const steps = Math.round(seconds / dt);
  const perSecond = Math.round(1 / dt);
  for (let i = 0; i < steps; i++) {
    const t = i * dt;
    let ready = 0;
    for (const p of fleet) {
      if (p.readyAt > t) continue;
      ready++;
      p.base ??= p.readyAt === -Infinity ? 0 : inflightSeconds;
      p.demandBase ??= p.readyAt === -Infinity ? 0 : demandSeconds;
    }
    if (result.firstNewReadyAt === undefined && ready > hpa.minReplicas) result.firstNewReadyAt = t;
    const { busy, cores, stretch, wait } = podLoad(inFlight, ready, pods);
    const service = pods.serviceSeconds * stretch;
    const served = ((busy * ready) / service) * dt;
    durationSum += served * (wait + service);
    durationCount += served;
    const arrived = arrivals(t, dt);
    demandSeconds += (arrived / Math.max(1, ready)) * pods.serviceSeconds;
    inFlight += arrived - served;
    const room = (pods.slots + pods.queueLimit) * ready;
    if (inFlight > room) {
      shedThisSecond += inFlight - room;
      inFlight = room;
    }
    inflightSeconds += (inFlight / Math.max(1, ready)) * dt;
    cpuSeconds += cores * dt;
    if (t + 1e-9 >= nextScrape) {
      scrapes.push({ at: t, inflight: inflightSeconds, durationSum, durationCount, cpu: cpuSeconds });
      nextScrape += S;
    }
    for (const pod of fleet) {
      if (t + 1e-9 < pod.nextScrape) continue;
      pod.scrapes.push({ at: t, value: inflightSeconds, demand: demandSeconds, gauge: inFlight / Math.max(1, ready) });
      pod.nextScrape += S;
    }
    if (t + 1e-9 >= nextSync) {
      const current = fleet.length;
      // Each pod's rate() over the window. A pod that joined inside the window has fewer
      // samples, and none from before its traffic; with fewer than two it has no value. The
      // adapter serves milli-units, as the controller reads them. A pod's series starts at its
      // first scrape after it turned Ready.
      const podRate = (pod: Pod, counter: 'value' | 'demand' = 'value'): number | undefined => {
        const base = counter === 'demand' ? (pod.demandBase ?? 0) : (pod.base ?? 0);
        const inWindow = pod.scrapes.filter((s) => s.at > t - W && s.at <= t && s.at >= pod.readyAt);
        // A gauge's avg_over_time: the mean of its samples in the window, one is enough.
        if (counter === 'value' && pipe.averagesGauges) return inWindow.length ? Math.round((inWindow.reduce((a, s) => a + s.gauge, 0) / inWindow.length) * 1000) / 1000 : undefined;
        const own = inWindow.map((s) => ({ at: s.at, value: s[counter] - base }));
        const rate = promRate(own, t, W);
        return rate === undefined ? undefined : Math.round(rate * 1000) / 1000;
      };
      const readings = hpa.metrics.map((m): MetricReading => {
        if (m.type === 'External' && m.signal === 'concurrency') {
          // KEDA's query: the sum of every pod's rate, read from Prometheus when the HPA asks (no relist).
          const rates = fleet.map((pod) => podRate(pod)).filter((r): r is number => r !== undefined);
          return { value: rates.length ? rates.reduce((a, b) => a + b, 0) : undefined };
        }
        if (m.type === 'External') {
          // The mean request latency over the window: rate(sum) / rate(count); none without requests.
          const inWindow = scrapes.filter((s) => s.at > t - W && s.at <= t);
          const count = slope(inWindow, 'durationCount');
          const sum = slope(inWindow, 'durationSum');
          return { value: count && sum !== undefined ? sum / count : undefined };
        }
        const perPod: number[] = [];
        let unready = 0;
        for (const pod of fleet) {
          if (m.type === 'Resource') {
            // metrics-server: the mean CPU over its window, counted once a whole window
            // after the pod turned Ready (groupPods' CPU initialization rule).
            if (pod.readyAt > t) continue;
            if (pod.readyAt + pipe.cpuWindowSeconds > t) {
              unready++;
              continue;
            }
            const window = scrapes.filter((s) => s.at > t - pipe.cpuWindowSeconds && s.at <= t);
            const rate = slope(window, 'cpu');
            if (rate !== undefined) perPod.push((rate / pods.cpu.requestCores) * 100);
            continue;
          }
          // Before a relist lists a pod's series, the adapter has no value for it.
          const signal = m.type === 'Pods' ? m.signal : undefined;
          const rate = podRate(pod, signal ? 'demand' : 'value');
          if (pod.listedFrom <= t && rate !== undefined) perPod.push(signal === 'utilization' ? Math.round((rate / runsAtOnce) * 1000) / 1000 : rate);
        }
        return { perPod, missing: current - perPod.length - unready, unready };
      });
      const decision = sync(hpa, memory, t, { current, ready }, readings);
      if (decision.metrics.length > 0) {
        result.decisions.push(decision);
        const next = decision.replicas;
        if (next > current) {
          for (let n = current; n < next; n++) fleet.push(newPod(t, t + pods.startSeconds, t + pods.startSeconds + R));
        } else if (next < current) {
          // The ReplicaSet removes the pods that are not Ready, then the newest; a Ready pod
          // that goes drains what it holds (no new requests), so its share leaves the queue.
          fleet.sort((a, b) => a.readyAt - b.readyAt);
          const removed = fleet.splice(next);
          const removedReady = removed.filter((p) => p.readyAt <= t).length;
          if (ready > 0) inFlight -= (inFlight * removedReady) / ready;
        }
        if (next !== current) result.changes.push({ t, from: current, to: next });
      }
      nextSync += H;
    }
    if ((i + 1) % perSecond === 0) {
      const second = Math.round(t + dt) - 1;
      let readyNow = 0;
      for (const p of fleet) if (p.readyAt <= t) readyNow++;
      const now = podLoad(inFlight, readyNow, pods);
      result.seconds.push({
        t: second,
        replicas: fleet.length,
        ready: readyNow,
        offered: offered(second),
        capacity: (readyNow * Math.min(pods.slots, pods.cpu.mode === 'compute' ? pods.cpu.limitCores : pods.slots)) / pods.serviceSeconds,
        shed: shedThisSecond,
        concurrency: inFlight / Math.max(1, readyNow),
        waitSeconds: now.wait,
        stretch: now.stretch,
        cpuCores: now.cores,
      });
      result.shedTotal += shedThisSecond;
      shedThisSecond = 0;
    }
  }
  return result;
}

/**
 * Every phase on a grid of `step` seconds: the first sync and the first scrape anywhere in
 * their periods; with `strides`, also every spacing of the pods' scrapes up to half the
 * interval (a spacing of interval − s puts the pods at the offsets s does, in the other order).
 */
export function allPhases(pipe: Pick<PipelineModel, 'syncSeconds' | 'scrapeSeconds'>, step = 1, o: { strides?: boolean } = {}): Phases[] {
  const phases: Phases[] = [];
  const strides = o.strides ? Array.from({ length: Math.floor(pipe.scrapeSeconds / 2 / step) + 1 }, (_, i) => i * step) : [0];
  for (const stride of strides) {
    for (let sync = 0; sync < pipe.syncSeconds; sync += step) for (let scrape = 0; scrape < pipe.scrapeSeconds; scrape += step) phases.push(stride === 0 ? { sync, scrape } : { sync, scrape, stride });
  }
  return phases;
}
