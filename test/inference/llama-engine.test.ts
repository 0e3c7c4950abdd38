import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { rawSocket, request, scrape, series, until } from '../helpers/http.ts';
import { smolLM2 } from '../helpers/model.ts';
import { repoPath } from '../../scripts/lib/paths.ts';

// The llama engine: the service's own process serving SmolLM2-135M through llama.cpp, the
// same API and vLLM's metric names as the simulated engine, and bad input answered without
// the pod ever leaving Ready.

const MODEL = 'HuggingFaceTB/SmolLM2-135M-Instruct';
const CONTEXT = 256;

interface Server {
  child: ChildProcess;
  port: number;
  metricsPort: number;
  logs: string[];
}

async function startLlama(env: Record<string, string | undefined> = {}): Promise<Server> {
  const child = spawn(process.execPath, [repoPath('inference/src/main.ts')], {
    env: {
      ...process.env,
      INFERENCE_HOST: '127.0.0.1',
      INFERENCE_PORT: '0',
      INFERENCE_METRICS_PORT: '0',
      INFERENCE_ENGINE: 'llama',
      INFERENCE_MODEL_PATH: await smolLM2(),
      INFERENCE_MODEL_NAME: MODEL,
      INFERENCE_MAX_MODEL_LEN: String(CONTEXT),
      INFERENCE_SLOTS: '2',
      INFERENCE_QUEUE_LIMIT: '1',
      INFERENCE_MAX_BODY_BYTES: '65536',
      INFERENCE_HEADERS_TIMEOUT_MS: '600',
      INFERENCE_REQUEST_TIMEOUT_MS: '1500',
      INFERENCE_CONNECTIONS_CHECK_MS: '100',
      INFERENCE_DRAIN_DELAY_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => logs.push(l));
  const listening = await new Promise<{ port: number; metricsPort: number }>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const entry = JSON.parse(l) as { msg: string; port: number; metricsPort: number };
      logs.push(entry.msg);
      if (entry.msg === 'listening') resolve(entry);
    });
    child.once('exit', (code) => reject(new Error(`the service exited with ${code}:\n${logs.join('\n')}`)));
  });
  return { child, logs, ...listening };
}

const stop = (s: Server): Promise<unknown> => new Promise((resolve) => (s.child.exitCode !== null ? resolve(0) : (s.child.once('exit', resolve), s.child.kill('SIGTERM'))));

const complete = (s: Server, body: unknown) =>
  request(s.port, { method: 'POST', path: '/v1/completions', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

const vllm = series;

const rssKiB = async (pid: number): Promise<number> => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]);

const llama = suite<{ s: Server }>('the llama engine');
llama.before(async (ctx) => {
  ctx.s = await startLlama();
});
llama.after(async (ctx) => {
  await stop(ctx.s);
});

llama('loads the model before the port opens, and says so', async ({ s }) => {
  const loaded = s.logs.indexOf('model loaded');
  const listening = s.logs.indexOf('listening');
  assert.ok(loaded >= 0 && loaded < listening, s.logs.join('\n'));
  assert.is((await request(s.port, { path: '/health' })).status, 200);
});

llama('completes a prompt with the model, its tokens counted by the model\'s tokenizer, its time to first token measured', async ({ s }) => {
  const reply = await complete(s, { model: MODEL, prompt: 'The capital of France is', max_tokens: 8 });
  assert.is(reply.status, 200, reply.body);
  const body = JSON.parse(reply.body) as { choices: { text: string; finish_reason: string }[]; usage: { prompt_tokens: number; completion_tokens: number } };
  assert.match(body.choices[0]?.text ?? '', /Paris/);
  assert.is(body.choices[0]?.finish_reason, 'length');
  // SmolLM2's tokenizer: five tokens and the start token; the estimate of four bytes a token would say 7.
  assert.equal(body.usage, { prompt_tokens: 6, completion_tokens: 8, total_tokens: 14 });
  const text = await scrape(s.metricsPort);
  assert.ok(vllm(text, `vllm:generation_tokens_total{model_name="${MODEL}"}`) >= 8);
  assert.ok(vllm(text, `vllm:time_to_first_token_seconds_count{model_name="${MODEL}"}`) >= 1);
  assert.ok(vllm(text, `vllm:time_to_first_token_seconds_sum{model_name="${MODEL}"}`) > 0);
});

llama('streams the model\'s tokens as server-sent events, then the finish reason and [DONE]', async ({ s }) => {
  const reply = await complete(s, { model: MODEL, prompt: 'Once upon a time', max_tokens: 6, stream: true });
  assert.is(reply.status, 200);
  const events = reply.body.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));
  assert.is(events.at(-1), '[DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { choices: { text: string; finish_reason: string | null }[] });
  assert.is(chunks.at(-1)?.choices[0]?.finish_reason, 'length');
  assert.ok(chunks.length >= 3, `${chunks.length} chunks`);
  assert.ok(chunks.slice(0, -1).map((c) => c.choices[0]?.text).join('').length > 0);
});

llama('refuses bad input with the right status, and stays Ready with its memory bounded', async ({ s }) => {
  const pid = s.child.pid as number;
  await complete(s, { model: MODEL, prompt: 'Warm up', max_tokens: 4 });
  const before = await rssKiB(pid);
  const cases: [unknown, number, RegExp][] = [
    ['{"model": "x", "prompt": ', 400, /^malformed JSON/],
    [{ model: MODEL, prompt: 'word '.repeat(400) }, 400, new RegExp(`context is ${CONTEXT}`)],
    [{ model: MODEL, prompt: 'Hi', max_tokens: 1_000_000 }, 400, /"max_tokens" must be a whole number from 1 to/],
    [{ model: 'gpt-4', prompt: 'Hi' }, 404, /does not exist/],
  ];
  for (let round = 0; round < 5; round++) {
    for (const [body, status, error] of cases) {
      const reply = await complete(s, body);
      assert.is(reply.status, status, reply.body);
      assert.match((JSON.parse(reply.body) as { error: string }).error, error);
    }
    const huge = await complete(s, JSON.stringify({ model: MODEL, prompt: 'x'.repeat(1024 * 1024) }));
    assert.is(huge.status, 413, 'a 1 MB prompt');
  }
  // Slow clients: headers a byte at a time, and a body that never ends, are cut off by the timeouts.
  const slowHeaders = rawSocket(s.port);
  const slowBody = rawSocket(s.port);
  slowBody.socket.write(`POST /v1/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"model"`);
  const drip = setInterval(() => slowHeaders.socket.write('x'), 100);
  slowHeaders.socket.write('POST /v1/completions HTTP/1.1\r\nx-slow: ');
  const [h, b] = await Promise.all([slowHeaders.closed, slowBody.closed]);
  clearInterval(drip);
  assert.match(h.data, /^HTTP\/1\.1 408|^$/);
  assert.match(b.data, /^HTTP\/1\.1 408/);
  assert.is((await request(s.port, { path: '/readyz' })).status, 200, 'still Ready');
  const good = await complete(s, { model: MODEL, prompt: 'The capital of France is', max_tokens: 4 });
  assert.is(good.status, 200, 'and still answers');
  const grown = (await rssKiB(pid)) - before;
  assert.ok(grown < 32 * 1024, `RSS grew ${(grown / 1024).toFixed(1)} MiB through the bad input`);
});

llama('runs two sequences at once, queues one more, and answers the next 429 with Retry-After', async ({ s }) => {
  const long = { model: MODEL, prompt: 'Write a long story about a robot.', max_tokens: 200, ignore_eos: true };
  const running = [complete(s, long), complete(s, long), complete(s, long)];
  await until(async () => vllm(await scrape(s.metricsPort), `vllm:num_requests_waiting{model_name="${MODEL}"}`) === 1, 5000, 'one waiting');
  const refused = await complete(s, long);
  assert.is(refused.status, 429);
  assert.ok(Number(refused.headers['retry-after']) >= 1);
  const done = await Promise.all(running);
  assert.equal(done.map((r) => r.status), [200, 200, 200]);
  // ignore_eos: each generated all its tokens, past any end of sequence.
  assert.equal(done.map((r) => (JSON.parse(r.body) as { usage: { completion_tokens: number } }).usage.completion_tokens), [200, 200, 200]);
});

llama.run();

const start = suite('the llama engine at start');

start('stops with one sentence on a model file that is not there, or an engine that does not exist', async () => {
  for (const [env, message] of [
    [{ INFERENCE_MODEL_PATH: '/nonexistent/model.gguf' }, /the model file \/nonexistent\/model\.gguf cannot be read \(INFERENCE_MODEL_PATH\)\./],
    [{ INFERENCE_ENGINE: 'gpt' }, /INFERENCE_ENGINE must be "simulated" or "llama", got "gpt"\./],
    [{ INFERENCE_LLAMA_THREADS: '0' }, /INFERENCE_LLAMA_THREADS must be between 1 and 256, got 0\./],
  ] as const) {
    const error = await startLlama(env).then(
      async (s) => {
        await stop(s);
        return 'started';
      },
      (e: Error) => e.message,
    );
    assert.match(error, /exited with 2/);
    assert.match(error, message);
  }
});

start('starts as a numeric user with no home folder, as a pod\'s', async () => {
  // A uid with no passwd entry (a pod's 10001) has no home: libuv's os.homedir() then fails
  // unless HOME is set. The child's os.homedir behaves so, wherever this test runs.
  const dir = await mkdtemp(join(tmpdir(), 'inferscale-llama-user-'));
  try {
    const preload = join(dir, 'no-passwd.mjs');
    await writeFile(preload, "import os from 'node:os';\nos.homedir = () => { if (process.env.HOME) return process.env.HOME; throw new Error('A system error occurred: uv_os_homedir returned ENOENT (no such file or directory)'); };\n");
    const s = await startLlama({ HOME: undefined, NODE_OPTIONS: `--import=${pathToFileURL(preload).href}` });
    try {
      assert.is((await request(s.port, { path: '/readyz' })).status, 200);
    } finally {
      await stop(s);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

start.run();
