import { createHash } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { KObject } from '../../../scripts/lib/manifests/objects.ts';
import {
  APPLYSET_GROUP_KINDS,
  APPLYSET_ID,
  APPLYSET_NAMESPACES,
  APPLYSET_PART_OF,
  applysetId,
  groupKind,
  PARENT_NAME,
  parentConfigMap,
  withMembership,
} from '../../../scripts/lib/reconcile/applyset.ts';

const applyset = suite("kubectl's ApplySet labels");

applyset('derives the id as kubectl does: base64url of sha256 over name.namespace.kind.group', () => {
  const id = applysetId(PARENT_NAME, 'inferscale');
  assert.match(id, /^applyset-[A-Za-z0-9_-]{43}-v1$/, 'base64url of 32 bytes, unpadded');
  const digest = createHash('sha256').update(`${PARENT_NAME}.inferscale.ConfigMap.`).digest();
  assert.equal(Buffer.from(id.slice('applyset-'.length, -'-v1'.length), 'base64url'), digest);
  assert.is.not(applysetId(PARENT_NAME, 'other'), id, 'one set per namespace');
});

applyset('names group-kinds with their group, and core kinds alone', () => {
  assert.is(groupKind({ apiVersion: 'apps/v1', kind: 'Deployment' }), 'Deployment.apps');
  assert.is(groupKind({ apiVersion: 'v1', kind: 'Service' }), 'Service');
  assert.is(groupKind({ apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor' }), 'ServiceMonitor.monitoring.coreos.com');
});

applyset("records the set's kinds and other namespaces on the parent, sorted and once each", () => {
  const parent = parentConfigMap('inferscale', ['Service', 'Deployment.apps', 'Service'], ['monitoring', 'inferscale', 'monitoring']);
  assert.is(parent.metadata.labels?.[APPLYSET_ID], applysetId(PARENT_NAME, 'inferscale'));
  assert.is(parent.metadata.annotations?.[APPLYSET_GROUP_KINDS], 'Deployment.apps,Service');
  assert.is(parent.metadata.annotations?.[APPLYSET_NAMESPACES], 'monitoring', "the parent's own namespace is implied");
});

applyset('labels a member without dropping its labels or changing the object it was given', () => {
  const obj = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', labels: { app: 'x' } } } as KObject;
  const member = withMembership(obj, 'applyset-abc-v1');
  assert.equal(member.metadata.labels, { app: 'x', [APPLYSET_PART_OF]: 'applyset-abc-v1' });
  assert.equal(obj.metadata.labels, { app: 'x' });
});

applyset.run();
