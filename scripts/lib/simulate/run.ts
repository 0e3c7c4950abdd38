import { sync, type ControllerSettings, type Recommendation, type ScaleEvent } from './controller.ts';

// A run of a load profile against the pods, the metric pipeline and the HPA controller, as
// plain arithmetic: a fluid model of each pod's slots and queue, Prometheus scraping the
// in-flight-seconds counter, the adapter's rate() over its window, and the controller's
// rules (controller.ts) at every sync. The phases nobody controls (where the first sync
// and the first scrape fall) are inputs, so a caller can run every one of them.

export interface PodSettings {
  slots: number;
  queueLimit: number;
  /** Mean service time of one request, seconds. */
  serviceSeconds: number;
  /** Pod creation to Ready, seconds. */
  startSeconds: number;
}

export interface PipelineModel {
  scrapeSeconds: number;
  rateWindowSeconds: number;
  relistSeconds: number;
  syncSeconds: number;
}

export interface Phases {
  /** When the first sync comes, seconds after the load starts, in [0, sync period). */
  sync: number;
  /** When the first scrape comes, in [0, scrape interval). */
  scrape: number;
}

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
}

export interface SimRun {
  seconds: SimSecond[];
  changes: { t: number; from: number; to: number }[];
  /** When the first pod beyond the starting replicas turned Ready. */
  firstNewReadyAt?: number;
  shedTotal: number;
}

interface Pod {
  readyAt: number;
  /** When the adapter has listed its series (a relist after it appeared). */
  listedFrom: number;
}

/** Runs `offered` (req/s at t) for `seconds` with the given phases; dt is the fluid model's step. */
export function simulate(
  offered: (t: number) => number,
  seconds: number,
  hpa: ControllerSettings,
  pods: PodSettings,
  pipe: PipelineModel,
  phases: Phases,
  dt = 0.1,
): SimRun {
  const { scrapeSeconds: S, rateWindowSeconds: W, relistSeconds: R, syncSeconds: H } = pipe;
  const fleet: Pod[] = Array.from({ length: hpa.minReplicas }, () => ({ readyAt: -Infinity, listedFrom: -Infinity }));
  const memory: { recommendations: Recommendation[]; events: ScaleEvent[] } = { recommendations: [], events: [] };
  let inFlight = 0;
  // The per-pod in-flight-seconds counter (pods share the load evenly), and its scrapes.
  let counter = 0;
  const scrapes: { at: number; value: number }[] = [];
  let nextScrape = phases.scrape;
  let nextSync = phases.sync;
  const result: SimRun = { seconds: [], changes: [], shedTotal: 0 };
  let shedThisSecond = 0;
  const steps = Math.round(seconds / dt);
  for (let i = 0; i < steps; i++) {
    const t = i * dt;
    const ready = fleet.filter((p) => p.readyAt <= t).length;
    if (result.firstNewReadyAt === undefined && ready > hpa.minReplicas) result.firstNewReadyAt = t;
    // The fluid queue: arrivals, service at one request per slot per service time, shedding
    // beyond slots + queue.
    const served = (Math.min(inFlight, pods.slots * ready) / pods.serviceSeconds) * dt;
    inFlight += offered(t) * dt - served;
    const room = (pods.slots + pods.queueLimit) * ready;
    if (inFlight > room) {
      shedThisSecond += inFlight - room;
      inFlight = room;
    }
    counter += (inFlight / Math.max(1, ready)) * dt;
    if (t + 1e-9 >= nextScrape) {
      scrapes.push({ at: t, value: counter });
      nextScrape += S;
    }
    if (t + 1e-9 >= nextSync) {
      // Each pod's rate() over the window: its counter's slope between its first and last
      // sample in the window. A pod that joined inside the window has fewer samples, and
      // none from before its traffic; with fewer than two, or before a relist lists it, it
      // has no value.
      const inWindow = scrapes.filter((s) => s.at > t - W && s.at <= t);
      const current = fleet.length;
      const values: number[] = [];
      for (const pod of fleet) {
        const own = inWindow.filter((s) => s.at >= pod.readyAt);
        const first = own[0];
        const last = own.at(-1);
        // The adapter serves milli-units, as the controller reads them.
        if (pod.listedFrom <= t && first && last && last.at > first.at) values.push(Math.round(((last.value - first.value) / (last.at - first.at)) * 1000) / 1000);
      }
      if (values.length > 0) {
        const next = sync(hpa, memory, t, current, values, current - values.length);
        if (next > current) {
          for (let n = current; n < next; n++) fleet.push({ readyAt: t + pods.startSeconds, listedFrom: t + pods.startSeconds + R });
        } else if (next < current) {
          // The ReplicaSet removes the pods that are not Ready, then the newest.
          fleet.sort((a, b) => a.readyAt - b.readyAt).splice(next);
        }
        if (next !== current) result.changes.push({ t, from: current, to: next });
      }
      nextSync += H;
    }
    if (Math.round((t + dt) / dt) % Math.round(1 / dt) === 0) {
      const second = Math.round(t + dt) - 1;
      const readyNow = fleet.filter((p) => p.readyAt <= t).length;
      result.seconds.push({
        t: second,
        replicas: fleet.length,
        ready: readyNow,
        offered: offered(second),
        capacity: (readyNow * pods.slots) / pods.serviceSeconds,
        shed: shedThisSecond,
        concurrency: inFlight / Math.max(1, readyNow),
      });
      result.shedTotal += shedThisSecond;
      shedThisSecond = 0;
    }
  }
  return result;
}

/** Every phase on a grid of `step` seconds: the first sync and the first scrape anywhere in their periods. */
export function allPhases(pipe: PipelineModel, step = 1): Phases[] {
  const phases: Phases[] = [];
  for (let sync = 0; sync < pipe.syncSeconds; sync += step) for (let scrape = 0; scrape < pipe.scrapeSeconds; scrape += step) phases.push({ sync, scrape });
  return phases;
}
