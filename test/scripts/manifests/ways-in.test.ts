import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { KObject } from '../../../scripts/lib/manifests/objects.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';
import { sh } from '../../../scripts/lib/shell.ts';
import { schemaFindings } from '../../../scripts/lib/validate/schema.ts';

// The optional ways in: an Ingress or a Gateway API HTTPRoute, each a Component an overlay
// adds, rendered by the real kustomize and checked against its schema.

const test = suite('the ways in');

/** overlays/cloud with one more Component, in a copy of the repository's manifests. */
async function cloudWith(component: string): Promise<KObject[]> {
  const root = await mkdtemp(join(tmpdir(), 'way-in-'));
  for (const dir of ['base', 'components', 'gitops', 'overlays/cloud']) await cp(repoPath(dir), join(root, dir), { recursive: true });
  // As a user adds it: one line in the overlay's own kustomization.
  const kustomization = join(root, 'overlays/cloud/kustomization.yaml');
  await writeFile(kustomization, (await readFile(kustomization, 'utf8')).replace('components:\n', `components:\n  - ../../components/${component}\n`));
  return (await renderOverlay(sh, join(root, 'overlays/cloud'))).objects;
}

const servicePorts = (objects: KObject[]) => {
  const svc = objects.find((o) => o.kind === 'Service') as unknown as { metadata: { name: string }; spec: { ports: { name: string; port: number }[] } };
  return { name: svc.metadata.name, ports: svc.spec.ports };
};

test('an Ingress that sends /v1 to the Service\'s http port, and no further than the model API', async () => {
  const objects = await cloudWith('ingress');
  const ingress = objects.find((o) => o.kind === 'Ingress') as unknown as { metadata: { namespace?: string }; spec: { rules: { http: { paths: { path: string; backend: { service: { name: string; port: { name: string } } } }[] } }[] } };
  assert.ok(ingress, 'an Ingress is rendered');
  assert.equal(await schemaFindings('ingress', objects), []);
  const [path] = ingress.spec.rules[0]!.http.paths;
  const svc = servicePorts(objects);
  assert.is(path?.path, '/v1');
  assert.is(path?.backend.service.name, svc.name);
  assert.ok(svc.ports.some((p) => p.name === path?.backend.service.port.name && p.name === 'http'));
  assert.is(ingress.metadata.namespace, objects.find((o) => o.kind === 'Service')?.metadata.namespace, 'in the app\'s namespace');
});

test('an HTTPRoute valid against the Gateway API\'s own schema, sending /v1 to the Service\'s http port', async () => {
  const objects = await cloudWith('gateway-httproute');
  const route = objects.find((o) => o.kind === 'HTTPRoute') as unknown as { spec: { rules: { backendRefs: { name: string; port: number }[] }[] } };
  assert.ok(route, 'an HTTPRoute is rendered');
  assert.equal(await schemaFindings('httproute', objects), []);
  const ref = route.spec.rules[0]!.backendRefs[0]!;
  const svc = servicePorts(objects);
  assert.is(ref.name, svc.name);
  assert.is(svc.ports.find((p) => p.port === ref.port)?.name, 'http');
  const broken = objects.map((o) => (o.kind === 'HTTPRoute' ? ({ ...o, spec: { ...(o as unknown as { spec: object }).spec, parentRefs: 'gateway' } } as unknown as KObject) : o));
  assert.is((await schemaFindings('httproute', broken)).length, 1, 'the schema check can fail');
});

test.run();
