import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withoutCommitIds } from '../../../scripts/lib/gitops/checks.ts';

// What a GitOps check writes into a run's record is published in the docs: the served
// repository's commit ids are the run's own, so the record says what they were, not which.

const checks = suite('the GitOps checks');

checks("leave the served repository's commit ids out of a controller's words, and nothing else", () => {
  const words = 'revision 3dc5632 failed: HorizontalPodAutoscaler/inferscale/inference dry-run failed: .spec.maxReplicas: expected numeric; last applied revision fb58eeb0d1c2e3f4a5b6c7d8e9f0011223344556.';
  assert.is(withoutCommitIds(words), 'revision <commit> failed: HorizontalPodAutoscaler/inferscale/inference dry-run failed: .spec.maxReplicas: expected numeric; last applied revision <commit>.');
  assert.is(withoutCommitIds('refused after 10.7 s; deadbee is a word'), 'refused after 10.7 s; <commit> is a word', 'seven hex letters are taken for a commit id');
  assert.is(withoutCommitIds('inferscale-local every 20s'), 'inferscale-local every 20s');
});

checks.run();
