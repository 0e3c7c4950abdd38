import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// Buckets reach well past the service time so a saturated pod's queueing delay is visible
// instead of piling up in +Inf.
/** The integral of requests in flight over time: its rate() is the average concurrency, the HPA's input. */
export const INFLIGHT_SECONDS_METRIC = 'inference_inflight_seconds_total';

export function durationBuckets(serviceTimeMs: number): number[] {
  const base = serviceTimeMs / 1000;
  const factors = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, 5, 8, 13, 21, 34];
  return factors.map((f) => Number((base * f).toPrecision(3)));
}

export interface InferenceMetrics {
  registry: Registry;
  /** Record a change of running/queued requests at time nowMs (performance.now()). */
  onSlotsChanged(running: number, queued: number, nowMs: number): void;
  observeRequest(code: number, seconds: number): void;
}

export function createMetrics(slots: number, serviceTimeMs: number, now: () => number = () => performance.now()): InferenceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const inFlight = new Gauge({
    name: 'inference_requests_in_flight',
    help: 'Requests held by this pod: running in a slot plus waiting in the queue.',
    registers: [registry],
  });
  const queueDepth = new Gauge({
    name: 'inference_queue_depth',
    help: 'Requests waiting for a slot.',
    registers: [registry],
  });
  const slotsGauge = new Gauge({
    name: 'inference_slots',
    help: 'Concurrent slots of this pod (its capacity in requests at once).',
    registers: [registry],
  });
  slotsGauge.set(slots);
  const duration = new Histogram({
    name: 'inference_request_duration_seconds',
    help: 'Predict request duration, queueing included.',
    labelNames: ['code'],
    buckets: durationBuckets(serviceTimeMs),
    registers: [registry],
  });
  const requests = new Counter({
    name: 'inference_requests_total',
    help: 'Predict requests by HTTP status code.',
    labelNames: ['code'],
    registers: [registry],
  });

  // The series of the answers a predict request ends with exist from the pod's start, at 0:
  // a rate() over them (the latency rule) reads 0 at idle instead of nothing.
  for (const code of ['200', '429']) {
    duration.zero({ code });
    requests.inc({ code }, 0);
  }

  // The integral of in-flight over time: rate() of it over a window is the exact average
  // concurrency in that window, a steadier HPA input than a sampled gauge.
  let current = 0;
  let lastChangeMs = now();
  let integral = 0;
  const advance = (nowMs: number): void => {
    integral += (current * (nowMs - lastChangeMs)) / 1000;
    lastChangeMs = nowMs;
  };
  new Counter({
    name: INFLIGHT_SECONDS_METRIC,
    help: 'Integral of requests in flight over time, in request-seconds; rate() is the average concurrency.',
    registers: [registry],
    collect() {
      advance(now());
      this.reset();
      this.inc(integral);
    },
  });

  return {
    registry,
    onSlotsChanged(running, queued, nowMs) {
      advance(nowMs);
      current = running + queued;
      inFlight.set(current);
      queueDepth.set(queued);
    },
    observeRequest(code, seconds) {
      const label = String(code);
      requests.inc({ code: label });
      duration.observe({ code: label }, seconds);
    },
  };
}
