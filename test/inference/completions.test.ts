import { request as httpRequest } from 'node:http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { approximateTokens as countTokens } from '../../inference/src/engine.ts';
import { request, scrape, series, until } from '../helpers/http.ts';
import { startService, type Running } from '../helpers/service.ts';

// The OpenAI-compatible completions API on the simulated engine: a prefill time per prompt
// token, a decode time per generated token, vLLM's metric names.

const COST = { INFERENCE_PREFILL_US_PER_TOKEN: '2000', INFERENCE_DECODE_MS_PER_TOKEN: '25', INFERENCE_MAX_MODEL_LEN: '128', INFERENCE_MODEL_NAME: 'test/model', INFERENCE_DRAIN_DELAY_MS: '0' };

const api = suite<{ svc: Running }>('the completions API');
api.before.each(async (ctx) => {
  ctx.svc = await startService(COST);
});
api.after.each(async (ctx) => {
  await ctx.svc.service.shutdown();
});

const complete = (svc: Running, body: unknown) =>
  request(svc.port, { method: 'POST', path: '/v1/completions', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

const vllm = series;

api('answers with an OpenAI text_completion, its usage counted in tokens, after prefill and decode', async ({ svc }) => {
  const prompt = 'Write one sentence about autoscaling inference on Kubernetes.';
  const started = performance.now();
  const reply = await complete(svc, { model: 'test/model', prompt, max_tokens: 8 });
  const ms = performance.now() - started;
  assert.is(reply.status, 200, reply.body);
  const body = JSON.parse(reply.body) as { object: string; model: string; choices: { text: string; finish_reason: string }[]; usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } };
  assert.is(body.object, 'text_completion');
  assert.is(body.model, 'test/model');
  assert.is(body.choices[0]?.finish_reason, 'length');
  assert.ok((body.choices[0]?.text.length ?? 0) > 0);
  assert.equal(body.usage, { prompt_tokens: countTokens(prompt), completion_tokens: 8, total_tokens: countTokens(prompt) + 8 });
  const floor = countTokens(prompt) * 2 + 8 * 25;
  assert.ok(ms >= floor - 5 && ms < floor + 250, `${ms.toFixed(0)} ms for a cost of ${floor} ms`);
  const text = await scrape(svc.metricsPort);
  assert.is(vllm(text, 'vllm:generation_tokens_total{model_name="test/model"}'), 8);
  assert.is(vllm(text, 'vllm:prompt_tokens_total{model_name="test/model"}'), countTokens(prompt));
  assert.is(vllm(text, 'vllm:request_success_total{model_name="test/model",finished_reason="length"}'), 1);
  assert.is(vllm(text, 'vllm:time_to_first_token_seconds_count{model_name="test/model"}'), 1);
});

api('streams one server-sent event per token, the first after prefill and one decode, then the finish reason and [DONE]', async ({ svc }) => {
  const started = performance.now();
  const events: { at: number; data: string }[] = [];
  await new Promise<void>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: svc.port, method: 'POST', path: '/v1/completions', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
      assert.is(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /text\/event-stream/);
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          events.push({ at: performance.now() - started, data: buffer.slice(0, end).replace(/^data: /, '') });
          buffer = buffer.slice(end + 2);
        }
      });
      res.on('end', () => resolve());
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify({ model: 'test/model', prompt: 'Hi', max_tokens: 6, stream: true }));
  });
  assert.is(events.length, 8);
  assert.is(events.at(-1)?.data, '[DONE]');
  const chunks = events.slice(0, 7).map((e) => JSON.parse(e.data) as { choices: { text: string; finish_reason: string | null }[] });
  assert.equal(chunks.map((c) => c.choices[0]?.finish_reason), [null, null, null, null, null, null, 'length']);
  assert.ok(chunks.slice(0, 6).every((c) => (c.choices[0]?.text ?? '') !== ''), 'each token chunk carries its text');
  assert.is(chunks[6]?.choices[0]?.text, '', 'the last chunk carries only the finish reason');
  const first = events[0]!.at;
  const last = events[5]!.at;
  assert.ok(first < last - 4 * 25 + 10, `first token at ${first.toFixed(0)} ms, last at ${last.toFixed(0)} ms: streamed, not sent at the end`);
});

api('refuses bad input with the right status and one sentence', async ({ svc }) => {
  const cases: [unknown, number, RegExp][] = [
    ['{"model": "test/model", "prompt": ', 400, /^malformed JSON/],
    [[1, 2], 400, /JSON object/],
    [{ model: 'other', prompt: 'x' }, 404, /the model "other" does not exist/],
    [{ model: 7, prompt: 'x' }, 400, /"model" must be a string/],
    [{ model: 'test/model', prompt: 42 }, 400, /"prompt" must be a non-empty string/],
    [{ model: 'test/model', prompt: 'x'.repeat(600) }, 400, /context is 128/],
    [{ model: 'test/model', prompt: 'x', max_tokens: 1_000_000 }, 400, /"max_tokens" must be a whole number from 1 to 127/],
    [{ model: 'test/model', prompt: 'x', max_tokens: 0 }, 400, /"max_tokens"/],
    [{ model: 'test/model', prompt: 'x', max_tokens: 2.5 }, 400, /"max_tokens"/],
    [{ model: 'test/model', prompt: 'x', stream: 'yes' }, 400, /"stream" must be true or false/],
  ];
  for (const [body, status, message] of cases) {
    const reply = await complete(svc, body);
    assert.is(reply.status, status, `${JSON.stringify(body).slice(0, 60)}: ${reply.body}`);
    const { error } = JSON.parse(reply.body) as { error: string };
    assert.match(error, message);
    assert.not.match(error, /\n/);
  }
  assert.is((await request(svc.port, { method: 'POST', path: '/v1/completions', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(2000) })).status, 413, 'a body over the limit');
  assert.is((await request(svc.port, { path: '/health' })).status, 200, "vLLM's health route");
});

api('sheds with 429 and Retry-After beyond its sequences and queue, and counts them in vLLM\'s gauges meanwhile', async ({ svc }) => {
  const body = { model: 'test/model', prompt: 'Hello there', max_tokens: 20 };
  // 2 slots and a queue of 2 (the test settings): 4 held, the 5th shed.
  const held = Array.from({ length: 4 }, () => complete(svc, body));
  await until(async () => vllm(await scrape(svc.metricsPort), 'vllm:num_requests_waiting{model_name="test/model"}') === 2, 2000, 'two waiting');
  assert.is(vllm(await scrape(svc.metricsPort), 'vllm:num_requests_running{model_name="test/model"}'), 2);
  const shed = await complete(svc, body);
  assert.is(shed.status, 429);
  assert.ok(Number(shed.headers['retry-after']) >= 1);
  assert.equal((await Promise.all(held)).map((r) => r.status), [200, 200, 200, 200]);
});

api.run();
