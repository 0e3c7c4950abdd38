import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../../scripts/lib/cli.ts';
import { driverRequest, LOAD_REQUEST_ANNOTATION, loadRequestOf, readLoadRequestFile } from '../../../scripts/lib/loadtest/request.ts';
import type { KObject } from '../../../scripts/lib/manifests/objects.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';
import { sh } from '../../../scripts/lib/shell.ts';

// What a load's arrivals send is the overlay's data, or a user's file; never the driver's.

const test = suite('the load request');

const rejects = async (p: Promise<unknown>, message: RegExp) => {
  const error = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof UserError, `resolved, or threw ${String(error)}`);
  assert.match((error as Error).message, message);
};

const withAnnotation = (objects: KObject[], value: string | undefined): KObject[] =>
  objects.map((o) => (o.kind === 'Deployment' ? { ...o, metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, [LOAD_REQUEST_ANNOTATION]: value as string } } } : o));

test('comes from every rendered overlay: a completion of the model it serves, 429 as shedding', async () => {
  for (const overlay of ['overlays/local', 'overlays/compare', 'overlays/minikube', 'overlays/cloud']) {
    const { objects } = await renderOverlay(sh, repoPath(overlay));
    const r = loadRequestOf(objects);
    assert.is(r.method, 'POST', overlay);
    assert.is(r.path, '/v1/completions', overlay);
    assert.equal(r.shedStatuses, [429], overlay);
    const body = JSON.parse(r.bodies[0] as string) as { model: unknown; max_tokens: unknown };
    assert.equal([body.model, body.max_tokens], ['inferscale/sim', 10], overlay);
    assert.is(driverRequest(r, 'http://127.0.0.1:30080/').url, 'http://127.0.0.1:30080/v1/completions');
  }
});

test('an OpenAI-style completions request is another value of the same data', async () => {
  const { objects } = await renderOverlay(sh, repoPath('overlays/local'));
  const completions = JSON.stringify({ path: '/v1/completions', headers: { 'content-type': 'application/json' }, bodies: [{ model: 'm', prompt: 'Hello', max_tokens: 16 }, { model: 'm', prompt: 'Bye', max_tokens: 8 }], timeoutSeconds: 60 });
  const r = loadRequestOf(withAnnotation(objects, completions));
  assert.is(r.path, '/v1/completions');
  assert.equal(r.bodies.map((b) => (JSON.parse(b) as { prompt: string }).prompt), ['Hello', 'Bye']);
  assert.is(r.timeoutSeconds, 60);
  assert.equal(r.shedStatuses, [429], 'the default');
});

test('a missing or malformed annotation is one sentence naming it', async () => {
  const { objects } = await renderOverlay(sh, repoPath('overlays/local'));
  assert.throws(() => loadRequestOf(withAnnotation(objects, undefined).map((o) => (o.kind === 'Deployment' ? { ...o, metadata: { ...o.metadata, annotations: {} } } : o))), (e: unknown) => e instanceof UserError && /has no inferscale\.dev\/load-request annotation/.test((e as Error).message));
  assert.throws(() => loadRequestOf(withAnnotation(objects, '{"path":')), (e: unknown) => e instanceof UserError && /load-request annotation is not valid JSON/.test((e as Error).message));
  assert.throws(() => loadRequestOf(withAnnotation(objects, '{"path": "v1"}')), (e: unknown) => e instanceof UserError && /path must be a URL path/.test((e as Error).message));
  assert.throws(() => loadRequestOf(withAnnotation(objects, '{"path": "/", "shedStatuses": [9999]}')), (e: unknown) => e instanceof UserError && /shedStatuses/.test((e as Error).message));
});

test("a user's file reads its body files beside it, and says which one is missing", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'request-'));
  await writeFile(join(dir, 'a.json'), '{"prompt": "from a file"}');
  await writeFile(join(dir, 'request.json'), JSON.stringify({ path: '/v1/completions', body: 'inline', bodyFiles: ['a.json'] }));
  const r = await readLoadRequestFile(join(dir, 'request.json'));
  assert.equal(r.bodies, ['inline', '{"prompt": "from a file"}']);
  await writeFile(join(dir, 'missing.json'), JSON.stringify({ path: '/', bodyFiles: ['nope.json'] }));
  await rejects(readLoadRequestFile(join(dir, 'missing.json')), /cannot read the body file nope\.json \(ENOENT\)/);
  await rejects(readLoadRequestFile(join(dir, 'absent.json')), /cannot read the request file .*absent\.json \(ENOENT\)/);
  await writeFile(join(dir, 'bad.json'), '{');
  await rejects(readLoadRequestFile(join(dir, 'bad.json')), /is not valid JSON/);
});

test.run();
