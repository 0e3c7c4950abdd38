import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';
import { analyse, type Level } from '../../../scripts/lib/calibrate/analyse.ts';
import { calibrationYaml } from '../../../scripts/lib/calibrate/patch.ts';
import { calibrate } from '../../../scripts/lib/calibrate/run.ts';
import { UserError } from '../../../scripts/lib/cli.ts';
import { findLoadDriver } from '../../../scripts/lib/loadtest/driver-binary.ts';
import { capacityOf } from '../../../scripts/lib/manifests/capacity.ts';
import { sh } from '../../../scripts/lib/shell.ts';
import { startService } from '../../helpers/service.ts';

const measured = suite('calibration against a real server');

measured('recovers the simulated engine\'s configured cost within 10 %, its throughput at the slots, and the target under the SLO', async () => {
  // 4 slots of 200 ms: 20 req/s at most; 6 in flight queue two, so p95 passes 300 ms.
  const svc = await startService({ INFERENCE_SLOTS: '4', INFERENCE_QUEUE_LIMIT: '8', INFERENCE_SERVICE_TIME_MS: '200', INFERENCE_SERVICE_JITTER_MS: '20', INFERENCE_MAX_BODY_BYTES: '4096', INFERENCE_REQUEST_TIMEOUT_MS: '10000', INFERENCE_DRAIN_DELAY_MS: '0' });
  const dir = await mkdtemp(join(tmpdir(), 'inferscale-calibrate-'));
  try {
    const c = await calibrate({
      binary: await findLoadDriver(sh, () => {}),
      request: { method: 'POST', path: '/v1/predict', headers: { 'content-type': 'application/json' }, bodies: ['{"inputs": [1, 2, 3]}'], timeoutSeconds: 10, shedStatuses: [429] },
      baseUrl: `http://127.0.0.1:${svc.port}`,
      levels: [1, 2, 4, 6],
      warmupSeconds: 1,
      seconds: 4,
      sloMs: 300,
      dir,
      log: () => {},
    });
    assert.ok(Math.abs(c.requestSeconds - 0.2) <= 0.02, `a request alone: ${c.requestSeconds} s against the configured 0.2 s`);
    assert.ok(Math.abs(c.requestsPerSecond - 20) <= 2, `throughput ${c.requestsPerSecond} req/s against 4 slots / 0.2 s = 20`);
    assert.is(c.knee, 4);
    assert.is(c.targetConcurrency, 4, JSON.stringify(c.levels));
  } finally {
    await svc.service.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});

measured.run();

const level = (concurrency: number, throughput: number, p50Ms: number, p95Ms: number, refused = 0): Level => ({ concurrency, throughput, p50Ms, p95Ms, refused, answers: 100 });

const analysis = suite('the calibration analysis');

analysis('takes the cost alone from one in flight, the knee where throughput stops growing, and the target from the SLO', () => {
  const c = analyse([level(1, 1.0, 1000, 1100), level(2, 1.6, 1250, 1400), level(3, 1.7, 1760, 1900), level(4, 1.7, 2350, 2600)], 2000);
  assert.equal([c.requestSeconds, c.requestsPerSecond, c.knee, c.targetConcurrency], [1, 1.7, 2, 3]);
});

analysis('says in one sentence when one request alone misses the SLO, or level 1 is missing', () => {
  assert.throws(() => analyse([level(1, 1, 1000, 3000)], 2000), (e: Error) => e instanceof UserError && /even one request at a time misses the SLO: p95 3000 ms against 2000 ms/.test(e.message));
  assert.throws(() => analyse([level(2, 1, 1000, 1000)], 2000), /needs a level of one request in flight/);
});

analysis('writes a patch whose capacity annotation reads back as calibrated, and the HPA target beside it', () => {
  const c = analyse([level(1, 1.0, 1000, 1100), level(2, 1.6, 1250, 1400)], 2000);
  const text = calibrationYaml(c, { overlay: 'overlays/x', deployment: 'inference', hpa: 'inference', metric: 'inference_concurrency', cpuLimit: '300m', secondsPerLevel: 20, date: '2026-12-07' });
  const [deployment, hpa] = parseAllDocuments(text).map((d) => d.toJS() as Record<string, any>);
  assert.equal(capacityOf(deployment as never), { requestsPerSecond: 1.6, requestSeconds: 1, targetConcurrency: 2 });
  assert.is(hpa?.spec.metrics[0].pods.target.averageValue, '2');
  assert.match(text, /#   2         1\.60    1250    1400    0/);
});

analysis.run();
