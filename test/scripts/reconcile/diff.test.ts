import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { KObject } from '../../../scripts/lib/manifests/objects.ts';
import { objectDiff, project } from '../../../scripts/lib/reconcile/diff.ts';

const diff = suite('the dry-run diff');

const git: KObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'inference', namespace: 'inferscale' }, spec: { ports: [{ name: 'http', port: 80 }] } } as KObject;
const live = (port: number): KObject =>
  ({
    ...git,
    metadata: { ...git.metadata, uid: 'u-1', resourceVersion: '42', generation: 3, creationTimestamp: '2026-12-01T00:00:00Z', managedFields: [{ manager: 'inferscale' }] },
    spec: { ports: [{ name: 'http', port }] },
    status: { loadBalancer: {} },
  }) as unknown as KObject;

diff('is empty when only the fields the server owns differ', () => {
  assert.is(objectDiff('Service/inferscale/inference', live(80), git), '');
});

diff('shows a changed field as a unified diff of live against Git', () => {
  const text = objectDiff('Service/inferscale/inference', live(8080), git);
  assert.match(text, /^--- live\/Service\/inferscale\/inference/m);
  assert.match(text, /^\+\+\+ git\/Service\/inferscale\/inference/m);
  assert.match(text, /^-\s+port: 8080$/m);
  assert.match(text, /^\+\s+port: 80$/m);
});

diff('shows a new object as all additions and a pruned one as all removals', () => {
  assert.not.match(objectDiff('x', undefined, git), /^-\s/m);
  assert.not.match(objectDiff('x', git, undefined), /^\+\s/m);
});

diff("cuts the live object down to the fields Git declares, lists by position", () => {
  const cut = project({ a: 1, b: { c: 2, d: 3 }, list: [{ x: 1, y: 2 }, { x: 3 }] }, { b: { c: 0 }, list: [{ x: 0 }] });
  assert.equal(cut, { b: { c: 2 }, list: [{ x: 1 }] });
});

diff.run();
