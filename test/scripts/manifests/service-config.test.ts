import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../../scripts/lib/cli.ts';
import { RECORDED_REQUEST } from '../../../scripts/lib/docs/recorded-runs.ts';
import { withLoadRequest, type LoadRequest } from '../../../scripts/lib/manifests/load-request.ts';
import type { KObject } from '../../../scripts/lib/manifests/objects.ts';
import { renderOverlay } from '../../../scripts/lib/manifests/render.ts';
import { scaledDeploymentOf } from '../../../scripts/lib/manifests/server-facts.ts';
import { requestCostOf, serviceConfigOf } from '../../../scripts/lib/manifests/service-config.ts';
import { repoPath } from '../../../scripts/lib/paths.ts';
import { pipelineSettings } from '../../../scripts/lib/plan/bounds.ts';
import { sh } from '../../../scripts/lib/shell.ts';
import type { ServiceConfig } from '../../../inference/src/config.ts';

// What a request of the load costs our service is read from the load itself: the tools cost
// a completion by its tokens as the service does, so a user's request file plans its own run.

const measured = { rateWindowSeconds: 20, relistSeconds: 5, podStartSeconds: 2 };
const { objects } = await renderOverlay(sh, repoPath('overlays/local'));
const cost = (over: KObject[]) => {
  const d = scaledDeploymentOf(over)!;
  return requestCostOf(d, serviceConfigOf(d) as ServiceConfig);
};
const completion = (body: Record<string, unknown>): LoadRequest => ({ ...RECORDED_REQUEST, path: '/v1/completions', bodies: [JSON.stringify(body)] });

const test = suite('the cost of a load request');

test("is a completion's prefill and decode from its own tokens: overlays/local's 200 ms, no jitter", () => {
  assert.equal(cost(objects), { ms: 200, jitterMs: 0 });
  assert.is(pipelineSettings(objects, measured).serviceSeconds, 0.2);
});

test("follows a user's request: 20 tokens cost 390 ms, and the plan of the run takes it", () => {
  const longer = withLoadRequest(objects, completion({ model: 'inferscale/sim', prompt: 'Autoscaling inference on Kubernetes is', max_tokens: 20 }));
  assert.equal(cost(longer), { ms: 390, jitterMs: 0 });
  assert.is(pipelineSettings(longer, measured).serviceSeconds, 0.39);
});

test("is the predict route's service time and jitter for a predict request", () => {
  assert.equal(cost(withLoadRequest(objects, RECORDED_REQUEST)), { ms: 200, jitterMs: 40 });
});

test('refuses, in one sentence, a body the service would refuse', () => {
  for (const [body, said] of [
    [{ model: 'gpt-4', prompt: 'x', max_tokens: 10 }, /request body 1 would be refused by the service: the model "gpt-4" does not exist/],
    [{ model: 'inferscale/sim', prompt: 'x', max_tokens: 0 }, /"max_tokens" must be a whole number/],
  ] as const) {
    assert.throws(() => cost(withLoadRequest(objects, completion(body))), (e: unknown) => e instanceof UserError && said.test((e as Error).message));
  }
});

test.run();
