import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { predict, request, sample, scrape, until } from '../helpers/http.ts';
import { startService, type Running } from '../helpers/service.ts';
import { processCpuSeconds } from '../../inference/src/cpu-cost.ts';

const service = suite<{ svc: Running }>('the inference service over HTTP');

service.before.each(async (ctx) => {
  ctx.svc = await startService({ INFERENCE_DRAIN_DELAY_MS: '0' });
});
service.after.each(async (ctx) => {
  await ctx.svc.service.shutdown();
});

service('answers a valid predict request with one probability per class', async ({ svc }) => {
  const reply = await predict(svc.port, { id: 'a', inputs: [0.5, -1, 2] });
  assert.is(reply.status, 200);
  const body = JSON.parse(reply.body) as { id: string; outputs: number[]; serviceMs: number };
  assert.is(body.id, 'a');
  assert.is(body.outputs.length, 4);
  assert.ok(Math.abs(body.outputs.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  assert.ok(body.serviceMs >= svc.config.serviceTimeMs - 5, `served in ${body.serviceMs} ms`);
});

service('reports in-flight equal to held requests and queue depth beyond the slots', async ({ svc }) => {
  const held = [predict(svc.port), predict(svc.port), predict(svc.port)];
  await until(() => svc.service.slots.inFlight === 3, 2000, 'three requests held');
  const text = await scrape(svc.metricsPort);
  assert.is(sample(text, 'inference_requests_in_flight'), 3);
  assert.is(sample(text, 'inference_queue_depth'), 1);
  assert.is(sample(text, 'inference_slots'), 2);
  const replies = await Promise.all(held);
  assert.equal(replies.map((r) => r.status), [200, 200, 200]);
  const after = await scrape(svc.metricsPort);
  assert.is(sample(after, 'inference_requests_in_flight'), 0);
  assert.is(sample(after, 'inference_queue_depth'), 0);
  assert.is(sample(after, 'inference_requests_total{code="200"}'), 3);
});

service('sheds load past slots plus queue with 429 and Retry-After', async ({ svc }) => {
  const capacity = svc.config.slots + svc.config.queueLimit;
  const held = Array.from({ length: capacity }, () => predict(svc.port));
  await until(() => svc.service.slots.inFlight === capacity, 2000, 'slots and queue full');
  const shed = await predict(svc.port);
  assert.is(shed.status, 429);
  assert.ok(Number(shed.headers['retry-after']) >= 1, `Retry-After: ${shed.headers['retry-after']}`);
  const replies = await Promise.all(held);
  assert.ok(replies.every((r) => r.status === 200));
  const text = await scrape(svc.metricsPort);
  assert.is(sample(text, 'inference_requests_total{code="429"}'), 1);
});

service('counts the demand each request brings when it arrives, its cost alone, served or shed', async ({ svc }) => {
  assert.is(sample(await scrape(svc.metricsPort), 'inference_demand_seconds_total'), 0);
  const capacity = svc.config.slots + svc.config.queueLimit;
  const held = Array.from({ length: capacity }, () => predict(svc.port));
  await until(() => svc.service.slots.inFlight === capacity, 2000, 'slots and queue full');
  assert.is((await predict(svc.port)).status, 429);
  const cost = svc.config.serviceTimeMs / 1000;
  // Counted on arrival: the queued requests' demand is there before they run.
  assert.ok(Math.abs((sample(await scrape(svc.metricsPort), 'inference_demand_seconds_total') ?? 0) - (capacity + 1) * cost) < 1e-9);
  await Promise.all(held);
  const completion = await request(svc.port, { method: 'POST', path: '/v1/completions', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: svc.config.modelName, prompt: 'abcdefgh', max_tokens: 3 }) });
  assert.is(completion.status, 200);
  const tokensCost = (2 * svc.config.prefillUsPerToken) / 1e6 + (3 * svc.config.decodeMsPerToken) / 1000;
  assert.ok(Math.abs((sample(await scrape(svc.metricsPort), 'inference_demand_seconds_total') ?? 0) - ((capacity + 1) * cost + tokensCost)) < 1e-9, 'a completion: its prompt tokens prefilled and max_tokens decoded');
});

service('exports the answers a predict request ends with at 0 before the first request, so a rate over them reads 0 at idle', async ({ svc }) => {
  const text = await scrape(svc.metricsPort);
  for (const code of ['200', '429']) {
    assert.is(sample(text, `inference_request_duration_seconds_count{code="${code}"}`), 0, code);
    assert.is(sample(text, `inference_request_duration_seconds_sum{code="${code}"}`), 0, code);
    assert.is(sample(text, `inference_requests_total{code="${code}"}`), 0, code);
  }
});

service('counts in-flight seconds so that its rate is the average concurrency', async ({ svc }) => {
  const before = sample(await scrape(svc.metricsPort), 'inference_inflight_seconds_total');
  const t0 = performance.now();
  await Promise.all([predict(svc.port), predict(svc.port)]);
  const after = sample(await scrape(svc.metricsPort), 'inference_inflight_seconds_total');
  const elapsed = (performance.now() - t0) / 1000;
  const serviceSeconds = svc.config.serviceTimeMs / 1000;
  // Two requests each held for one service time: about 2 x service time of request-seconds.
  assert.ok(Math.abs(after - before - 2 * serviceSeconds) < 0.1, `grew by ${after - before}`);
  assert.ok((after - before) / elapsed <= 2.0001, 'average concurrency cannot exceed the requests sent');
});

service('keeps answering /healthz and /metrics while every slot and the queue are full', async ({ svc }) => {
  const capacity = svc.config.slots + svc.config.queueLimit;
  const held = Array.from({ length: capacity }, () => predict(svc.port));
  await until(() => svc.service.slots.inFlight === capacity, 2000, 'saturation');
  const t0 = performance.now();
  const [health, metrics] = await Promise.all([request(svc.port, { path: '/healthz' }), scrape(svc.metricsPort)]);
  const ms = performance.now() - t0;
  assert.is(health.status, 200);
  assert.ok(metrics.includes('inference_requests_in_flight 4'));
  assert.ok(ms < svc.config.serviceTimeMs, `answered in ${ms.toFixed(0)} ms, before any request finished`);
  await Promise.all(held);
});

service('is ready after listening and answers unknown routes with 404', async ({ svc }) => {
  assert.is((await request(svc.port, { path: '/readyz' })).status, 200);
  assert.is((await request(svc.port, { path: '/nope' })).status, 404);
  assert.is((await request(svc.metricsPort, { path: '/nope' })).status, 404);
});

service.run();

const compute = suite<{ svc: Running }>('the inference service in compute mode');

compute.before.each(async (ctx) => {
  ctx.svc = await startService({ INFERENCE_DRAIN_DELAY_MS: '0', INFERENCE_COMPUTE_MODE: 'compute' });
});
compute.after.each(async (ctx) => {
  await ctx.svc.service.shutdown();
});

compute('runs the model in worker threads while the event loop keeps answering probes', async ({ svc }) => {
  const held = [predict(svc.port, { inputs: [1, 2] }), predict(svc.port, { inputs: [1, 2] })];
  await until(() => svc.service.slots.busy === 2, 2000, 'both slots computing');
  const t0 = performance.now();
  const health = await request(svc.port, { path: '/healthz' });
  const ms = performance.now() - t0;
  assert.is(health.status, 200);
  assert.ok(ms < svc.config.serviceTimeMs / 2, `/healthz took ${ms.toFixed(0)} ms while both slots computed`);
  const replies = await Promise.all(held);
  const [a, b] = replies.map((r) => JSON.parse(r.body) as { outputs: number[] });
  assert.equal(a?.outputs, b?.outputs, 'the same input gives the same output');
  assert.is(a?.outputs.length, 4);
});

compute('counts each arriving request at the CPU time requests cost it, measured, not at the cost it declares', async () => {
  const svc = await startService({ INFERENCE_DRAIN_DELAY_MS: '0', INFERENCE_COMPUTE_MODE: 'compute', INFERENCE_CPU_LIMIT_MILLICORES: '1000', INFERENCE_DECODE_MS_PER_TOKEN: '10', INFERENCE_PREFILL_US_PER_TOKEN: '0' });
  try {
    const body = JSON.stringify({ model: svc.config.modelName, prompt: 'abcd', max_tokens: 2 });
    const complete = () => request(svc.port, { method: 'POST', path: '/v1/completions', headers: { 'content-type': 'application/json' }, body });
    const declared = 0.02;
    // Before the pod has measured anything, the declared cost.
    assert.is((await complete()).status, 200);
    assert.ok(Math.abs((sample(await scrape(svc.metricsPort), 'inference_demand_seconds_total') ?? 0) - declared) < 1e-9);
    // Served one after another for 2.5 s: what a request costs this process's CPU (the test's client included, as the pod's CPU is all the pod's).
    const cpu0 = processCpuSeconds();
    let served = 0;
    for (const end = performance.now() + 2500; performance.now() < end; served += 1) assert.is((await complete()).status, 200);
    const measured = (processCpuSeconds() - cpu0) / served;
    const before = sample(await scrape(svc.metricsPort), 'inference_demand_seconds_total') ?? 0;
    for (let i = 0; i < 10; i += 1) assert.is((await complete()).status, 200);
    const counted = ((sample(await scrape(svc.metricsPort), 'inference_demand_seconds_total') ?? 0) - before) / 10;
    assert.ok(counted > measured * 0.8 && counted < measured * 1.25, `counted ${(counted * 1000).toFixed(1)} ms a request, the process spent ${(measured * 1000).toFixed(1)} ms`);
    assert.ok(Math.abs(counted - declared) > 1e-6, 'not the declared cost');
    assert.is(sample(await scrape(svc.metricsPort), 'inference_capacity'), 1);
  } finally {
    await svc.service.shutdown();
  }
});

compute.run();
