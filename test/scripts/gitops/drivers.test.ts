import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { replaceDirectives } from '../../../scripts/lib/cluster/embedded/toolchain.ts';
import { applicationState } from '../../../scripts/lib/gitops/argocd.ts';
import { commitBoundSeconds, healBoundSeconds, overlayPath } from '../../../scripts/lib/gitops/driver.ts';
import { durationSeconds, kustomizationState, kustomizationWords, shortRevision } from '../../../scripts/lib/gitops/flux.ts';
import type { KObject } from '../../../scripts/lib/manifests/objects.ts';

// What the GitOps controllers' objects say, in words, and the facts the checks' bounds are
// made of; the objects are shaped as the controllers write them.

const drivers = suite('the GitOps drivers');
const sha = 'f08753f0123456789abcdef0123456789abcdef0';

const kustomization = (ready: string, reason: string, message: string): KObject =>
  ({
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: 'inferscale-local', namespace: 'flux-system' },
    spec: { interval: '20s', path: './overlays/local' },
    status: { conditions: [{ type: 'Ready', status: ready, reason, message }], lastAppliedRevision: 'main@sha1:06125b0aaaa', lastAttemptedRevision: `main@sha1:${sha}` },
  }) as unknown as KObject;

drivers('say a Ready Kustomization with the revision it applied', () => {
  assert.is(kustomizationWords(kustomizationState(kustomization('True', 'ReconciliationSucceeded', 'Applied'))), 'Flux Kustomization flux-system/inferscale-local (./overlays/local, every 20s) is Ready: last applied revision main@sha1:06125b0aaaa.');
});

drivers('say why a Kustomization failed in one sentence, whatever the message spans', () => {
  const words = kustomizationWords(kustomizationState(kustomization('False', 'ReconciliationFailed', 'HorizontalPodAutoscaler/inferscale/inference dry-run failed: expected numeric\nmore detail\n')));
  assert.is(words, 'Flux Kustomization flux-system/inferscale-local (./overlays/local, every 20s) is not Ready (ReconciliationFailed): revision f08753f failed: HorizontalPodAutoscaler/inferscale/inference dry-run failed: expected numeric; last applied revision main@sha1:06125b0aaaa.');
  assert.not.match(words, /\n/);
});

drivers('read an Argo CD Application as applied only when Synced, Healthy and its sync succeeded', () => {
  const app = (sync: string, health: string, phase: string, message = '') => ({
    metadata: { name: 'inferscale-local', namespace: 'argocd' },
    spec: { source: { path: 'overlays/local' } },
    status: { sync: { status: sync, revision: sha }, health: { status: health }, operationState: { phase, message, syncResult: { revision: sha } }, history: [{ revision: sha }] },
  });
  const ok = applicationState(app('Synced', 'Healthy', 'Succeeded'), 10);
  assert.equal([ok.ok, ok.failed, ok.applied], [true, false, sha]);
  assert.is(ok.words, 'Argo CD Application argocd/inferscale-local (overlays/local, every 10 s) is Synced and Healthy: last synced revision f08753f.');
  const failed = applicationState(app('OutOfSync', 'Healthy', 'Failed', 'one or more objects failed to apply, reason: .spec.maxReplicas: expected numeric\nsecond line'), 10);
  assert.equal([failed.ok, failed.failed, failed.attempted], [false, true, sha]);
  assert.match(failed.words, /is OutOfSync \(sync Failed\): revision f08753f failed: one or more objects failed to apply, reason: \.spec\.maxReplicas: expected numeric; last synced/);
  assert.not.ok(applicationState(app('Synced', 'Progressing', 'Succeeded'), 10).ok);
});

drivers("keep the cause at the end of Argo CD's wrapped comparison error", () => {
  const message =
    'Failed to compare desired state to live state: failed to calculate diff: error calculating server side diff: serverSideDiff error: error running server side apply in dryrun mode for resource HorizontalPodAutoscaler/inference: failed to create typed patch object (inferscale/inference; autoscaling/v2, Kind=HorizontalPodAutoscaler): .spec.maxReplicas: expected numeric (int or float), got string';
  const app = { metadata: { name: 'a', namespace: 'argocd' }, status: { sync: { status: 'Unknown', revision: sha }, conditions: [{ type: 'ComparisonError', message }] } };
  const s = applicationState(app, 10);
  assert.equal([s.failed, s.ok, s.attempted], [true, false, sha]);
  assert.match(s.words, /\.spec\.maxReplicas: expected numeric \(int or float\), got string;/);
});

drivers('shorten Flux and Argo CD revisions alike', () => {
  assert.equal([shortRevision(`main@sha1:${sha}`), shortRevision(sha), shortRevision(undefined), shortRevision('main')], ['f08753f', 'f08753f', 'none', 'main']);
});

drivers('read Flux durations and refuse what is not one', () => {
  assert.equal([durationSeconds('10s'), durationSeconds('1m30s'), durationSeconds('2h'), durationSeconds('500ms')], [10, 90, 7200, 0.5]);
  assert.throws(() => durationSeconds('ten'), /not a duration/);
  assert.throws(() => durationSeconds('10x'), /not a duration/);
});

drivers('bound a commit by one look at Git plus one reconcile, a heal by two reconciles', () => {
  const i = { sourceSeconds: 10, reconcileSeconds: 20, timeoutSeconds: 180 };
  assert.equal([commitBoundSeconds(i), healBoundSeconds(i)], [30, 40]);
  assert.equal([overlayPath('./overlays/local'), overlayPath('overlays/local/')], ['overlays/local', 'overlays/local']);
});

drivers("take a module's replace directives but its local ones", () => {
  const goMod = ['module x', '', 'replace github.com/a/b => github.com/a/b v1.2.3 // pinned', 'replace (', '\tk8s.io/api => k8s.io/api v0.37.0', '\tgithub.com/x/engine/v3 => ./engine', ')', 'replace y => ../y'].join('\n');
  assert.equal(replaceDirectives(goMod), ['github.com/a/b => github.com/a/b v1.2.3', 'k8s.io/api => k8s.io/api v0.37.0']);
});

drivers.run();
