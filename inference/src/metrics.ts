import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// Buckets reach well past the service time so a saturated pod's queueing delay is visible
// instead of piling up in +Inf.
/** The integral of requests in flight over time: its rate() is the average concurrency, the HPA's input. */
export const INFLIGHT_SECONDS_METRIC = 'inference_inflight_seconds_total';
/** Each arriving request's cost alone, summed: rate() of it is the offered load in requests in flight, shed or not, however the pod is contended. */
export const DEMAND_SECONDS_METRIC = 'inference_demand_seconds_total';

export function durationBuckets(serviceTimeMs: number): number[] {
  const base = serviceTimeMs / 1000;
  const factors = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, 5, 8, 13, 21, 34];
  return factors.map((f) => Number((base * f).toPrecision(3)));
}

/** A finished completion, as vLLM's request-level metrics count it. */
export interface CompletionFigures {
  promptTokens: number;
  generationTokens: number;
  ttftSeconds: number;
  e2eSeconds: number;
  /** "length" (max_tokens reached), "stop", or "abort" (the client went away). */
  finishedReason: string;
}

export interface InferenceMetrics {
  registry: Registry;
  /** Record a change of running/queued requests at time nowMs (performance.now()). */
  onSlotsChanged(running: number, queued: number, nowMs: number): void;
  observeRequest(code: number, seconds: number): void;
  /** A request arrived that costs `seconds` alone: counted before it is queued, run or shed. */
  observeArrival(seconds: number): void;
  observeCompletion(c: CompletionFigures): void;
}

// vLLM's own metric names and labels (docs.vllm.ai, Production Metrics, v0.9.1: the
// scheduler gauges and the request-level histograms and counters, each labelled with
// model_name; request_success_total with finished_reason), for the quantities this server
// has: the manifests that scale it are the ones that scale vLLM.
const VLLM_LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];

export const CAPACITY_METRIC = 'inference_capacity';

/**
 * `capacity` is what the pod runs at once, in requests (its slots, or where the CPU binds the
 * cores its CPU limit gives them): the offered load over it (rate of the demand counter over
 * this gauge, an adapter rule) is a utilization that means the same on every server.
 */
export function createMetrics(slots: number, serviceTimeMs: number, now: () => number = () => performance.now(), modelName = 'inferscale/sim', capacity = slots): InferenceMetrics {
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
  new Gauge({ name: CAPACITY_METRIC, help: 'Requests this pod runs at once: its slots, or where the CPU binds (compute mode, a model on CPU) the cores its CPU limit gives them.', registers: [registry] }).set(capacity);
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

  const model = { model_name: modelName };
  const running = new Gauge({ name: 'vllm:num_requests_running', help: 'Number of requests currently running (in a slot).', labelNames: ['model_name'], registers: [registry] });
  const waiting = new Gauge({ name: 'vllm:num_requests_waiting', help: 'Number of requests waiting to be processed (queued).', labelNames: ['model_name'], registers: [registry] });
  const e2e = new Histogram({ name: 'vllm:e2e_request_latency_seconds', help: 'Histogram of end to end request latency in seconds.', labelNames: ['model_name'], buckets: VLLM_LATENCY_BUCKETS, registers: [registry] });
  const ttft = new Histogram({ name: 'vllm:time_to_first_token_seconds', help: 'Histogram of time to first token in seconds.', labelNames: ['model_name'], buckets: VLLM_LATENCY_BUCKETS, registers: [registry] });
  const promptTokens = new Counter({ name: 'vllm:prompt_tokens_total', help: 'Number of prefill tokens processed.', labelNames: ['model_name'], registers: [registry] });
  const generationTokens = new Counter({ name: 'vllm:generation_tokens_total', help: 'Number of generation tokens processed.', labelNames: ['model_name'], registers: [registry] });
  const success = new Counter({ name: 'vllm:request_success_total', help: 'Count of successfully processed requests.', labelNames: ['model_name', 'finished_reason'], registers: [registry] });
  running.set(model, 0);
  waiting.set(model, 0);
  e2e.zero(model);
  ttft.zero(model);
  promptTokens.inc(model, 0);
  generationTokens.inc(model, 0);
  for (const finished_reason of ['length', 'stop']) success.inc({ ...model, finished_reason }, 0);

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

  const demand = new Counter({ name: DEMAND_SECONDS_METRIC, help: 'Sum of the arriving requests\' costs, seconds: a slot\'s time alone, or where the CPU binds the CPU time a request costs this pod, measured; rate() over inference_capacity is the offered load\'s utilization.', registers: [registry] });
  demand.inc(0);

  return {
    registry,
    observeArrival(seconds) {
      if (Number.isFinite(seconds) && seconds > 0) demand.inc(seconds);
    },
    onSlotsChanged(runningNow, queued, nowMs) {
      advance(nowMs);
      current = runningNow + queued;
      inFlight.set(current);
      queueDepth.set(queued);
      running.set(model, runningNow);
      waiting.set(model, queued);
    },
    observeRequest(code, seconds) {
      const label = String(code);
      requests.inc({ code: label });
      duration.observe({ code: label }, seconds);
    },
    observeCompletion(c) {
      promptTokens.inc(model, c.promptTokens);
      generationTokens.inc(model, c.generationTokens);
      if (c.finishedReason !== 'abort') {
        success.inc({ ...model, finished_reason: c.finishedReason });
        e2e.observe(model, c.e2eSeconds);
      }
      if (Number.isFinite(c.ttftSeconds)) ttft.observe(model, c.ttftSeconds);
    },
  };
}
