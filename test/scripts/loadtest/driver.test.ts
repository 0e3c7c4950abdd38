import { spawn } from 'node:child_process';
import { mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LoadResults, runDriver, scheduleOf } from '../../../scripts/lib/loadtest/driver.ts';
import { findLoadDriver } from '../../../scripts/lib/loadtest/driver-binary.ts';
import { profileFromFlags } from '../../../scripts/lib/loadtest/options.ts';
import { DEFAULT_PARAMS, offeredAt, stagesProfile, stepProfile, type Profile } from '../../../scripts/lib/plan/profiles.ts';
import { parseLoadRequest, type LoadRequest } from '../../../scripts/lib/loadtest/request.ts';
import { createShell, sh } from '../../../scripts/lib/shell.ts';
import { UserError } from '../../../scripts/lib/cli.ts';
import { clusterPaths } from '../../../scripts/lib/cluster/embedded/paths.ts';
import { sample, scrape } from '../../helpers/http.ts';
import { startService } from '../../helpers/service.ts';

// The load driver (loadtests/, built from the module proxy and cached as bootstrap builds it)
// run for real: the schedule it paces is the profiles' own, and what it counts is what a real
// server answered.

const driver = await findLoadDriver(sh, () => {});
const tmp = () => mkdtemp(join(tmpdir(), 'driver-'));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(driver, args);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const test = suite('the load driver');

const every: Profile[] = [
  ...['step', 'ramp', 'spike', 'sawtooth'].map((p) => profileFromFlags({ profile: p })),
  profileFromFlags({ stages: '0:5,120:2,120:30,20:10' }),
  stepProfile({ ...DEFAULT_PARAMS, holdSeconds: 37, peakRate: 55 }),
];

for (const profile of every) {
  test(`paces the ${profile.name} (${profile.endAt} s) as the profile offers it: each second's arrivals are its integral, rounded`, async () => {
    const dir = await tmp();
    await writeFile(join(dir, 'schedule.json'), JSON.stringify(scheduleOf(profile)));
    const { code, stdout, stderr } = await run(['-schedule', join(dir, 'schedule.json'), '-plan']);
    assert.is(code, 0, stderr);
    const plan = stdout.trim().split('\n').map((l) => JSON.parse(l) as { second: number; arrivals: number });
    assert.is(plan.length, Math.ceil(profile.endAt));
    let total = 0;
    let integral = 0;
    for (const { second, arrivals } of plan) {
      let inSecond = 0;
      for (let i = 0; i < 1000; i++) inSecond += offeredAt(profile, second + (i + 0.5) / 1000) / 1000;
      assert.ok(Math.abs(arrivals - inSecond) <= 1, `second ${second}: ${arrivals} arrivals for an integral of ${inSecond.toFixed(3)}`);
      total += arrivals;
      integral += inSecond;
    }
    assert.ok(Math.abs(total - integral) <= 0.5 + 1e-6, `${total} arrivals for an integral of ${integral.toFixed(3)}`);
  });
}

const request = (bodies: unknown[]): LoadRequest => parseLoadRequest({ method: 'POST', path: '/v1/predict', headers: { 'content-type': 'application/json' }, bodies, timeoutSeconds: 5, shedStatuses: [429] }, 'the test');

async function load(port: number, bodies: unknown[], maxInFlight: number) {
  const r = request(bodies);
  const results = new LoadResults({ shedStatuses: r.shedStatuses, sloMs: 1000, timeoutSeconds: r.timeoutSeconds });
  const profile = stagesProfile('30:2');
  const run = await runDriver({ binary: driver, profile, request: r, baseUrl: `http://127.0.0.1:${port}`, maxInFlight, dir: await tmp(), onResult: (x) => results.add(x) });
  results.finish();
  return { results, summary: run.summary };
}

test('counts what a real server that sheds answered: shed as its 429s, failures as its 400s, the rest as its 200s', async () => {
  const svc = await startService({ INFERENCE_SLOTS: '2', INFERENCE_QUEUE_LIMIT: '2', INFERENCE_SERVICE_TIME_MS: '400' });
  try {
    const { results, summary } = await load(svc.port, [{ inputs: [1, 2] }, { inputs: [3] }, 'not json'], 200);
    const metrics = await scrape(svc.metricsPort);
    assert.is(summary.scheduled, 60);
    assert.is(results.notSent, 0);
    assert.is(results.total, 60);
    assert.is(results.failed, 20, 'every third body is malformed: a 400 each');
    assert.is(results.shed, sample(metrics, 'inference_requests_total{code="429"}'));
    assert.ok(results.shed > 20, `${results.shed} shed: 20 req/s of valid requests on 5 req/s of capacity`);
    assert.is(results.total - results.failed - results.shed, sample(metrics, 'inference_requests_total{code="200"}'));
  } finally {
    await svc.service.shutdown();
  }
});

test('counts the arrivals its bound on requests in flight turned away as not sent, and the server never saw them', async () => {
  const svc = await startService({ INFERENCE_SLOTS: '2', INFERENCE_QUEUE_LIMIT: '2', INFERENCE_SERVICE_TIME_MS: '400' });
  try {
    const { results, summary } = await load(svc.port, [{ inputs: [1, 2] }], 3);
    const metrics = await scrape(svc.metricsPort);
    const served = sample(metrics, 'inference_requests_total{code="200"}') + sample(metrics, 'inference_requests_total{code="429"}');
    assert.ok(results.notSent > 30, `${results.notSent} not sent: 3 in flight at 0.4 s each serve 7.5 of 30 req/s`);
    assert.is(results.notSent, summary.notSent);
    assert.is(results.total + results.notSent, 60);
    assert.is(served, results.total, 'the server answered exactly the requests sent');
    assert.is(results.shed, 0, 'a bound of 3 never fills 2 slots and a queue of 2');
  } finally {
    await svc.service.shutdown();
  }
});

test('sends an OpenAI-style completions request, given as data, round robin to the real service', async () => {
  const svc = await startService({ INFERENCE_SLOTS: '8', INFERENCE_QUEUE_LIMIT: '8', INFERENCE_DECODE_MS_PER_TOKEN: '10', INFERENCE_MODEL_NAME: 'test/model' });
  try {
    const r = parseLoadRequest({ path: '/v1/completions', headers: { 'content-type': 'application/json' }, bodies: [{ model: 'test/model', prompt: 'Hello', max_tokens: 4 }, { model: 'test/model', prompt: 'Bye', max_tokens: 8 }], timeoutSeconds: 5 }, 'the test');
    const results = new LoadResults({ shedStatuses: r.shedStatuses, sloMs: 1000, timeoutSeconds: r.timeoutSeconds });
    await runDriver({ binary: driver, profile: stagesProfile('10:2'), request: r, baseUrl: `http://127.0.0.1:${svc.port}`, maxInFlight: 50, dir: await tmp(), onResult: (x) => results.add(x) });
    results.finish();
    const metrics = await scrape(svc.metricsPort);
    assert.is(results.total, 20);
    assert.is(results.failed + results.shed, 0);
    assert.is(sample(metrics, 'vllm:generation_tokens_total{model_name="test/model"}'), 10 * 4 + 10 * 8, 'the two bodies in turn');
  } finally {
    await svc.service.shutdown();
  }
});

test('closes a second once no answer can still come for it, so memory stays flat over a long run', () => {
  const results = new LoadResults({ shedStatuses: [429], sloMs: 500, timeoutSeconds: 2 });
  for (let second = 0; second < 600; second++) {
    for (let i = 0; i < 50; i++) results.add({ seq: second * 50 + i, due: second * 1000 + i * 20, start: second * 1000 + i * 20, latency: 100 + i * 10, status: i % 10 === 0 ? 429 : 200 });
    assert.ok(results.openSeconds <= 6, `${results.openSeconds} seconds open at ${second} s`);
  }
  results.finish();
  const s = results.second(100);
  assert.is(s.responses, 50);
  assert.is(s.shed, 5);
  assert.ok(s.p50 > 300 && s.p50 < 400 && s.p99 >= 580, `p50 ${s.p50}, p99 ${s.p99}`);
  assert.is(results.underSlo, 600 * 36, 'the 200s within 500 ms');
});

test('says in one sentence, with exit 2 or 1, what is wrong with its input or target', async () => {
  const dir = await tmp();
  const good = join(dir, 'good.json');
  await writeFile(good, JSON.stringify(scheduleOf(stagesProfile('5:1'))));
  const write = async (name: string, text: string) => {
    await writeFile(join(dir, name), text);
    return join(dir, name);
  };
  const refused = await write('refused.json', JSON.stringify({ url: 'http://127.0.0.1:1/v1/predict' }));
  const cases: [string[], number, RegExp][] = [
    [['-schedule', await write('bad.json', '{"name": '), '-request', refused], 2, /schedule is not valid JSON/],
    [['-schedule', await write('neg.json', '{"name":"x","startRate":-3,"stages":[{"target":1,"seconds":1}]}'), '-request', refused], 2, /startRate must be a rate of 0 or more/],
    [['-schedule', good, '-request', await write('nofile.json', JSON.stringify({ url: 'http://127.0.0.1:1/', bodyFiles: ['absent.json'] }))], 2, /cannot read the body file .*absent\.json: no such file/],
    [['-schedule', good, '-request', refused], 1, /cannot connect to http:\/\/127\.0\.0\.1:1\/v1\/predict: connect: connection refused/],
    [['-schedule', good], 2, /both -schedule and -request are needed/],
  ];
  for (const [args, code, message] of cases) {
    const r = await run(args);
    assert.is(r.code, code, r.stderr);
    assert.match(r.stderr, message);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.not.match(r.stderr, /goroutine|panic/);
  }
});

test('is found on PATH where Go is not, and where neither is, says so in one sentence', async () => {
  const cache = await tmp();
  const paths = clusterPaths({ INFERSCALE_CACHE: cache });
  const bare = createShell({ ...process.env, PATH: '/nonexistent' });
  await findLoadDriver(bare, () => {}, paths).then(
    () => assert.unreachable('found a driver with no build, no Go and nothing on PATH'),
    (e: unknown) => assert.ok(e instanceof UserError && /^the load driver is not built and Go is not on PATH to build it: .*\.$/.test((e as Error).message), String(e)),
  );
  const bin = await tmp();
  await symlink(driver, join(bin, 'inferscale-load'));
  assert.is(await findLoadDriver(createShell({ ...process.env, PATH: bin }), () => {}, paths), 'inferscale-load');
});

test.run();
